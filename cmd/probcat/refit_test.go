package main

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestRefitFlag checks --refit: the samples carry acceptance rates of refit births, refit
// deaths and flux-group updates, and none of plain births and deaths (NaN: never proposed).
func TestRefitFlag(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	out := filepath.Join(dir, "out")
	code, _, e := probcat(t, "sample", filepath.Join(dir, "sim", "image.fits"), "--out", out, "--samples", "4", "--burn-in", "2",
		"--max-burn-in", "2", "--proposals", "40", "--chains", "1", "--refit", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	moves, rows, err := catalogue.ReadSamples(filepath.Join(out, "samples.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	rate := map[string]float64{}
	for m, name := range moves {
		rate[name] = 0
		for _, r := range rows {
			rate[name] += r.Acceptance[m]
		}
	}
	for _, name := range []string{"refit_birth", "refit_death", "flux_group"} {
		if v, ok := rate[name]; !ok || !(v > 0) {
			t.Errorf("%s: summed acceptance %v over %d samples, want > 0", name, v, len(rows))
		}
	}
	for _, name := range []string{"birth", "death"} {
		if !math.IsNaN(rate[name]) {
			t.Errorf("%s: acceptance %v with --refit, want NaN (never proposed)", name, rate[name])
		}
	}
}
