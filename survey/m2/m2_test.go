package m2

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/internal/pointgrid"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/score"
)

func TestReadHubble(t *testing.T) {
	ref, err := ReadHubble(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.X) != 1118 {
		t.Fatalf("read %d stars, want 1118", len(ref.X))
	}
	// PROVENANCE: positions agree with PCAT's sdss.0921_tru.txt to 1e-6 px (1e-4 after float32),
	// and the magnitudes are typically 0.10–0.20 mag fainter.
	x, y, f, err := catalogue.ReadXYFlux(shareddata.Path(t, "m2-pcat-cutout/sdss.0921_tru.txt"))
	if err != nil {
		t.Fatal(err)
	}
	g := pointgrid.New(x, y, 0.01)
	var rs [][2]int32
	var dm []float64
	for i := range ref.X {
		best := -1
		for _, r := range g.Near(ref.X[i], ref.Y[i], rs) {
			for p := r[0]; p < r[1]; p++ {
				if math.Abs(g.X[p]-ref.X[i]) < 1e-4 && math.Abs(g.Y[p]-ref.Y[i]) < 1e-4 {
					best = int(g.ID[p])
				}
			}
		}
		if best < 0 {
			t.Fatalf("star %d at (%g, %g) is not in sdss.0921_tru.txt", i, ref.X[i], ref.Y[i])
		}
		dm = append(dm, ref.Mag[i]-score.Magnitude(f[best], ZeroPointR))
	}
	sort.Float64s(dm)
	if med := order.Percentile(dm, 50); !(med > 0.1 && med < 0.2) {
		t.Errorf("median magnitude difference from PCAT's truth %+.3f, want 0.10..0.20", med)
	}
	// The later .npz has the same layout.
	ref2, err := ReadHubble(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npz"))
	if err != nil || len(ref2.X) != 1114 {
		t.Fatalf("npz: %d stars, %v", len(ref2.X), err)
	}
}

// TestScoreReproducesStarNetDAOPHOT scores An et al.'s DAOPHOT catalogue against the HST truth
// StarNet used, under the StarNet rule: the published result (StarNet authors' notebooks,
// REFERENCE.md) is TPR 0.200, PPV 0.631, F1 0.303. The counts were also computed by a numpy
// brute-force match (933 true stars and 296 estimates kept, 188 found, 188 correct).
func TestScoreReproducesStarNetDAOPHOT(t *testing.T) {
	truth, err := ReadHubble(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npy"))
	if err != nil {
		t.Fatal(err)
	}
	dao, err := ReadDAOPHOT(shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-tru.txt"))
	if err != nil {
		t.Fatal(err)
	}
	est := catalogue.Sample{X: dao.X, Y: dao.Y}
	for _, m := range dao.Mag {
		est.Flux = append(est.Flux, math.Pow(10, (ZeroPointR-m)/2.5))
	}
	sc, err := score.Ensemble(truth, []catalogue.Sample{est}, score.Options{Rule: score.StarNetRule, Frame: score.Frame{W: 100, H: 100}, ZeroPoint: ZeroPointR})
	if err != nil {
		t.Fatal(err)
	}
	if sc.NTruth != 933 || sc.NEstimated != 296 || !near(float64(sc.TPR), 188.0/933) || !near(float64(sc.PPV), 188.0/296) {
		t.Errorf("got n %d/%g tpr %.4f ppv %.4f; numpy gave 933/296, %.4f, %.4f", sc.NTruth, sc.NEstimated, sc.TPR, sc.PPV, 188.0/933, 188.0/296)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"tpr", float64(sc.TPR), 0.200}, {"ppv", float64(sc.PPV), 0.631}, {"f1", float64(sc.F1), 0.303}} {
		if math.Abs(c.got-c.want) > 0.006 {
			t.Errorf("%s %.4f, published %.3f", c.name, c.got, c.want)
		}
	}
	t.Logf("DAOPHOT vs HST, StarNet rule: tpr %.4f ppv %.4f f1 %.4f (published 0.200 0.631 0.303)", sc.TPR, sc.PPV, sc.F1)
}

func TestReadNPZErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.npy")
	if err := os.WriteFile(p, []byte("\x93NUMPY\x01\x00 not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHubble(p); err == nil {
		t.Error("a bare NPY file was read as an archive")
	}
}

// TestScoreM2Truth reads PCAT's HST truth for M2 and scores it against itself and against a
// copy with one star in ten moved by a pixel: exact answers known in advance.
func TestScoreM2Truth(t *testing.T) {
	path := shareddata.Path(t, "m2-pcat-cutout/sdss.0921_tru.txt")
	x, y, f, err := catalogue.ReadXYFlux(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 6048 {
		t.Fatalf("read %d stars, want 6048", len(x))
	}
	zp := ZeroPointR
	truth := score.NewReference(x, y, f, zp)
	opt := score.Options{Rule: score.StarNetRule, Frame: score.Frame{W: 100, H: 100}, ZeroPoint: zp, FaintLimit: 22.5}
	self := catalogue.Sample{X: x, Y: y, Flux: f}
	sc, err := score.Ensemble(truth, []catalogue.Sample{self}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sc.TPR != 1 || sc.PPV != 1 || sc.F1 != 1 || sc.NTruth == 0 {
		t.Fatalf("truth against itself: %+v", sc)
	}
	moved := catalogue.Sample{X: append([]float64(nil), x...), Y: y, Flux: f}
	for i := 0; i < len(moved.X); i += 10 {
		moved.X[i] += 1
	}
	sc2, err := score.Ensemble(truth, []catalogue.Sample{moved}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !(sc2.TPR < 1 && sc2.TPR > 0.85) {
		t.Errorf("one star in ten moved by 1 px: tpr %g", sc2.TPR)
	}
	t.Logf("M2 truth, StarNet rule, r < 22.5: %d stars; one in ten moved: tpr %.4f ppv %.4f", sc.NTruth, sc2.TPR, sc2.PPV)
}

// near reports whether a equals b up to rounding.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
