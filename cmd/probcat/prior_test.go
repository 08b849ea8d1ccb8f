package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestPriorFlagsRefused checks that impossible prior settings exit with status 2 and one line
// naming the flag, leaving no output folder.
func TestPriorFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	img := filepath.Join(dir, "sim", "image.fits")
	for what, c := range map[string]struct {
		flag string
		args []string
	}{
		"negative density":       {"--density", []string{"--count-prior", "poisson", "--density", "-1"}},
		"zero density":           {"--density", []string{"--count-prior", "poisson", "--density", "0"}},
		"density not a number":   {"--density", []string{"--count-prior", "poisson", "--density", "many"}},
		"unknown count prior":    {"--count-prior", []string{"--count-prior", "uniform"}},
		"unknown flux prior":     {"--flux-prior", []string{"--flux-prior", "lognormal"}},
		"break below f_min":      {"--break", []string{"--flux-prior", "broken", "--fmin", "250", "--break", "200"}},
		"break at f_min":         {"--break", []string{"--flux-prior", "broken", "--fmin", "250", "--break", "250"}},
		"bright slope 1":         {"--slope-bright", []string{"--flux-prior", "broken", "--slope-bright", "1"}},
		"slope 1":                {"--slope", []string{"--slope", "1"}},
		"sampled slope too big":  {"--slope", []string{"--sample-slope", "--slope", "7"}},
		"break of a power law":   {"--break", []string{"--break", "1000"}},
		"bright slope, no break": {"--slope-bright", []string{"--flux-prior", "powerlaw", "--slope-bright", "3"}},
		"density with penalty":   {"--density", []string{"--count-prior", "penalty", "--density", "0.1"}},
	} {
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(what, " ", "-"))
		args := append([]string{"sample", img, "--out", out, "--samples", "1", "--burn-in", "0", "--proposals", "1", "--quiet"}, c.args...)
		code, _, e := probcat(t, args...)
		if code != 2 || !strings.Contains(e, c.flag) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line naming %s", what, code, e, c.flag)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder %s left behind", what, out)
		}
	}
}

// TestHyperparameterTraces runs a broken power law with its parameters and the count prior's
// density sampled, and a fixed PCAT-like run: samples.parquet must carry the sampled traces
// (varying) and NaN for the parameters a run does not have, and run.json the flux prior and
// the hyperparameters' R-hat and ESS.
func TestHyperparameterTraces(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	img := filepath.Join(dir, "sim", "image.fits")
	common := []string{"sample", img, "--samples", "6", "--burn-in", "2", "--max-burn-in", "2", "--proposals", "20", "--chains", "2", "--quiet"}
	hier := filepath.Join(dir, "hier")
	if code, _, e := probcat(t, append(common, "--out", hier, "--count-prior", "poisson", "--density", "auto",
		"--flux-prior", "broken", "--sample-slope", "--break", "1000")...); code != 0 {
		t.Fatalf("broken, sampled: exit %d: %s", code, e)
	}
	fixed := filepath.Join(dir, "fixed")
	if code, _, e := probcat(t, append(common, "--out", fixed, "--count-prior", "penalty", "--sample-slope=false")...); code != 0 {
		t.Fatalf("penalty, fixed slope: exit %d: %s", code, e)
	}
	_, rows, err := catalogue.ReadSamples(filepath.Join(hier, "samples.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[float64]bool{}
	for _, r := range rows {
		for name, v := range map[string]float64{"density": r.Density, "flux_slope": r.FluxSlope, "flux_break": r.FluxBreak, "flux_slope_bright": r.FluxSlopeBright} {
			if !(v > -10) || math.IsInf(v, 0) || (name != "flux_slope" && v <= 0) {
				t.Fatalf("%s = %g in chain %d sample %d", name, v, r.Chain, r.Index)
			}
			if seen[name] == nil {
				seen[name] = map[float64]bool{}
			}
			seen[name][v] = true
		}
	}
	for name, vs := range seen {
		if len(vs) < 3 {
			t.Errorf("%s takes only %d values over %d samples: not sampled?", name, len(vs), len(rows))
		}
	}
	var rec struct {
		FluxPrior   map[string]any `json:"flux_prior"`
		Convergence struct {
			Hyper map[string]struct{ RHat, ESS float64 } `json:"hyperparameters"`
		} `json:"convergence"`
		Sampler map[string]any `json:"sampler"`
	}
	b, err := os.ReadFile(filepath.Join(hier, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.FluxPrior["kind"] != "broken" || rec.FluxPrior["break"] != 1000.0 || rec.FluxPrior["sampled"] != true || rec.FluxPrior["hyperprior"] == nil {
		t.Errorf("run.json flux_prior %v", rec.FluxPrior)
	}
	if cp, _ := rec.Sampler["count_prior"].(string); !strings.Contains(cp, "gamma") {
		t.Errorf("run.json count_prior %q does not name the density's hyperprior", cp)
	}
	for _, name := range []string{"density", "flux_slope", "flux_break", "flux_slope_bright"} {
		if _, ok := rec.Convergence.Hyper[name]; !ok {
			t.Errorf("run.json convergence.hyperparameters lacks %s: %v", name, rec.Convergence.Hyper)
		}
	}
	_, rows, err = catalogue.ReadSamples(filepath.Join(fixed, "samples.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !math.IsNaN(r.Density) || !math.IsNaN(r.FluxBreak) || !math.IsNaN(r.FluxSlopeBright) || r.FluxSlope != 2 {
			t.Fatalf("fixed run: hyperparameters %+v, want NaN density, break and bright slope and slope 2", r.Hyper)
		}
	}
	if b, err = os.ReadFile(filepath.Join(fixed, "run.json")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"hyperparameters"`) {
		t.Error("fixed run: run.json reports hyperparameter diagnostics")
	}
}
