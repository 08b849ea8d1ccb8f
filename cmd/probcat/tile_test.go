package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/killtest"
	"github.com/probcat/probcat/tile"
)

// tileArgs are modest sampler settings for the tiling tests.
// Their burn-in (8 to 40 samples) ends at the cap in every tile, not converged.
var tileArgs = []string{"--samples", "12", "--burn-in", "8", "--max-burn-in", "40", "--proposals", "30", "--chains", "2", "--seed", "7"}

// simulateTiled writes a 96×96 simulated field into dir.
func simulateTiled(t *testing.T, dir string) string {
	t.Helper()
	if code, _, e := probcat(t, "simulate", "--out", dir, "--width", "96", "--height", "96", "--density", "0.02", "--seed", "11"); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, e)
	}
	return filepath.Join(dir, "image.fits")
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if code, _, e := probcat(t, args...); code != 0 {
		t.Fatalf("probcat %s: exit %d: %s", strings.Join(args, " "), code, e)
	}
}

func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

// planAndRun plans img into dir and runs the tiles listed, using each way of giving the index.
func planAndRun(t *testing.T, img, dir string, tiles ...int) {
	t.Helper()
	mustRun(t, append([]string{"plan", img, "--out", dir, "--tile", "48", "--quiet"}, tileArgs...)...)
	for _, i := range tiles {
		switch i % 3 {
		case 0:
			mustRun(t, "run-tile", dir, "--index", string(rune('0'+i)), "--quiet")
		case 1:
			t.Setenv("SLURM_ARRAY_TASK_ID", string(rune('0'+i)))
			mustRun(t, "run-tile", dir, "--quiet", "--threads", "1")
			os.Unsetenv("SLURM_ARRAY_TASK_ID")
		case 2:
			t.Setenv("JOB_COMPLETION_INDEX", string(rune('0'+i)))
			mustRun(t, "run-tile", dir, "--quiet")
			os.Unsetenv("JOB_COMPLETION_INDEX")
		}
	}
}

