package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestGalaxies runs a job with stars and galaxies: the outputs carry the kinds and the
// galaxies' parameters, and are the same bytes with 1 and 3 threads and after kills and
// resumes.
func TestGalaxies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four jobs")
	}
	dir := t.TempDir()
	one, three := filepath.Join(dir, "t1"), filepath.Join(dir, "t3")
	for th, out := range map[int]string{1: one, 3: three} {
		if _, err := Run(context.Background(), variantJob(t, out, th, "galaxies")); err != nil {
			t.Fatal(err)
		}
	}
	sameFiles(t, one, three)
	resumeAfterKill(t, dir, one, "galaxies")

	kinds, err := catalogue.ReadKinds(filepath.Join(one, EnsembleFile))
	if err != nil || kinds == nil || kinds.Names[0] != "point" || kinds.Names[1] != "galaxy-exp" || len(kinds.Params) != 3 {
		t.Fatalf("ensemble kinds %+v, %v", kinds, err)
	}
	ens, err := catalogue.ReadEnsemble(filepath.Join(one, EnsembleFile))
	if err != nil {
		t.Fatal(err)
	}
	var stars, gals int
	for _, s := range ens {
		for i, k := range s.Kind {
			re := s.Params[0][i]
			switch {
			case k == 0 && re == re:
				t.Fatalf("a star with r_e %g", re)
			case k == 1 && !(re >= 0.5 && re <= 3):
				t.Fatalf("a galaxy with r_e %g outside the prior", re)
			}
			if k == 0 {
				stars++
			} else {
				gals++
			}
		}
	}
	t.Logf("%d star and %d galaxy rows", stars, gals)
	if stars == 0 {
		t.Error("no stars in a field of stars")
	}
	cond, err := catalogue.ReadCondensedParquet(filepath.Join(one, CondensedParq))
	if err != nil || len(cond) == 0 {
		t.Fatalf("condensed: %d sources, %v", len(cond), err)
	}
}
