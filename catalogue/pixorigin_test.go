package catalogue

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/probcat/probcat/fits"
)

// TestPixelConventionStated checks that the condensed catalogue states its pixel convention:
// PIXORIG = 0 in the FITS header, x_fits and y_fits columns 1-based for DS9 and astropy, and
// the same in the Parquet files' key-value metadata.
func TestPixelConventionStated(t *testing.T) {
	dir := t.TempDir()
	cs := []CondensedSource{{X: 0, Y: 0, Flux: 100, Prevalence: 1}, {X: 10.25, Y: 3.5, Flux: 50, Prevalence: 0.5}}
	fp := filepath.Join(dir, "c.fits")
	if err := WriteCondensedFITS(fp, cs, Derived{}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := fits.Open(fp)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := f.Table(1)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := tab.Header.Int("PIXORIG"); err != nil || v != 0 {
		t.Errorf("condensed FITS: PIXORIG %d, %v; want 0", v, err)
	}
	for name, off := range map[string]func(CondensedSource) float64{
		"x_fits": func(c CondensedSource) float64 { return c.X + 1 },
		"y_fits": func(c CondensedSource) float64 { return c.Y + 1 },
	} {
		col, err := tab.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		v, err := col.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range cs {
			if v[i] != off(cs[i]) {
				t.Errorf("%s of source %d is %g, want %g", name, i, v[i], off(cs[i]))
			}
		}
	}
	back, err := ReadCondensedFITS(fp)
	if err != nil || len(back) != 2 || !reflect.DeepEqual(back[1], cs[1]) {
		t.Errorf("read back %+v, %v", back, err)
	}
	for _, path := range []string{filepath.Join(dir, "c.parquet"), filepath.Join(dir, "e.parquet"), filepath.Join(dir, "p.parquet")} {
		var err error
		switch filepath.Base(path) {
		case "c.parquet":
			err = WriteCondensedParquet(path, cs, Derived{}, map[string]string{"k": "v"})
		case "e.parquet":
			var w *EnsembleWriter
			if w, err = CreateEnsemble(path, Derived{}, nil); err == nil {
				if err = w.Write(&Sample{X: []float64{1}, Y: []float64{2}, Flux: []float64{3}}); err == nil {
					err = w.Close()
				}
			}
		default:
			err = WriteCatalogueParquet(path, []float64{1}, []float64{2}, []float64{3}, Derived{})
		}
		if err != nil {
			t.Fatal(err)
		}
		tab, err := readTable(path, "x")
		if err != nil {
			t.Fatal(err)
		}
		if tab.meta[PixelOriginKey] != "0" || tab.meta[PixelConventionKey] == "" {
			t.Errorf("%s: metadata %v does not state the pixel origin", filepath.Base(path), tab.meta)
		}
		if filepath.Base(path) == "c.parquet" && tab.meta["k"] != "v" {
			t.Errorf("%s: the caller's metadata was lost: %v", filepath.Base(path), tab.meta)
		}
	}
}
