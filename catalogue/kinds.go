package catalogue

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/probcat/probcat/fits"

	"github.com/probcat/probcat/internal/tablefile"
)

// Kinds describes the source kinds of a catalogue of mixed kinds (model.Mixed: stars and
// galaxies): their names, and the parameters beyond flux that some of them have. Files then
// carry a `kind` column (an index into Names, which the file's metadata lists) and one column
// per parameter, null for the sources whose kind lacks it; a condensed catalogue also carries
// `p_galaxy`, the fraction of a source's samples in which it is a galaxy, and `p_<kind>`, that
// of each kind.
type Kinds struct {
	Names  []string
	Params []string
	// Units gives each parameter's unit ("" when it has none), for FITS TUNIT.
	Units []string
}

// kindsKey is the file metadata key holding a catalogue's Kinds as JSON.
const kindsKey = "probcat.kinds"

// IsGalaxy reports whether kind i is a galaxy (its name starts with "galaxy").
func (k *Kinds) IsGalaxy(i int) bool {
	return i >= 0 && i < len(k.Names) && strings.HasPrefix(k.Names[i], "galaxy")
}

// withKinds adds the kinds to a file's metadata (a copy).
func withKinds(meta map[string]string, k *Kinds) map[string]string {
	out := make(map[string]string, len(meta)+1)
	for key, v := range meta {
		out[key] = v
	}
	b, _ := json.Marshal(k)
	out[kindsKey] = string(b)
	return out
}

// KindsFromMeta returns the Kinds stored in a Parquet file's key-value metadata (path names the
// file in errors), nil when it has none.
func KindsFromMeta(path string, meta map[string]string) (*Kinds, error) {
	v, ok := meta[kindsKey]
	if !ok {
		return nil, nil
	}
	var k Kinds
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return nil, fmt.Errorf("%s: bad %s metadata: %v", path, kindsKey, err)
	}
	return &k, nil
}

// kindColumns are the ensemble's columns for kinds: kind, then the parameters (nullable).
func (k *Kinds) kindColumns() []tablefile.Column {
	cols := []tablefile.Column{{Name: "kind", Kind: tablefile.Int32}}
	for _, p := range k.Params {
		cols = append(cols, tablefile.Column{Name: p, Kind: tablefile.OptDouble})
	}
	return cols
}

// modeKind returns the most frequent kind of fractions frac (the lowest index on ties), −1
// when frac is empty.
func modeKind(frac []float64) int {
	best := -1
	for i, f := range frac {
		if best < 0 || f > frac[best] {
			best = i
		}
	}
	return best
}

// fracColumn names the condensed catalogues' column of the fraction of samples in which a
// source has kind i: "p_" and the kind's name with "-" as "_" (p_point, p_galaxy_exp).
func (k *Kinds) fracColumn(i int) string {
	return "p_" + strings.ReplaceAll(k.Names[i], "-", "_")
}

// frac returns a condensed source's fraction of kind i, 0 when it has none.
func frac(c CondensedSource, i int) float64 {
	if i < len(c.KindFrac) {
		return c.KindFrac[i]
	}
	return 0
}

// readCondensedKinds fills the kind fractions and parameters of condensed sources read
// from a file of mixed kinds, from its columns (by name; get returns nil for a missing one).
func readCondensedKinds(k *Kinds, cs []CondensedSource, get func(name string) []float64) {
	if k == nil {
		return
	}
	fr := make([][]float64, len(k.Names))
	for i := range k.Names {
		fr[i] = get(k.fracColumn(i))
	}
	ps := make([][]float64, len(k.Params))
	for j, p := range k.Params {
		ps[j] = get(p)
	}
	for r := range cs {
		cs[r].KindFrac = make([]float64, len(k.Names))
		for i, col := range fr {
			if col != nil {
				cs[r].KindFrac[i] = col[r]
			}
		}
		cs[r].Params = make([]float64, len(k.Params))
		for j, col := range ps {
			cs[r].Params[j] = math.NaN()
			if col != nil {
				cs[r].Params[j] = col[r]
			}
		}
	}
}

