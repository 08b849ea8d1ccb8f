package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/shareddata"
)

// TestSampleBands samples r and i of the M2 field jointly on a small cutout and scores each
// band; bad --bands values, --tile and the single-image flags it does not take exit 2 with
// one line and no output folder, and so does plan --bands.
func TestSampleBands(t *testing.T) {
	frame := shareddata.Path(t, "m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2")
	psField := shareddata.Path(t, "m2-sdss-2583-2-136/psField-002583-2-0136.fit")
	dir := t.TempDir()
	base := []string{"sample", "--sdss", frame, "--psfield", psField, "--cutout", "330,650,40,40",
		"--samples", "3", "--burn-in", "2", "--max-burn-in", "2", "--chains", "1", "--threads", "1", "--quiet"}
	for _, bad := range [][]string{
		{"--bands", "r,q"}, {"--bands", "r,r"}, {"--bands", "r,i", "--tile", "20"},
		{"--bands", "r,i", "--gain", "4"}, {"--bands", "r,i", "--colour-prior", "0,-1"},
		{"--bands", "r,i", "--colour-spread", "-1"}, {"--colour-spread", "0.2"},
	} {
		out := filepath.Join(dir, "bad")
		code, _, e := probcat(t, append(append(base, "--out", out), bad...)...)
		if code != 2 || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", bad, code, e)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the output folder was made", bad)
			os.RemoveAll(out)
		}
	}
	plan := filepath.Join(dir, "plan")
	if code, _, e := probcat(t, "plan", "--sdss", frame, "--psfield", psField, "--cutout", "330,650,40,40", "--bands", "r,i", "--tile", "20", "--out", plan); code != 2 || !strings.Contains(e, "not yet supported") {
		t.Errorf("plan --bands: exit %d: %s", code, e)
	}
	if _, err := os.Stat(plan); err == nil {
		t.Error("plan --bands made its folder")
	}
	out := filepath.Join(dir, "ri")
	if code, _, e := probcat(t, append(base, "--out", out, "--bands", "r,i", "--colour-spread", "0.3")...); code != 0 {
		t.Fatalf("sample --bands r,i: exit %d: %s", code, e)
	}
	for _, band := range []string{"r", "i"} {
		s, err := catalogue.ReadEnsembleBand(filepath.Join(out, "ensemble.parquet"), band)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 3 || s[2].Len() == 0 {
			t.Errorf("band %s: %d samples", band, len(s))
		}
		code, o, e := probcat(t, "score", filepath.Join(out, "condensed.parquet"), "--band", band,
			"--truth", filepath.Join(out, "condensed.parquet"), "--zero-point", "28")
		if code != 0 || !strings.Contains(o, "f1") {
			t.Errorf("score --band %s: exit %d: %s%s", band, code, o, e)
		}
	}
	if code, _, _ := probcat(t, "score", filepath.Join(out, "condensed.parquet"), "--band", "g",
		"--truth", filepath.Join(out, "condensed.parquet")); code != 2 {
		t.Errorf("score --band g of an r+i run: exit %d, want 2", code)
	}
}
