package catalogue

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/probcat/probcat/internal/tablefile"
)

// Sample is one catalogue of an ensemble: the sources of kept sample Index of chain Chain.
type Sample struct {
	Chain, Index int
	X, Y, Flux   []float64
	// Kind and Params are set for catalogues of mixed kinds (see Kinds): Kind[i] is source
	// i's kind and Params[j][i] its value of parameter j, NaN when its kind lacks it.
	Kind   []int32
	Params [][]float64
	// Bands is set for multi-band catalogues (see Bands): Bands[j][i] is source i's flux in
	// band j+1 (Flux holds the reference band's).
	Bands [][]float64
}

// Len returns the number of sources in the sample.
func (s *Sample) Len() int { return len(s.X) }

// Derived says which optional columns a catalogue file carries and how to compute them from a
// source's position and flux. A nil function leaves its columns out of the file.
type Derived struct {
	// Magnitude converts a flux to a magnitude (a `mag` column), e.g. model.Image.Magnitude
	// when the image has a zero point.
	Magnitude func(flux float64) float64
	// Sky converts a position to RA and Dec in degrees (`ra` and `dec` columns).
	Sky func(x, y float64) (ra, dec float64)
	// Kinds, for catalogues of mixed kinds, adds the kind and parameter columns (and, to a
	// condensed catalogue, p_galaxy and p_<kind>) before the derived ones.
	Kinds *Kinds
	// Bands, for multi-band catalogues, names the flux columns by band and gives each band's
	// magnitudes (mag_<band> columns, in place of mag, which Magnitude then does not give).
	Bands *Bands
}

func (d Derived) columns() []tablefile.Column {
	var cols []tablefile.Column
	if b := d.Bands; b != nil {
		for k, n := range b.Names {
			if b.mag(k) != nil {
				cols = append(cols, tablefile.Column{Name: "mag_" + n, Kind: tablefile.Double})
			}
		}
	} else if d.Magnitude != nil {
		cols = append(cols, tablefile.Column{Name: "mag", Kind: tablefile.Double})
	}
	if d.Sky != nil {
		cols = append(cols, tablefile.Column{Name: "ra", Kind: tablefile.Double}, tablefile.Column{Name: "dec", Kind: tablefile.Double})
	}
	return cols
}

// appendValues appends the derived columns' values for one source to dst. For a
// multi-band catalogue flux(k) gives band k's flux (else it may be nil).
func (d Derived) appendValues(dst []float64, x, y, flux float64, bandFlux ...func(k int) float64) []float64 {
	if b := d.Bands; b != nil {
		for k := range b.Names {
			if m := b.mag(k); m != nil {
				dst = append(dst, m(bandFlux[0](k)))
			}
		}
	} else if d.Magnitude != nil {
		dst = append(dst, d.Magnitude(flux))
	}
	if d.Sky != nil {
		ra, dec := d.Sky(x, y)
		dst = append(dst, ra, dec)
	}
	return dst
}

// EnsembleWriter streams an ensemble to ensemble.parquet: one row per source per kept sample
// with columns chain, sample (int32), x, y, flux (float64), then for mixed kinds kind (int32)
// and the kinds' parameters (float64, null where a source's kind lacks one), then mag and
// ra, dec when Derived asks for them. Memory is bounded: rows go to disk in row groups as they arrive. The file is
// written under a temporary name and appears only when Close succeeds.
type EnsembleWriter struct {
	t     *tablefile.Writer
	d     Derived
	vals  []float64
	empty [][2]int // (chain, sample) of samples with no source: they have no row
}

