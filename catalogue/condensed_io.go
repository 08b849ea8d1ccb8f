package catalogue

import (
	"fmt"

	"github.com/probcat/probcat/internal/tablefile"
)

// condensedColumns are the fixed columns of a condensed catalogue file, in file order.
var condensedColumns = []tablefile.Column{
	{Name: "x", Kind: tablefile.Double}, {Name: "y", Kind: tablefile.Double}, {Name: "flux", Kind: tablefile.Double},
	{Name: "x_err", Kind: tablefile.Double}, {Name: "y_err", Kind: tablefile.Double}, {Name: "flux_err", Kind: tablefile.Double},
	{Name: "prevalence", Kind: tablefile.Double},
}

// WriteCondensedParquet writes a condensed catalogue to path (columns x, y, flux, x_err, y_err,
// flux_err, prevalence, then for mixed kinds kind (the most frequent), p_galaxy, the kinds'
// parameters (null where that kind lacks one) and each kind's fraction p_<kind>, then mag
// and ra, dec when d asks for them), atomically. A multi-band catalogue (d.Bands) names the
// reference band's flux columns flux_<band> and flux_<band>_err and adds them for every
// other band after prevalence; its magnitudes are mag_<band> and mag_<band>_err.
func WriteCondensedParquet(path string, cs []CondensedSource, d Derived, meta map[string]string) error {
	cols := append([]tablefile.Column(nil), condensedColumns...)
	if b := d.Bands; b != nil {
		cols[2].Name, cols[5].Name = b.flux(0), b.flux(0)+"_err"
		for k := 1; k < len(b.Names); k++ {
			cols = append(cols, tablefile.Column{Name: b.flux(k), Kind: tablefile.Double}, tablefile.Column{Name: b.flux(k) + "_err", Kind: tablefile.Double})
		}
		meta = withBands(meta, b)
	}
	if d.Kinds != nil {
		cols = append(cols, tablefile.Column{Name: "kind", Kind: tablefile.Int32}, tablefile.Column{Name: "p_galaxy", Kind: tablefile.Double})
		cols = append(cols, d.Kinds.kindColumns()[1:]...)
		for i := range d.Kinds.Names {
			cols = append(cols, tablefile.Column{Name: d.Kinds.fracColumn(i), Kind: tablefile.Double})
		}
		meta = withKinds(meta, d.Kinds)
	}
	cols = append(cols, d.columns()...)
	if b := d.Bands; b != nil {
		for k, n := range b.Names {
			if b.mag(k) != nil {
				cols = append(cols, tablefile.Column{Name: "mag_" + n + "_err", Kind: tablefile.Double})
			}
		}
	}
	t, err := createTable(path, cols, meta)
	if err != nil {
		return err
	}
	var vals []float64
	for _, c := range cs {
		vals = append(vals[:0], c.X, c.Y, c.Flux, c.XErr, c.YErr, c.FluxErr, c.Prevalence)
		if b := d.Bands; b != nil {
			for k := 1; k < len(b.Names); k++ {
				f, e := c.bandFlux(k)
				vals = append(vals, f, e)
			}
		}
		if k := d.Kinds; k != nil {
			vals = append(vals, float64(modeKind(c.KindFrac)), k.pGalaxy(c.KindFrac))
			for j := range k.Params {
				vals = append(vals, param(c, j))
			}
			for i := range k.Names {
				vals = append(vals, frac(c, i))
			}
		}
		vals = d.appendValues(vals, c.X, c.Y, c.Flux, func(k int) float64 { f, _ := c.bandFlux(k); return f })
		if b := d.Bands; b != nil {
			for k := range b.Names {
				if b.mag(k) != nil {
					vals = append(vals, magErr(c.bandFlux(k)))
				}
			}
		}
		if err := t.Add(vals...); err != nil {
			return err
		}
	}
	return t.Close()
}

// ReadCondensedParquet reads a condensed catalogue written by WriteCondensedParquet. Only x,
// y and flux are required; missing error columns read as 0 and a missing prevalence as 1, so
// that any Parquet catalogue with x, y, flux columns can be scored. Of a multi-band
// catalogue it reads the reference band's flux (see ReadEstimatesBand).
func ReadCondensedParquet(path string) ([]CondensedSource, error) {
	tab, err := readTable(path, "x", "y", "flux")
	if err != nil {
		return nil, err
	}
	get := func(name string, i int, def float64) float64 {
		if c, ok := tab.cols[name]; ok {
			return c[i]
		}
		return def
	}
	out := make([]CondensedSource, tab.rows)
	for i := range out {
		out[i] = CondensedSource{
			X: get("x", i, 0), Y: get("y", i, 0), Flux: get("flux", i, 0),
			XErr: get("x_err", i, 0), YErr: get("y_err", i, 0), FluxErr: get("flux_err", i, 0),
			Prevalence: get("prevalence", i, 1),
		}
	}
	k, err := KindsFromMeta(path, tab.meta)
	if err != nil {
		return nil, err
	}
	readCondensedKinds(k, out, func(name string) []float64 { return tab.cols[name] })
	return out, nil
}

// ReadEstimates reads any catalogue probcat can score: an ensemble Parquet file (it has chain
// and sample columns) gives its samples; another Parquet file with x, y, flux columns (a
// condensed catalogue), a FITS binary table with those columns, or a text file of x y flux rows,
// gives one sample. ensemble reports which it was. Of a multi-band catalogue it reads the
// reference band's fluxes.
func ReadEstimates(path string) (samples []Sample, ensemble bool, err error) {
	return ReadEstimatesBand(path, "")
}

// ReadEstimatesBand is ReadEstimates with the fluxes of one band of a multi-band catalogue
// (its flux_<band> columns): "" for the reference band. Asking a single-band catalogue, or a
// text file, for a band is an error.
func ReadEstimatesBand(path, band string) (samples []Sample, ensemble bool, err error) {
	switch tablefile.Magic(path) {
	case "SIMPLE":
		cs, err := readCondensedFITSBand(path, band)
		if err != nil {
			return nil, false, err
		}
		return SingleSample(cs), false, nil
	case "PAR1":
	default:
		if band != "" {
			return nil, false, fmt.Errorf("%s: a text catalogue has no bands, so no band %s", path, band)
		}
		x, y, f, err := ReadXYFlux(path)
		if err != nil {
			return nil, false, err
		}
		return []Sample{{X: x, Y: y, Flux: f}}, false, nil
	}
	tab, err := readTableBand(path, band, "x", "y", "flux")
	if err != nil {
		return nil, false, err
	}
	if _, ok := tab.cols["sample"]; ok {
		if _, ok := tab.cols["chain"]; ok {
			s, err := ensembleFromTable(path, tab)
			return s, true, err
		}
	}
	s := Sample{X: tab.cols["x"], Y: tab.cols["y"], Flux: tab.cols["flux"]}
	if k, ok := tab.cols["kind"]; ok {
		s.Kind = make([]int32, len(k))
		for i, v := range k {
			s.Kind[i] = int32(v)
		}
	}
	return []Sample{s}, false, nil
}

// SingleSample wraps a condensed catalogue as an ensemble of one sample, for scoring.
func SingleSample(cs []CondensedSource) []Sample {
	s := Sample{}
	for _, c := range cs {
		s.X, s.Y, s.Flux = append(s.X, c.X), append(s.Y, c.Y), append(s.Flux, c.Flux)
		if c.KindFrac != nil {
			s.Kind = append(s.Kind, int32(modeKind(c.KindFrac)))
		}
	}
	return []Sample{s}
}
