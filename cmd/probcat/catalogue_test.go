package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
)

// TestCatalogueFiles checks the catalogue files sample writes beside the condensed ones: the
// condensed sources with prevalence ≥ --min-prevalence (0.5 by default), in the same order,
// in Parquet and FITS alike, while the condensed files keep every cluster whatever the cut.
func TestCatalogueFiles(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	img := filepath.Join(dir, "sim", "image.fits")
	args := []string{"--samples", "8", "--burn-in", "4", "--max-burn-in", "4", "--proposals", "20", "--chains", "2", "--quiet"}
	read := func(path string) []catalogue.CondensedSource {
		t.Helper()
		var cs []catalogue.CondensedSource
		var err error
		if filepath.Ext(path) == ".fits" {
			cs, err = catalogue.ReadCondensedFITS(path)
		} else {
			cs, err = catalogue.ReadCondensedParquet(path)
		}
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	var condensed []byte
	for _, c := range []struct {
		name string
		cut  float64
		flag []string
	}{{"default", 0.5, nil}, {"cut", 0.8, []string{"--min-prevalence", "0.8"}}} {
		out := filepath.Join(dir, c.name)
		mustRun(t, append(append([]string{"sample", img, "--out", out}, args...), c.flag...)...)
		all := read(filepath.Join(out, "condensed.parquet"))
		var want []catalogue.CondensedSource
		low := 0
		for _, s := range all {
			if s.Prevalence >= c.cut {
				want = append(want, s)
			} else {
				low++
			}
		}
		if low == 0 || len(want) == 0 {
			t.Fatalf("%s: %d condensed sources below %g and %d above: the test does not exercise the cut", c.name, low, c.cut, len(want))
		}
		for _, f := range []string{"catalogue.parquet", "catalogue.fits"} {
			got := read(filepath.Join(out, f))
			if len(got) != len(want) {
				t.Errorf("%s: %s holds %d sources, want the %d of prevalence ≥ %g", c.name, f, len(got), len(want), c.cut)
				continue
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("%s: %s source %d is %+v, want %+v", c.name, f, i, got[i], want[i])
				}
			}
		}
		ff, err := fits.Open(filepath.Join(out, "catalogue.fits"))
		if err != nil {
			t.Fatal(err)
		}
		tab, err := ff.Table(1)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := tab.Header.Float("MINPREV"); err != nil || v != c.cut {
			t.Errorf("%s: catalogue.fits MINPREV %g, %v; want %g", c.name, v, err, c.cut)
		}
		b, err := os.ReadFile(filepath.Join(out, "condensed.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if condensed == nil {
			condensed = b
		} else if string(b) != string(condensed) {
			t.Errorf("%s: condensed.parquet depends on --min-prevalence", c.name)
		}
	}
}