// CreateEnsemble starts writing an ensemble to path. meta is stored as the file's key-value
// metadata (e.g. the run's settings); it must not hold anything that changes between identical
// runs (such as a time) if the bytes are to be reproducible.
func CreateEnsemble(path string, d Derived, meta map[string]string) (*EnsembleWriter, error) {
	cols := []tablefile.Column{
		{Name: "chain", Kind: tablefile.Int32}, {Name: "sample", Kind: tablefile.Int32},
		{Name: "x", Kind: tablefile.Double}, {Name: "y", Kind: tablefile.Double}, {Name: "flux", Kind: tablefile.Double},
	}
	if b := d.Bands; b != nil {
		cols = cols[:4]
		for k := range b.Names {
			cols = append(cols, tablefile.Column{Name: b.flux(k), Kind: tablefile.Double})
		}
		meta = withBands(meta, b)
	}
	if d.Kinds != nil {
		cols = append(cols, d.Kinds.kindColumns()...)
		meta = withKinds(meta, d.Kinds)
	}
	cols = append(cols, d.columns()...)
	t, err := createTable(path, cols, meta)
	if err != nil {
		return nil, err
	}
	return &EnsembleWriter{t: t, d: d}, nil
}

// Write appends one sample's sources.
func (w *EnsembleWriter) Write(s *Sample) error {
	if len(s.Y) != len(s.X) || len(s.Flux) != len(s.X) {
		err := fmt.Errorf("sample %d of chain %d has %d x, %d y and %d flux values",
			s.Index, s.Chain, len(s.X), len(s.Y), len(s.Flux))
		return w.t.Fail(err)
	}
	if k := w.d.Kinds; k != nil && (len(s.Kind) != len(s.X) || len(s.Params) != len(k.Params)) {
		err := fmt.Errorf("sample %d of chain %d has %d sources but %d kinds and %d parameter columns (want %d)",
			s.Index, s.Chain, len(s.X), len(s.Kind), len(s.Params), len(k.Params))
		return w.t.Fail(err)
	}
	if b := w.d.Bands; b != nil && len(s.Bands) != len(b.Names)-1 {
		return w.t.Fail(fmt.Errorf("sample %d of chain %d has fluxes in %d bands, want %d", s.Index, s.Chain, len(s.Bands)+1, len(b.Names)))
	}
	if len(s.X) == 0 {
		w.empty = append(w.empty, [2]int{s.Chain, s.Index})
	}
	for i := range s.X {
		w.vals = append(w.vals[:0], float64(s.Chain), float64(s.Index), s.X[i], s.Y[i], s.Flux[i])
		for _, f := range s.Bands {
			w.vals = append(w.vals, f[i])
		}
		if w.d.Kinds != nil {
			w.vals = append(w.vals, float64(s.Kind[i]))
			for _, p := range s.Params {
				w.vals = append(w.vals, p[i])
			}
		}
		w.vals = w.d.appendValues(w.vals, s.X[i], s.Y[i], s.Flux[i], func(k int) float64 {
			if k == 0 {
				return s.Flux[i]
			}
			return s.Bands[k-1][i]
		})
		if err := w.t.Add(w.vals...); err != nil {
			return err
		}
	}
	return nil
}

// Close finishes the file and moves it into place.
func (w *EnsembleWriter) Close() error {
	b, _ := json.Marshal(append([][2]int{}, w.empty...))
	w.t.SetMeta(tablefile.EmptySamplesKey, string(b))
	return w.t.Close()
}

// Abort discards the file being written (for error paths); the destination is left untouched.
func (w *EnsembleWriter) Abort() { w.t.Abort() }

// ReadEnsemble reads an ensemble file written by EnsembleWriter (or any Parquet file with
// chain, sample, x, y and flux columns) and returns its samples ordered by chain then sample,
// with their kinds and parameters when the file has them (see ReadKinds).
// Samples are identified by their (chain, sample) pair; samples with no source, which have no
// row, are restored from the file's metadata. Of a multi-band ensemble it reads the
// reference band's fluxes (see ReadEnsembleBand).
func ReadEnsemble(path string) ([]Sample, error) { return ReadEnsembleBand(path, "") }

// ReadEnsembleBand is ReadEnsemble with Flux read from band's flux_<band> column of a
// multi-band ensemble ("" for the reference band; any other band of a single-band file is an
// error).
func ReadEnsembleBand(path, band string) ([]Sample, error) {
	tab, err := readTableBand(path, band, "chain", "sample", "x", "y", "flux")
	if err != nil {
		return nil, err
	}
	return ensembleFromTable(path, tab)
}

