package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestMaxSourcesFlag checks --max-sources: no kept sample above it, whole or in tiles, and a
// warning on stderr and in run.json when it binds; a cap below 1 is refused.
func TestMaxSourcesFlag(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	img := filepath.Join(dir, "sim", "image.fits")
	const maxN = 3
	for _, c := range []struct {
		name  string
		extra []string
	}{{"whole", nil}, {"tiles", []string{"--tile", "16"}}} {
		out := filepath.Join(dir, c.name)
		args := append([]string{"sample", img, "--out", out, "--samples", "4", "--burn-in", "2", "--max-burn-in", "2", "--proposals", "20",
			"--chains", "2", "--max-sources", "3", "--quiet"}, c.extra...)
		var code int
		var serr string
		e := captureStderr(t, func() { code, _, serr = probcat(t, args...) })
		e += serr
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, e)
		}
		if !strings.Contains(e, "warning: the cap of 3 sources (--max-sources)") {
			t.Errorf("%s: no warning that the cap binds on stderr: %q", c.name, e)
		}
		b, err := os.ReadFile(filepath.Join(out, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			MaxSources struct {
				Binds    bool  `json:"binds"`
				Refusals int64 `json:"refusals"`
			} `json:"max_sources"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if !rec.MaxSources.Binds || rec.MaxSources.Refusals == 0 {
			t.Errorf("%s: run.json's max_sources does not say the cap binds: %s", c.name, b)
		}
		if c.name == "whole" {
			ens, err := catalogue.ReadEnsemble(filepath.Join(out, "ensemble.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range ens {
				if s.Len() > maxN {
					t.Errorf("sample %d of chain %d holds %d sources, above --max-sources %d", s.Index, s.Chain, s.Len(), maxN)
				}
			}
		}
	}
	out := filepath.Join(dir, "zero")
	if code, _, e := probcat(t, "sample", img, "--out", out, "--max-sources", "0"); code != 2 || !strings.Contains(e, "--max-sources") {
		t.Errorf("--max-sources 0: exit %d, %q; want 2 naming the flag", code, e)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("--max-sources 0 left an output folder")
	}
}
