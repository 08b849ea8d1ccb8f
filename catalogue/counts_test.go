package catalogue

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

// identityMag bins "fluxes" that are magnitudes already, so that hand-made samples read easily.
func identityMag(f float64) float64 { return f }

// TestCountSamplesByHand checks the counts of a small ensemble computed by hand: bins of 0.5
// mag from the brightest source's to the faintest's, empty bins between them included, an empty
// sample counting zero everywhere, and the empirical quantiles of 5 samples (q-quantile = the
// (⌈5q⌉)-th smallest count: p05 and p16 the smallest, the median the third, p84 and p95 the
// largest).
func TestCountSamplesByHand(t *testing.T) {
	samples := []Sample{
		{Flux: []float64{18.2, 18.4, 19.1}},
		{Flux: []float64{18.0, 19.4, 19.6}},
		{Flux: []float64{18.3}},
		{},
		{Flux: []float64{18.1, 18.2, 18.49, 20.2}},
	}
	got := CountSamples(samples, Binning{Magnitude: identityMag})
	// Per bin, counts per sample: [18, 18.5): 2 1 1 0 3; [18.5, 19): none; [19, 19.5): 1 1 0 0
	// 0; [19.5, 20): 0 1 0 0 0; [20, 20.5): 0 0 0 0 1.
	want := []CountBin{
		{Lo: 18, Hi: 18.5, P05: 0, P16: 0, Median: 1, P84: 3, P95: 3},
		{Lo: 18.5, Hi: 19},
		{Lo: 19, Hi: 19.5, P84: 1, P95: 1},
		{Lo: 19.5, Hi: 20, P84: 1, P95: 1},
		{Lo: 20, Hi: 20.5, P84: 1, P95: 1},
	}
	if !got.Magnitudes || got.Samples != 5 || !reflect.DeepEqual(got.Bins, want) {
		t.Errorf("counts:\n got %+v\nwant %+v", got, want)
	}
	if !math.IsNaN(got.Limit) {
		t.Errorf("limit %g before one is set, want NaN", got.Limit)
	}
	if c := CountSamples(nil, Binning{Magnitude: identityMag}); c.Samples != 0 || len(c.Bins) != 0 {
		t.Errorf("no sample: %+v", c)
	}
}

// TestCountQuantileRule checks the quantile definition on 20 samples holding 0, 1, …, 19
// sources of one bin: the q-quantile is the ⌈20q⌉-th smallest count (p05 → 1st, p16 → 4th,
// median → 10th, p84 → 17th, p95 → 19th), not an interpolation.
func TestCountQuantileRule(t *testing.T) {
	c := NewCounter(Binning{Magnitude: identityMag})
	for s := 19; s >= 0; s-- { // any order
		f := make([]float64, s)
		for i := range f {
			f[i] = 21.25
		}
		c.Add(f)
	}
	got := c.Counts()
	want := []CountBin{{Lo: 21, Hi: 21.5, P05: 0, P16: 3, Median: 9, P84: 16, P95: 18}}
	if !reflect.DeepEqual(got.Bins, want) {
		t.Errorf("got %+v, want %+v", got.Bins, want)
	}
}

// TestCountFluxBins checks the 0.2 dex flux bins: bounds 10^(0.2k), and fluxes with no
// logarithm left out.
func TestCountFluxBins(t *testing.T) {
	got := CountSamples([]Sample{{Flux: []float64{1, 1.5, 0.5, 0, -3, math.NaN()}}}, Binning{})
	if got.Magnitudes || len(got.Bins) != 3 {
		t.Fatalf("got %+v, want 3 flux bins", got)
	}
	wantLo := []float64{math.Pow(10, -0.4), math.Pow(10, -0.2), 1}
	wantMedian := []float64{1, 0, 2}
	for i, b := range got.Bins {
		if math.Abs(b.Lo-wantLo[i]) > 1e-12 || math.Abs(b.Hi-wantLo[i]*math.Pow(10, 0.2)) > 1e-12 || b.Median != wantMedian[i] {
			t.Errorf("bin %d: %+v, want [%g, %g) with median %g", i, b, wantLo[i], wantLo[i]*math.Pow(10, 0.2), wantMedian[i])
		}
	}
}

// TestDetectionLimit checks the limit on hand-made condensed catalogues: the faint edge of the
// faintest bin whose mean prevalence reaches 0.5, whatever brighter bins hold.
func TestDetectionLimit(t *testing.T) {
	cond := []CondensedSource{
		{Flux: 17.2, Prevalence: 0.3}, // a poor bright bin does not set the limit
		{Flux: 18.1, Prevalence: 1}, {Flux: 18.4, Prevalence: 0.9},
		{Flux: 19.2, Prevalence: 0.3}, {Flux: 19.3, Prevalence: 0.8}, // mean 0.55
		{Flux: 20.1, Prevalence: 0.2}, {Flux: 21.4, Prevalence: 0.1},
	}
	if l, ok := DetectionLimit(Binning{Magnitude: identityMag}, cond); !ok || l != 19.5 {
		t.Errorf("magnitude limit %g, %v; want 19.5", l, ok)
	}
	flux := []CondensedSource{{Flux: 100, Prevalence: 1}, {Flux: 12, Prevalence: 0.6}, {Flux: 3, Prevalence: 0.2}}
	if l, ok := DetectionLimit(Binning{}, flux); !ok || math.Abs(l-10) > 1e-12 {
		t.Errorf("flux limit %g, %v; want 10", l, ok)
	}
	if l, ok := DetectionLimit(Binning{}, flux[2:]); ok {
		t.Errorf("limit %g with no bin at prevalence 0.5", l)
	}
}

// TestCountsFile round-trips counts through counts.parquet in both binnings.
func TestCountsFile(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []Binning{{Magnitude: identityMag}, {}} {
		c := CountSamples([]Sample{{Flux: []float64{18.2, 19.3}}, {Flux: []float64{18.3}}}, b)
		c.Limit = 19
		path := filepath.Join(dir, "counts.parquet")
		if err := WriteCounts(path, c, map[string]string{"probcat.seed": "3"}); err != nil {
			t.Fatal(err)
		}
		back, err := ReadCounts(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("read back %+v, wrote %+v", back, c)
		}
		tab, err := readTable(path)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"flux_lo", "flux_hi", "median", "p05", "p16", "p84", "p95"}
		if b.Magnitudes() {
			names[0], names[1] = "mag_lo", "mag_hi"
		}
		if !reflect.DeepEqual(tab.names, names) || tab.meta["probcat.seed"] != "3" || tab.meta[DetectionLimitKey] != "19" {
			t.Errorf("columns %v (want %v), metadata %v", tab.names, names, tab.meta)
		}
	}
}