func ensembleFromTable(path string, tab *table) ([]Sample, error) {
	kinds, err := KindsFromMeta(path, tab.meta)
	if err != nil {
		return nil, err
	}
	var kcol []float64
	var pcols [][]float64
	if kinds != nil {
		var ok bool
		if kcol, ok = tab.cols["kind"]; !ok {
			return nil, fmt.Errorf("%s: the metadata lists kinds but there is no kind column", path)
		}
		for _, p := range kinds.Params {
			c, ok := tab.cols[p]
			if !ok {
				return nil, fmt.Errorf("%s: no column for the kinds' parameter %q", path, p)
			}
			pcols = append(pcols, c)
		}
	}
	type key struct{ c, s int }
	idx := map[key]int{}
	var out []Sample
	ch, sa := tab.cols["chain"], tab.cols["sample"]
	x, y, f := tab.cols["x"], tab.cols["y"], tab.cols["flux"]
	for i := range ch {
		if math.IsNaN(ch[i]) || math.IsNaN(sa[i]) {
			return nil, fmt.Errorf("%s: row %d has no chain or sample number", path, i)
		}
		k := key{int(ch[i]), int(sa[i])}
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, Sample{Chain: k.c, Index: k.s})
			if kinds != nil {
				out[j].Params = make([][]float64, len(pcols))
			}
		}
		s := &out[j]
		s.X = append(s.X, x[i])
		s.Y = append(s.Y, y[i])
		s.Flux = append(s.Flux, f[i])
		if kinds != nil {
			kv := kcol[i]
			if !(kv >= 0 && kv < float64(len(kinds.Names))) {
				return nil, fmt.Errorf("%s: row %d has kind %g, not one of the %d kinds listed", path, i, kv, len(kinds.Names))
			}
			s.Kind = append(s.Kind, int32(kv))
			for j, c := range pcols {
				s.Params[j] = append(s.Params[j], c[i])
			}
		}
	}
	return tablefile.WithEmptySamples(path, tab.meta, out, func(s *Sample) (int, int) { return s.Chain, s.Index },
		func(c, i int) Sample {
			e := Sample{Chain: c, Index: i}
			if kinds != nil {
				e.Kind, e.Params = []int32{}, make([][]float64, len(pcols))
			}
			return e
		})
}

// SampleStats is the chain's state at one kept sample: the row of samples.parquet.
type SampleStats struct {
	Chain, Index int
	// N is the number of sources.
	N int
	// LogLike and LogPrior are ln L and ln prior of the catalogue.
	LogLike, LogPrior float64
	// Background is the sky level in counts.
	Background float64
	// TotalFlux is the sum of the sources' fluxes (NaN when read from a file without it).
	TotalFlux float64
	// Hyper holds the priors' hyperparameters at this sample.
	Hyper
	// Acceptance holds the acceptance rate of each move type since the previous kept sample,
	// in the order of the move names given to CreateSamples.
	Acceptance []float64
}

// Hyper holds the hyperparameters of a sample's priors: the Poisson count prior's density in
// sources per pixel, the flux prior's slope (below the break for a broken power law), break
// and slope above the break. Each is NaN where the run's priors have no such parameter (or,
// in a merged tiled run, where every tile has its own).
type Hyper struct {
	Density, FluxSlope, FluxBreak, FluxSlopeBright float64
}

// NoHyper returns a Hyper without any parameter (all NaN).
func NoHyper() Hyper {
	nan := math.NaN()
	return Hyper{Density: nan, FluxSlope: nan, FluxBreak: nan, FluxSlopeBright: nan}
}

// hyperColumns are the columns of Hyper's fields in samples.parquet, in field order.
var hyperColumns = []string{"density", "flux_slope", "flux_break", "flux_slope_bright"}

// SamplesWriter streams per-sample chain statistics to samples.parquet: columns chain, sample,
// n (int32), loglike, logprior, background, total_flux, density, flux_slope, flux_break,
// flux_slope_bright (float64; the last four NaN where not used), then acc_<move> for each
// move type.
type SamplesWriter struct {
	t     *tablefile.Writer
	moves []string
	vals  []float64
}

