package catalogue

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestPlainCatalogueRoundTrip(t *testing.T) {
	dir := t.TempDir()
	x, y, f := []float64{1.5, 20, 33.25}, []float64{2, 4.75, 9}, []float64{300, 1e4, 512}
	for _, p := range []string{filepath.Join(dir, "truth.parquet"), filepath.Join(dir, "truth.fits")} {
		var err error
		if filepath.Ext(p) == ".fits" {
			err = WriteCatalogueFITS(p, x, y, f, testDerived)
		} else {
			err = WriteCatalogueParquet(p, x, y, f, testDerived)
		}
		if err != nil {
			t.Fatal(err)
		}
		s, ens, err := ReadEstimates(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Sample{X: x, Y: y, Flux: f}); ens || len(s) != 1 || !reflect.DeepEqual(s[0], want) {
			t.Errorf("%s: read back %+v (ensemble %v), want %+v", p, s, ens, want)
		}
	}
}
