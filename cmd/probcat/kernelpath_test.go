package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/render"
	"github.com/probcat/probcat/tile"
)

// TestRunTileRefusesOtherKernelPath plans under one kernel path and runs a tile under another:
// the plan must name its path and run-tile must refuse (exit 2, one line saying how to
// continue with PROBCAT_KERNEL), writing nothing; on the plan's path the tile runs.
func TestRunTileRefusesOtherKernelPath(t *testing.T) {
	dir := t.TempDir()
	img := simulateTiled(t, filepath.Join(dir, "sim"))
	plan := filepath.Join(dir, "plan")
	mustRun(t, append([]string{"plan", img, "--out", plan, "--tile", "48", "--quiet"}, tileArgs...)...)
	m, err := tile.ReadManifest(plan)
	if err != nil {
		t.Fatal(err)
	}
	orig := render.Path()
	if m.Kernel != orig {
		t.Fatalf("manifest records kernel path %q, the planning process used %q", m.Kernel, orig)
	}
	other := ""
	for _, p := range render.Paths() {
		if p != orig {
			other = p
		}
	}
	if other == "" {
		t.Skipf("this machine and build have only the %s kernel path", orig)
	}
	if err := render.SetPath(other); err != nil {
		t.Fatal(err)
	}
	code, _, e := probcat(t, "run-tile", plan, "--index", "0", "--quiet")
	render.SetPath(orig)
	if code != 2 || !strings.Contains(e, "PROBCAT_KERNEL="+orig) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
		t.Errorf("run-tile under %s of a plan made under %s: exit %d, %q; want 2 and one line naming PROBCAT_KERNEL=%s", other, orig, code, e, orig)
	}
	if _, err := os.Stat(filepath.Join(plan, "tiles")); err == nil {
		t.Error("the refused run-tile left a tiles folder")
	}
	mustRun(t, "run-tile", plan, "--index", "0", "--quiet")
	if !tile.Done(plan, 0) {
		t.Error("tile 0 not done on the plan's kernel path")
	}
}