// TestTiledSampleEqualsPlanRunMerge is the contract of tiling: one process with all tiles
// concurrently, and plan / run-tile (any index, any order, any thread count) / merge give the
// same bytes; every sample is the union of the tiles' cores, with no duplicate at a seam.
func TestTiledSampleEqualsPlanRunMerge(t *testing.T) {
	dir := t.TempDir()
	img := simulateTiled(t, filepath.Join(dir, "sim"))
	one := filepath.Join(dir, "one")
	mustRun(t, append([]string{"sample", img, "--out", one, "--tile", "48", "--quiet", "--threads", "2"}, tileArgs...)...)
	if _, err := os.Stat(filepath.Join(one, tilesDir)); err == nil {
		t.Errorf("sample --tile left its tiles behind")
	}
	plan := filepath.Join(dir, "plan")
	planAndRun(t, img, plan, 3, 1, 0, 2)
	mustRun(t, "run-tile", plan, "--index", "2", "--quiet") // a finished tile again: nothing happens
	mustRun(t, "merge", plan, "--quiet")
	for _, f := range []string{"ensemble.parquet", "samples.parquet", "condensed.parquet", "condensed.fits", "catalogue.parquet", "catalogue.fits", "counts.parquet", "model.fits"} {
		sameBytes(t, filepath.Join(one, f), filepath.Join(plan, f))
	}
	for _, f := range []string{"run.json", "diagnostics.png"} {
		if _, err := os.Stat(filepath.Join(one, f)); err != nil {
			t.Error(err)
		}
	}

	// Each frame sample holds exactly the tiles' core sources: compare with the tiles' own
	// ensembles. Tiles sample independently, so a source on a seam may be kept by both tiles
	// (or neither): count pairs closer than 0.5 px across seams (one from each tile) against
	// the same count across lines inside tiles.
	m, err := tile.ReadManifest(plan)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := catalogue.ReadEnsemble(filepath.Join(plan, "ensemble.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(frame) != 2*12 {
		t.Fatalf("%d frame samples, want 24", len(frame))
	}
	// The merged counts are those of the merged ensemble (in flux: the simulated image has no
	// zero point), with the detection limit of the merged condensed catalogue.
	counts, err := catalogue.ReadCounts(filepath.Join(plan, "counts.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	cond, err := catalogue.ReadCondensedParquet(filepath.Join(plan, "condensed.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := catalogue.CountSamples(frame, catalogue.Binning{})
	l, ok := catalogue.DetectionLimit(catalogue.Binning{}, cond)
	if !ok {
		t.Fatal("no bin of the merged condensed catalogue reaches a mean prevalence of 0.5")
	}
	wantCounts.Limit = l
	if len(counts.Bins) < 3 || !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("merged counts.parquet holds %+v, the merged ensemble gives %+v", counts, wantCounts)
	}
	want := make([]int, len(frame))
	margins := 0
	for i := range m.Tiles {
		ts, err := catalogue.ReadEnsemble(filepath.Join(tile.Dir(plan, i), "ensemble.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		for k, s := range ts {
			for j := range s.X {
				if m.Tiles[i].Owns(s.X[j], s.Y[j]) {
					want[k]++
				} else {
					margins++
				}
			}
		}
	}
	if margins == 0 {
		t.Error("no tile had a source in its margin: the test does not exercise the seams")
	}
	var pairs tile.SeamPairs
	for k := range frame {
		s := &frame[k]
		if s.Len() != want[k] {
			t.Errorf("frame sample %d has %d sources, the cores hold %d", k, s.Len(), want[k])
		}
		pairs.Add(m.SeamPairs(s, 0.5))
	}
	t.Logf("pairs closer than 0.5 px over %d frame samples: %d across seams (%.3f per 100 px of seam), %d within a tile across its core's midlines (%.3f per 100 px)",
		len(frame), pairs.Cross, pairs.CrossRate(), pairs.Control, pairs.ControlRate())
	// experiments/tiles measures 0.09 (a simulated field) to 0.6 (M2's core) pairs per 100 px
	// of seam and frame sample, against 0 to 0.06 across lines inside tiles.
	if pairs.CrossRate() > 2 {
		t.Errorf("%.2f pairs per 100 px of seam and frame sample: seams duplicate sources", pairs.CrossRate())
	}

	// A damaged tile output: merge names it and writes nothing, whether the damage shows when
	// the file is opened (no footer) or only midway through streaming it (a corrupt page).
	bad := filepath.Join(tile.Dir(plan, 3), "ensemble.parquet")
	good, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	page := bytes.Clone(good)
	for i := len(page) / 3; i < len(page)/3+64; i++ {
		page[i] ^= 0x5a
	}
	for name, b := range map[string][]byte{"truncated": []byte("PAR1 truncated"), "corrupt page": page} {
		if err := os.WriteFile(bad, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fresh := filepath.Join(dir, "fresh")
		code, _, e := probcat(t, "merge", plan, "--out", fresh)
		if code != 2 || !strings.Contains(e, bad) {
			t.Errorf("merge with a %s tile: exit %d, %q", name, code, e)
		}
		if _, err := os.Stat(fresh); err == nil {
			t.Errorf("a merge failing on a %s tile left its output folder", name)
		}
	}
}

// TestHelperKilledTile is not a test: TestKilledTileResumes runs the test binary with
// PROBCAT_HELPER_PLAN set so that this function runs tile 1 of that plan (as run-tile --index 1
// --threads 1 does) until killed. Once every chain has a kept sample in its log, the chain
// that reports it stops in its progress callback for good (the other samples on), after
// calling killtest.Ready: the tile can then never finish, so the kill always lands on
// an unfinished tile.
func TestHelperKilledTile(t *testing.T) {
	dir := os.Getenv("PROBCAT_HELPER_PLAN")
	if dir == "" {
		t.Skip("helper process for TestKilledTileResumes")
	}
	m, job, err := planJob(dir)
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(tile.Dir(dir, 1)+".partial", ".probcat-checkpoint")
	var once sync.Once
	progress := func(done, total int) {
		for c := range job.Config.Chains {
			if st, err := os.Stat(filepath.Join(ck, fmt.Sprintf("chain-%d.log", c))); err != nil || st.Size() == 0 {
				return
			}
		}
		once.Do(killtest.Ready)
	}
	if err := tile.RunTile(context.Background(), m, dir, job, 1, 1, progress); err != nil {
		t.Fatal(err)
	}
}

func TestKilledTileResumes(t *testing.T) {
	dir := t.TempDir()
	img := simulateTiled(t, filepath.Join(dir, "sim"))
	ref := filepath.Join(dir, "ref")
	planAndRun(t, img, ref, 0, 1, 2, 3)
	mustRun(t, "merge", ref, "--quiet")

	killed := filepath.Join(dir, "killed")
	planAndRun(t, img, killed, 0, 2, 3)
	killtest.Run(t, "TestHelperKilledTile", "PROBCAT_HELPER_PLAN="+killed)
	if tile.Done(killed, 1) {
		t.Fatal("the killed tile finished: it was not killed midway")
	}
	// Merging now must fail, name the missing tile, and write nothing.
	code, _, e := probcat(t, "merge", killed)
	if code != 2 || !strings.Contains(e, filepath.Join("tiles", "0001")) {
		t.Errorf("merge with tile 1 unfinished: exit %d, %q", code, e)
	}
	if _, err := os.Stat(filepath.Join(killed, "ensemble.parquet")); err == nil {
		t.Error("merge wrote an ensemble with a tile missing")
	}
	mustRun(t, "run-tile", killed, "--index", "1", "--quiet")
	mustRun(t, "merge", killed, "--quiet")
	for _, f := range []string{"ensemble.parquet", "samples.parquet", "condensed.parquet", "counts.parquet", "model.fits"} {
		sameBytes(t, filepath.Join(ref, f), filepath.Join(killed, f))
	}

	// Killed after the tile's job finished but before its folder was renamed: the outputs are
	// moved into place, not computed again.
	done := tile.Dir(killed, 0)
	st, err := os.Stat(filepath.Join(done, "ensemble.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(done, done+".partial"); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "run-tile", killed, "--index", "0", "--quiet")
	st2, err := os.Stat(filepath.Join(done, "ensemble.parquet"))
	if err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("tile 0 was sampled again (%v)", err)
	}
}

// TestTilesConvergeEachOnTheirOwn: every tile ends its burn-in by itself; the merged run.json
// lists each tile's decision and R-hats as the tile's own run.json has them and is converged
// only if every tile is; merge warns, naming the tiles that are not.
func TestTilesConvergeEachOnTheirOwn(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	if code, _, e := probcat(t, "simulate", "--out", sim, "--width", "96", "--height", "96", "--density", "0.006", "--seed", "11"); code != 0 {
		t.Fatal(e)
	}
	plan := filepath.Join(dir, "plan")
	mustRun(t, "plan", filepath.Join(sim, "image.fits"), "--out", plan, "--tile", "48", "--quiet", "--samples", "12",
		"--burn-in", "8", "--max-burn-in", "400", "--proposals", "100", "--chains", "2", "--seed", "7")
	for i := range 4 {
		mustRun(t, "run-tile", plan, "--index", strconv.Itoa(i), "--quiet")
	}
	code, _, e := probcat(t, "merge", plan, "--quiet")
	merged := runJSON(t, plan)
	if len(merged.Tiles) != 4 {
		t.Fatalf("merged run.json lists %d tiles, want 4", len(merged.Tiles))
	}
	all, some := true, false
	var bad []string
	for i, tc := range merged.Tiles {
		own := runJSON(t, tile.Dir(plan, i))
		if tc.Index != i || tc.Converged != own.Converged || tc.BurnIn != own.BurnIn || tc.RHat["n"] != own.N.RHat ||
			tc.RHat["loglike"] != own.LogLike.RHat || tc.RHat["total_flux"] != own.TotalFlux.RHat || tc.RHat["background"] != own.Background.RHat {
			t.Errorf("tile %d: merged entry %+v, the tile's run.json %+v", i, tc, own)
		}
		if own.Converged != (own.BurnIn < 400) {
			t.Errorf("tile %d: converged %v after %d samples of burn-in (cap 400)", i, own.Converged, own.BurnIn)
		}
		all = all && own.Converged
		some = some || own.Converged
		if !own.Converged {
			bad = append(bad, strconv.Itoa(i))
		}
	}
	if all || !some {
		t.Fatalf("tiles all converged or none did (%v): the test needs both; choose other settings", merged.Tiles)
	}
	if merged.Converged {
		t.Error("merged run.json converged although a tile is not")
	}
	want := fmt.Sprintf("warning: %d tiles (%s) reached --max-burn-in 400", len(bad), strings.Join(bad, ", "))
	if code != 0 || !strings.HasPrefix(e, want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
		t.Errorf("merge: exit %d, stderr %q; want 0 and one line starting %q", code, e, want)
	}
}

func TestTileBadInput(t *testing.T) {
	dir := t.TempDir()
	img := simulateTiled(t, filepath.Join(dir, "sim"))
	plan := filepath.Join(dir, "plan")
	planAndRun(t, img, plan)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run-tile", plan}, "no tile index"},
		{[]string{"run-tile", plan, "--index", "4"}, "out of range"},
		{[]string{"run-tile", filepath.Join(dir, "nowhere"), "--index", "0"}, "no plan here"},
		{[]string{"merge", plan}, "4 of 4 tiles have not finished"},
		{append([]string{"plan", img, "--out", plan, "--tile", "32"}, tileArgs...), "different plan"},
		{[]string{"plan", img, "--out", filepath.Join(dir, "p2"), "--tile", "48", "--grid-offset", "48,0"}, "grid offset"},
	} {
		code, _, e := probcat(t, c.args...)
		if code != 2 || !strings.Contains(e, c.want) {
			t.Errorf("probcat %s: exit %d, %q; want exit 2 and %q", strings.Join(c.args, " "), code, e, c.want)
		}
	}
	// The image changes after planning: the tile refuses to run.
	if code, _, e := probcat(t, "simulate", "--out", filepath.Join(dir, "sim"), "--width", "96", "--height", "96", "--density", "0.02", "--seed", "12"); code != 0 {
		t.Fatal(e)
	}
	code, _, e := probcat(t, "run-tile", plan, "--index", "0")
	if code != 2 || !strings.Contains(e, "has changed since it was planned") {
		t.Errorf("changed image: exit %d, %q", code, e)
	}
	if _, err := os.Stat(tile.Dir(plan, 0) + ".partial"); err == nil {
		t.Error("a refused tile left a folder")
	}
	// A corrupt manifest.
	if err := os.WriteFile(filepath.Join(plan, tile.ManifestFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, e := probcat(t, "merge", plan); code != 2 || !strings.Contains(e, "not a probcat manifest") {
		t.Errorf("corrupt manifest: exit %d, %q", code, e)
	}
}