// pGalaxy sums the fractions of the galaxy kinds.
func (k *Kinds) pGalaxy(frac []float64) float64 {
	p := 0.0
	for i, f := range frac {
		if k.IsGalaxy(i) {
			p += f
		}
	}
	return p
}

// unit returns the unit of parameter j, "" when none is known.
func (k *Kinds) unit(j int) string {
	if j < len(k.Units) {
		return k.Units[j]
	}
	return ""
}

// param returns the value of parameter j of a condensed source, NaN when it has none.
func param(c CondensedSource, j int) float64 {
	if j < len(c.Params) {
		return c.Params[j]
	}
	return math.NaN()
}

// setKindCards writes the kinds into a FITS header: KINDn, the name of kind n, and KPARn, the
// name of kind parameter n.
func setKindCards(h *fits.Header, k *Kinds) {
	for i, name := range k.Names {
		h.Set(fmt.Sprintf("KIND%d", i), name, fmt.Sprint("source kind of kind column value ", i))
	}
	for i, name := range k.Params {
		h.Set(fmt.Sprintf("KPAR%d", i), name, "a parameter some kinds have")
	}
}

// ReadKinds returns the kinds of a catalogue file of mixed kinds (an ensemble, condensed
// catalogue or simulation truth, Parquet or FITS), nil for a file without kinds. From FITS
// the names and parameters come from the KINDn and KPARn cards (no units).
func ReadKinds(path string) (*Kinds, error) {
	if tablefile.Magic(path) == "SIMPLE" {
		f, err := fits.Open(path)
		if err != nil {
			return nil, err
		}
		return fitsKinds(f)
	}
	meta, err := readMeta(path)
	if err != nil {
		return nil, err
	}
	return KindsFromMeta(path, meta)
}

// fitsKinds returns the kinds that the KINDn and KPARn cards of an open FITS file's first
// header holding them describe, nil when none does.
func fitsKinds(f *fits.File) (*Kinds, error) {
	for i := 0; i < f.NumHDU(); i++ {
		h, err := f.Header(i)
		if err != nil {
			return nil, err
		}
		var k Kinds
		for n := 0; ; n++ {
			name, err := h.String(fmt.Sprintf("KIND%d", n))
			if err != nil {
				break
			}
			k.Names = append(k.Names, name)
		}
		for n := 0; ; n++ {
			name, err := h.String(fmt.Sprintf("KPAR%d", n))
			if err != nil {
				break
			}
			k.Params = append(k.Params, name)
		}
		if len(k.Names) > 0 {
			return &k, nil
		}
	}
	return nil, nil
}

// SelectKind keeps, in every sample, the sources that are galaxies (galaxies true) or that
// are not (false), as kinds names them. It fails for samples without kinds.
func SelectKind(samples []Sample, kinds *Kinds, galaxies bool) ([]Sample, error) {
	out := make([]Sample, len(samples))
	for si, s := range samples {
		if len(s.Kind) != len(s.X) {
			return nil, fmt.Errorf("sample %d of chain %d has no kind for its sources", s.Index, s.Chain)
		}
		o := Sample{Chain: s.Chain, Index: s.Index, Kind: []int32{}}
		if s.Params != nil {
			o.Params = make([][]float64, len(s.Params))
		}
		for i, k := range s.Kind {
			if kinds.IsGalaxy(int(k)) != galaxies {
				continue
			}
			o.X, o.Y, o.Flux, o.Kind = append(o.X, s.X[i]), append(o.Y, s.Y[i]), append(o.Flux, s.Flux[i]), append(o.Kind, k)
			for j := range o.Params {
				o.Params[j] = append(o.Params[j], s.Params[j][i])
			}
		}
		out[si] = o
	}
	return out, nil
}
