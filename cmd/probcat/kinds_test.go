package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestRegisteredKind samples with the guide's example kind, registered in kinds.go: --kinds
// star,binary reaches it by name and the outputs name it.
func TestRegisteredKind(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	out := filepath.Join(dir, "run")
	if code, _, e := probcat(t, "sample", filepath.Join(dir, "sim", "image.fits"), "--kinds", "star,binary",
		"--burn-in", "5", "--max-burn-in", "5", "--samples", "5", "--proposals", "40", "--chains", "2", "--quiet", "--out", out); code != 0 {
		t.Fatalf("sample --kinds star,binary: exit %d: %s", code, e)
	}
	k, err := catalogue.ReadKinds(filepath.Join(out, "ensemble.parquet"))
	if err != nil || k == nil || !slices.Equal(k.Names, []string{"point", "binary"}) || !slices.Equal(k.Params, []string{"sep", "angle", "ratio"}) {
		t.Fatalf("kinds %+v, %v", k, err)
	}
}
