package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/tile"
)

// TestGalaxiesEndToEnd simulates stars and galaxies, samples them with --kinds star,galaxy, checks that
// astropy reads the kinds and the galaxies' parameters from the truth and the condensed
// catalogue, and scores each kind with score --kind.
func TestGalaxiesEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("samples a field")
	}
	dir := t.TempDir()
	sim, run := filepath.Join(dir, "sim"), filepath.Join(dir, "run")
	if code, _, e := probcat(t, "simulate", "--out", sim, "--width", "40", "--height", "40", "--density", "0.008", "--galaxies", "0.5", "--galaxy-re", "1,3", "--seed", "4"); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, e)
	}
	if code, _, e := probcat(t, "sample", filepath.Join(sim, "image.fits"), "--kinds", "star,galaxy", "--galaxy-re", "0.5,3",
		"--burn-in", "30", "--max-burn-in", "30", "--samples", "30", "--chains", "2", "--quiet", "--out", run); code != 0 {
		t.Fatalf("sample: exit %d: %s", code, e)
	}
	py := shareddata.Python(t, "astropy")
	script := `
import sys, math, warnings
warnings.simplefilter("ignore")  # astropy masks the NaN of stars' r_e and warns when it converts them back
from astropy.io import fits
from astropy.table import Table
sim, run = sys.argv[1], sys.argv[2]
t = Table.read(sim + "/truth.fits")
h = fits.getheader(sim + "/truth.fits", 1)
assert h["KIND0"] == "point" and h["KIND1"] == "galaxy-exp", h
assert set(t["kind"]) <= {0, 1} and (t["kind"] == 1).any(), t["kind"]
for r in t:
    assert math.isnan(r["r_e"]) == (r["kind"] == 0), r
c = Table.read(run + "/condensed.fits")
assert c.colnames[7:12] == ["kind", "p_galaxy", "r_e", "q", "phi"], c.colnames
assert ((c["p_galaxy"] >= 0) & (c["p_galaxy"] <= 1)).all()
assert c["r_e"].unit == "pix" and c["phi"].unit == "rad"
print("ok", len(t), len(c))
`
	out, err := exec.Command(py, "-c", script, sim, run).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok") {
		t.Fatalf("astropy: %v\n%s", err, out)
	}
	for _, kind := range []string{"star", "galaxy"} {
		code, o, e := probcat(t, "score", filepath.Join(run, "catalogue.parquet"), "--truth", filepath.Join(sim, "truth.parquet"), "--kind", kind, "--frame", "0,0,40,40")
		if code != 0 {
			t.Fatalf("score --kind %s: exit %d: %s", kind, code, e)
		}
		var s struct{ TPR, PPV float64 }
		if err := json.Unmarshal([]byte(o), &s); err != nil {
			t.Fatalf("score --kind %s: %v\n%s", kind, err, o)
		}
		t.Logf("%s: TPR %.2f, PPV %.2f", kind, s.TPR, s.PPV)
	}
	// condense of the ensemble keeps the kinds
	re := filepath.Join(dir, "recondensed.fits")
	if code, _, e := probcat(t, "condense", filepath.Join(run, "ensemble.parquet"), "--out", re); code != 0 {
		t.Fatalf("condense: exit %d: %s", code, e)
	}
	if cs, err := catalogue.ReadCondensedFITS(re); err != nil || len(cs) == 0 || len(cs[0].KindFrac) != 2 {
		t.Fatalf("condensed again: %d sources, %v", len(cs), err)
	}
	if code, _, e := probcat(t, "score", filepath.Join(run, "catalogue.parquet"), "--truth", filepath.Join(sim, "truth.parquet"), "--kind", "quasar"); code != 2 || !strings.Contains(e, "star or galaxy") {
		t.Errorf("score --kind quasar: exit %d, %q", code, e)
	}
}

// TestGalaxiesTiled runs stars and galaxies in tiles: sample --tile and plan / run-tile /
// merge give the same bytes, and the merged files carry the kinds and the galaxies'
// parameters (the margins hold the largest galaxy's stamp).
func TestGalaxiesTiled(t *testing.T) {
	if testing.Short() {
		t.Skip("samples a field in tiles")
	}
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	if code, _, e := probcat(t, "simulate", "--out", sim, "--width", "64", "--height", "64", "--density", "0.006", "--galaxies", "0.5", "--galaxy-re", "1,2", "--seed", "5"); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, e)
	}
	img := filepath.Join(sim, "image.fits")
	args := []string{"--kinds", "star,galaxy", "--galaxy-re", "0.5,2", "--tile", "32", "--samples", "8", "--burn-in", "6", "--max-burn-in", "6", "--proposals", "30", "--chains", "2", "--seed", "3", "--quiet"}
	one, plan := filepath.Join(dir, "one"), filepath.Join(dir, "plan")
	mustRun(t, append([]string{"sample", img, "--out", one, "--threads", "2"}, args...)...)
	mustRun(t, append([]string{"plan", img, "--out", plan}, args...)...)
	m, err := tile.ReadManifest(plan)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Tiles {
		mustRun(t, "run-tile", plan, "--index", fmt.Sprint(i), "--quiet", "--threads", "1")
	}
	mustRun(t, "merge", plan, "--quiet")
	for _, f := range []string{"ensemble.parquet", "condensed.parquet", "condensed.fits", "catalogue.parquet"} {
		sameBytes(t, filepath.Join(one, f), filepath.Join(plan, f))
	}
	kinds, err := catalogue.ReadKinds(filepath.Join(one, "ensemble.parquet"))
	if err != nil || kinds == nil || len(kinds.Names) != 2 {
		t.Fatalf("merged ensemble kinds %+v, %v", kinds, err)
	}
	ens, err := catalogue.ReadEnsemble(filepath.Join(one, "ensemble.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	gal := 0
	for _, s := range ens {
		for i, k := range s.Kind {
			if k == 1 {
				gal++
				if re := s.Params[0][i]; !(re >= 0.5 && re <= 2) {
					t.Fatalf("a galaxy with r_e %g", re)
				}
			}
		}
	}
	if gal == 0 {
		t.Error("no galaxy in the merged ensemble of a field of galaxies")
	}
	cond, err := catalogue.ReadCondensedParquet(filepath.Join(one, "condensed.parquet"))
	if err != nil || len(cond) == 0 || len(cond[0].KindFrac) != 2 {
		t.Fatalf("merged condensed catalogue: %d sources, %v", len(cond), err)
	}
}