// CreateSamples starts writing samples.parquet at path; moves names the move types (e.g.
// "move", "birth", "death", "split", "merge") whose acceptance rates each row carries.
func CreateSamples(path string, moves []string, meta map[string]string) (*SamplesWriter, error) {
	cols := []tablefile.Column{
		{Name: "chain", Kind: tablefile.Int32}, {Name: "sample", Kind: tablefile.Int32}, {Name: "n", Kind: tablefile.Int32},
		{Name: "loglike", Kind: tablefile.Double}, {Name: "logprior", Kind: tablefile.Double}, {Name: "background", Kind: tablefile.Double},
		{Name: "total_flux", Kind: tablefile.Double},
	}
	for _, h := range hyperColumns {
		cols = append(cols, tablefile.Column{Name: h, Kind: tablefile.Double})
	}
	seen := map[string]bool{}
	for _, m := range moves {
		if m == "" || seen[m] {
			return nil, fmt.Errorf("%s: move names must be distinct and non-empty, got %q", path, moves)
		}
		seen[m] = true
		cols = append(cols, tablefile.Column{Name: "acc_" + m, Kind: tablefile.Double})
	}
	t, err := createTable(path, cols, meta)
	if err != nil {
		return nil, err
	}
	return &SamplesWriter{t: t, moves: append([]string(nil), moves...)}, nil
}

// Write appends one kept sample's statistics.
func (w *SamplesWriter) Write(s SampleStats) error {
	if len(s.Acceptance) != len(w.moves) {
		return w.t.Fail(fmt.Errorf("sample %d of chain %d has %d acceptance rates for %d move types",
			s.Index, s.Chain, len(s.Acceptance), len(w.moves)))
	}
	w.vals = append(w.vals[:0], float64(s.Chain), float64(s.Index), float64(s.N),
		s.LogLike, s.LogPrior, s.Background, s.TotalFlux,
		s.Density, s.FluxSlope, s.FluxBreak, s.FluxSlopeBright)
	w.vals = append(w.vals, s.Acceptance...)
	return w.t.Add(w.vals...)
}

// Close finishes the file and moves it into place.
func (w *SamplesWriter) Close() error { return w.t.Close() }

// Abort discards the file being written; the destination is left untouched.
func (w *SamplesWriter) Abort() { w.t.Abort() }

// ReadSamples reads samples.parquet and returns the move names (from the acc_* columns, in
// file order) and the rows in file order (hyperparameters NaN in files without them).
func ReadSamples(path string) (moves []string, rows []SampleStats, err error) {
	tab, err := readTable(path, "chain", "sample", "n", "loglike", "logprior", "background")
	if err != nil {
		return nil, nil, err
	}
	for _, name := range tab.names {
		if len(name) > 4 && name[:4] == "acc_" {
			moves = append(moves, name[4:])
		}
	}
	rows = make([]SampleStats, tab.rows)
	for i := range rows {
		r := &rows[i]
		r.Chain, r.Index, r.N = int(tab.cols["chain"][i]), int(tab.cols["sample"][i]), int(tab.cols["n"][i])
		r.LogLike, r.LogPrior = tab.cols["loglike"][i], tab.cols["logprior"][i]
		r.Background = tab.cols["background"][i]
		r.TotalFlux = math.NaN()
		if tf, ok := tab.cols["total_flux"]; ok {
			r.TotalFlux = tf[i]
		}
		r.Hyper = NoHyper()
		for k, h := range []*float64{&r.Density, &r.FluxSlope, &r.FluxBreak, &r.FluxSlopeBright} {
			if col, ok := tab.cols[hyperColumns[k]]; ok {
				*h = col[i]
			}
		}
		r.Acceptance = make([]float64, len(moves))
		for k, m := range moves {
			r.Acceptance[k] = tab.cols["acc_"+m][i]
		}
	}
	return moves, rows, nil
}
