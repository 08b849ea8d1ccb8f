package catalogue

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

// mixedSamples returns four samples of a star at (10, 10) and a galaxy at (30, 30) (in the
// last sample the galaxy is fitted as a star), kinds ["point", "galaxy-exp"] with one
// parameter, r_e, NaN for stars.
func mixedSamples() ([]Sample, *Kinds) {
	k := &Kinds{Names: []string{"point", "galaxy-exp"}, Params: []string{"r_e"}, Units: []string{"pix"}}
	nan := math.NaN()
	var out []Sample
	for i := range 4 {
		s := Sample{Chain: 0, Index: i,
			X: []float64{10 + 0.01*float64(i), 30}, Y: []float64{10, 30}, Flux: []float64{500, 900},
			Kind: []int32{0, 1}, Params: [][]float64{{nan, 2 + 0.1*float64(i)}}}
		if i == 3 {
			s.Kind[1], s.Params[0][1] = 0, nan
		}
		out = append(out, s)
	}
	return out, k
}

// TestKindsRoundTrip writes an ensemble of stars and galaxies and reads it back: kinds and
// parameters (null for stars) survive; and the condensed catalogue gives each source its most
// frequent kind, p_galaxy and the mean parameters of that kind, in Parquet and FITS.
func TestKindsRoundTrip(t *testing.T) {
	samples, kinds := mixedSamples()
	dir := t.TempDir()
	path := filepath.Join(dir, "e.parquet")
	w, err := CreateEnsemble(path, Derived{Kinds: kinds}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		if err := w.Write(&samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	back, err := ReadEnsemble(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 4 || !reflect.DeepEqual(back[3].Kind, []int32{0, 0}) || !math.IsNaN(back[0].Params[0][0]) || back[2].Params[0][1] != 2.2 {
		t.Fatalf("read back %+v", back)
	}
	if k, err := ReadKinds(path); err != nil || !reflect.DeepEqual(k, kinds) {
		t.Fatalf("kinds read back %+v, %v", k, err)
	}
	cs, err := Condense(back, 1, 0.5)
	if err != nil || len(cs) != 2 {
		t.Fatalf("condensed %+v, %v", cs, err)
	}
	gal := cs[0]
	if gal.Flux < 800 {
		gal = cs[1]
	}
	if !reflect.DeepEqual(gal.KindFrac, []float64{0.25, 0.75}) || math.Abs(gal.Params[0]-2.1) > 1e-12 {
		t.Errorf("galaxy condensed to %+v, want kind fractions [0.25 0.75] and r_e 2.1", gal)
	}
	cp, cf := filepath.Join(dir, "c.parquet"), filepath.Join(dir, "c.fits")
	if err := WriteCondensedParquet(cp, cs, Derived{Kinds: kinds}, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteCondensedFITS(cf, cs, Derived{Kinds: kinds}, nil); err != nil {
		t.Fatal(err)
	}
	for path, read := range map[string]func(string) ([]CondensedSource, error){cp: ReadCondensedParquet, cf: ReadCondensedFITS} {
		back, err := read(path)
		if err != nil || len(back) != 2 {
			t.Fatalf("%s: read back %+v, %v", path, back, err)
		}
		for i := range back {
			if !reflect.DeepEqual(back[i].KindFrac, cs[i].KindFrac) || !sameNaN(back[i].Params, cs[i].Params) {
				t.Errorf("%s: source %d read back with kinds %v and parameters %v, written %v and %v", path, i, back[i].KindFrac, back[i].Params, cs[i].KindFrac, cs[i].Params)
			}
		}
	}
	tab, err := readTable(cp)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		star := tab.cols["flux"][i] < 800
		wantKind, wantP := 1.0, 0.75
		if star {
			wantKind, wantP = 0, 0
		}
		if tab.cols["kind"][i] != wantKind || tab.cols["p_galaxy"][i] != wantP || math.IsNaN(tab.cols["r_e"][i]) != star {
			t.Errorf("condensed row %d: kind %g, p_galaxy %g, r_e %g", i, tab.cols["kind"][i], tab.cols["p_galaxy"][i], tab.cols["r_e"][i])
		}
	}
}

// TestKindsMismatch checks that a sample whose kind columns do not match the writer's kinds
// is refused with an error, not written.
func TestKindsMismatch(t *testing.T) {
	samples, kinds := mixedSamples()
	path := filepath.Join(t.TempDir(), "e.parquet")
	w, err := CreateEnsemble(path, Derived{Kinds: kinds}, nil)
	if err != nil {
		t.Fatal(err)
	}
	samples[1].Params = nil
	if err := w.Write(&samples[1]); err == nil {
		t.Error("a sample without its parameter columns was written")
	}
	w.Abort()
}

// sameNaN reports whether a and b hold the same values, NaN equal to NaN.
func sameNaN(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}
