package catalogue

import (
	"path/filepath"
	"testing"
)

// TestSelectKind reads a truth with kinds back from Parquet and FITS (kinds from the
// metadata and from the KINDn cards) and keeps each kind in turn.
func TestSelectKind(t *testing.T) {
	samples, kinds := mixedSamples()
	dir := t.TempDir()
	for _, name := range []string{"truth.parquet", "truth.fits"} {
		path := filepath.Join(dir, name)
		write := WriteSampleParquet
		if filepath.Ext(name) == ".fits" {
			write = WriteSampleFITS
		}
		if err := write(path, &samples[0], Derived{Kinds: kinds}); err != nil {
			t.Fatal(err)
		}
		s, _, err := ReadEstimates(path)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ReadKinds(path)
		if err != nil || k == nil || k.Names[1] != "galaxy-exp" {
			t.Fatalf("%s: kinds %+v, %v", name, k, err)
		}
		for _, gal := range []bool{false, true} {
			got, err := SelectKind(s, k, gal)
			if err != nil {
				t.Fatal(err)
			}
			want := 10.0 // the star
			if gal {
				want = 30
			}
			if len(got[0].X) != 1 || got[0].Y[0] != want {
				t.Errorf("%s, galaxies %v: kept %+v", name, gal, got[0])
			}
		}
	}
	if _, err := SelectKind([]Sample{{X: []float64{1}, Y: []float64{1}, Flux: []float64{1}}}, kinds, true); err == nil {
		t.Error("a sample without kinds was filtered without error")
	}
}
