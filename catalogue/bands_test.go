package catalogue

import (
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// TestBandsFiles writes a two-band ensemble and its condensed catalogue (Parquet and FITS)
// and reads each band back: flux_<band> columns, mag_<band> and their errors, metadata.
func TestBandsFiles(t *testing.T) {
	dir := t.TempDir()
	zp := func(f float64) float64 { return 20 - 2.5*math.Log10(f) }
	d := Derived{Bands: &Bands{Names: []string{"r", "i"}, Magnitudes: []func(float64) float64{zp, zp}}}
	samples := []Sample{
		{Chain: 0, Index: 0, X: []float64{1, 5}, Y: []float64{2, 6}, Flux: []float64{100, 200}, Bands: [][]float64{{150, 250}}},
		{Chain: 0, Index: 1, X: []float64{1.1}, Y: []float64{2.1}, Flux: []float64{110}, Bands: [][]float64{{160}}},
	}
	ens, err := CreateEnsemble(filepath.Join(dir, "e.parquet"), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		if err := ens.Write(&samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := ens.Close(); err != nil {
		t.Fatal(err)
	}
	tab, err := readTable(filepath.Join(dir, "e.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"chain", "sample", "x", "y", "flux_r", "flux_i", "mag_r", "mag_i"}
	if !slices.Equal(tab.names, want) {
		t.Errorf("ensemble columns %v, want %v", tab.names, want)
	}
	for band, f := range map[string]float64{"": 100, "r": 100, "i": 150} {
		got, err := ReadEnsembleBand(filepath.Join(dir, "e.parquet"), band)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Flux[0] != f {
			t.Errorf("band %q: flux %g, want %g", band, got[0].Flux[0], f)
		}
	}
	if _, err := ReadEnsembleBand(filepath.Join(dir, "e.parquet"), "g"); err == nil {
		t.Error("band g of an r+i ensemble was read")
	}
	cond, err := Condense(samples, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cond) != 2 || cond[0].BandFlux[0] != 155 || cond[0].Flux != 105 {
		t.Fatalf("condensed %+v", cond)
	}
	if err := WriteCondensedParquet(filepath.Join(dir, "c.parquet"), cond, d, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteCondensedFITS(filepath.Join(dir, "c.fits"), cond, d, nil); err != nil {
		t.Fatal(err)
	}
	tab, err = readTable(filepath.Join(dir, "c.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"x", "y", "flux_r", "x_err", "y_err", "flux_r_err", "prevalence", "flux_i", "flux_i_err", "mag_r", "mag_i", "mag_r_err", "mag_i_err"}
	if !slices.Equal(tab.names, want) {
		t.Errorf("condensed columns %v, want %v", tab.names, want)
	}
	if e, w := tab.cols["mag_i_err"][0], 2.5/math.Ln10*cond[0].BandFluxErr[0]/155; math.Abs(e-w) > 1e-12 {
		t.Errorf("mag_i_err %g, want %g", e, w)
	}
	for _, f := range []string{"c.parquet", "c.fits"} {
		s, ens, err := ReadEstimatesBand(filepath.Join(dir, f), "i")
		if err != nil {
			t.Fatal(err)
		}
		if ens || s[0].Flux[0] != 155 {
			t.Errorf("%s band i: ensemble %v, flux %v", f, ens, s[0].Flux)
		}
		s, _, err = ReadEstimates(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if s[0].Flux[0] != 105 {
			t.Errorf("%s: reference flux %v", f, s[0].Flux)
		}
	}
}
