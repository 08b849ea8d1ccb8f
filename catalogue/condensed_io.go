package catalogue

import (
	"io"
	"os"
)

// condensedColumns are the fixed columns of a condensed catalogue file, in file order.
var condensedColumns = []column{
	{"x", kindDouble}, {"y", kindDouble}, {"flux", kindDouble},
	{"x_err", kindDouble}, {"y_err", kindDouble}, {"flux_err", kindDouble},
	{"prevalence", kindDouble},
}

// WriteCondensedParquet writes a condensed catalogue to path (columns x, y, flux, x_err, y_err,
// flux_err, prevalence, then mag and ra, dec when d asks for them), atomically.
func WriteCondensedParquet(path string, cs []CondensedSource, d Derived, meta map[string]string) error {
	t, err := createTable(path, append(append([]column(nil), condensedColumns...), d.columns()...), meta)
	if err != nil {
		return err
	}
	var vals []float64
	for _, c := range cs {
		vals = append(vals[:0], c.X, c.Y, c.Flux, c.XErr, c.YErr, c.FluxErr, c.Prevalence)
		vals = d.appendValues(vals, c.X, c.Y, c.Flux)
		if err := t.add(vals...); err != nil {
			return err
		}
	}
	return t.close()
}

// ReadCondensedParquet reads a condensed catalogue written by WriteCondensedParquet. Only x,
// y and flux are required; missing error columns read as 0 and a missing prevalence as 1, so
// that any Parquet catalogue with x, y, flux columns can be scored.
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
	return out, nil
}

// ReadEstimates reads any catalogue probcat can score: an ensemble Parquet file (it has chain
// and sample columns) gives its samples; another Parquet file with x, y, flux columns (a
// condensed catalogue), or a text file of x y flux rows, gives one sample. ensemble reports
// which it was.
func ReadEstimates(path string) (samples []Sample, ensemble bool, err error) {
	if !isParquet(path) {
		x, y, f, err := ReadXYFlux(path)
		if err != nil {
			return nil, false, err
		}
		return []Sample{{X: x, Y: y, Flux: f}}, false, nil
	}
	tab, err := readTable(path, "x", "y", "flux")
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
	return []Sample{s}, false, nil
}

// isParquet reports whether the file starts with Parquet's magic bytes.
func isParquet(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == "PAR1"
}
