package score

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/shareddata"
)

const testZP = 25.0

func fluxOf(mag float64) float64 { return math.Pow(10, (testZP-mag)/2.5) }

// handCase is a 30×30 image with five true stars and six estimates; see TestScoreByHand.
func handCase() (Reference, catalogue.Sample) {
	truth := Reference{
		X:   []float64{10, 15, 1, 20, 26},
		Y:   []float64{10, 8, 10, 20, 15},
		Mag: []float64{18, 19, 18, 20.2, 21},
	}
	est := catalogue.Sample{}
	for _, e := range [][3]float64{
		{10.4, 10.4, 18.1}, // E1: matches T1 under both rules
		{15.6, 8.0, 19.0},  // E2: 0.6 px from T2: PCAT yes, StarNet no (|Δx| ≥ 0.5)
		{20, 20, 20.8},     // E3: on T4 but 0.6 mag off: no match
		{3, 3, 19},         // E4: nothing near; 3.5 px from the edge: PCAT keeps it, StarNet drops it
		{26.2, 15, 21.1},   // E5: matches T5 under PCAT; both dropped by StarNet's 5 px border
		{1.2, 10, 18},      // E6: 1.7 px from the edge: dropped by both, as is T3
	} {
		est.X, est.Y, est.Flux = append(est.X, e[0]), append(est.Y, e[1]), append(est.Flux, fluxOf(e[2]))
	}
	return truth, est
}

func near(a Ratio, b float64) bool { return math.Abs(float64(a)-b) < 1e-12 }

func TestScoreByHand(t *testing.T) {
	truth, est := handCase()
	frame := Frame{W: 30, H: 30}
	for _, c := range []struct {
		rule          Rule
		faint         float64
		nt            int
		ne            float64
		tpr, ppv, f1  float64
		samplesFactor int
	}{
		// PCAT: truth kept T1 T2 T4 T5, found T1 T2 T5; estimates kept E1–E5, correct E1 E2 E5.
		{PCATRule, 0, 4, 5, 0.75, 0.6, 2 * 0.75 * 0.6 / 1.35, 1},
		// StarNet: truth kept T1 T2 T4, found T1; estimates kept E1 E2 E3, correct E1.
		{StarNetRule, 0, 3, 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1},
		// StarNet brighter than 20: truth T1 T2, estimates E1 E2.
		{StarNetRule, 20, 2, 2, 0.5, 0.5, 0.5, 1},
	} {
		sc, err := Ensemble(truth, []catalogue.Sample{est}, Options{Rule: c.rule, Frame: frame, ZeroPoint: testZP, FaintLimit: c.faint})
		if err != nil {
			t.Fatal(err)
		}
		if sc.NTruth != c.nt || sc.NEstimated != c.ne || !near(sc.TPR, c.tpr) || !near(sc.PPV, c.ppv) || !near(sc.F1, c.f1) {
			t.Errorf("%s faint %g: got n=%d/%g tpr %g ppv %g f1 %g, want n=%d/%g tpr %g ppv %g f1 %g", c.rule.Name, c.faint,
				sc.NTruth, sc.NEstimated, sc.TPR, sc.PPV, sc.F1, c.nt, c.ne, c.tpr, c.ppv, c.f1)
		}
	}
	// Bins under PCAT's rule.
	sc, err := Ensemble(truth, []catalogue.Sample{est}, Options{Rule: PCATRule, Frame: frame, ZeroPoint: testZP})
	if err != nil {
		t.Fatal(err)
	}
	type binWant struct {
		lo       float64
		nt       int
		ne       float64
		tpr, ppv float64 // NaN: undefined
	}
	nan := math.NaN()
	want := []binWant{
		{18, 1, 1, 1, 1}, {18.5, 0, 0, nan, nan}, {19, 1, 2, 1, 0.5}, {19.5, 0, 0, nan, nan},
		{20, 1, 0, 0, nan}, {20.5, 0, 1, nan, 0}, {21, 1, 1, 1, 1},
	}
	if len(sc.Bins) != len(want) {
		t.Fatalf("got %d bins, want %d: %+v", len(sc.Bins), len(want), sc.Bins)
	}
	same := func(a Ratio, b float64) bool { return math.IsNaN(b) && math.IsNaN(float64(a)) || near(a, b) }
	for i, w := range want {
		b := sc.Bins[i]
		if b.MagLo != w.lo || b.MagHi != w.lo+0.5 || b.NTruth != w.nt || b.NEstimated != w.ne || !same(b.TPR, w.tpr) || !same(b.PPV, w.ppv) {
			t.Errorf("bin %d: got %+v, want %+v", i, b, w)
		}
	}
	// An ensemble: the same sample plus an empty one halves completeness, keeps purity.
	sc2, err := Ensemble(truth, []catalogue.Sample{est, {}}, Options{Rule: PCATRule, Frame: frame, ZeroPoint: testZP})
	if err != nil {
		t.Fatal(err)
	}
	// N per sample is 0 and 5: numpy's linear percentiles give 0.25 and 4.75.
	if !near(sc2.TPR, 0.375) || !near(sc2.PPV, 0.6) || sc2.NEstimated != 2.5 || sc2.Samples != 2 || sc2.NInterval != [2]float64{0.25, 4.75} {
		t.Errorf("ensemble of two: got tpr %g ppv %g n %g %v", sc2.TPR, sc2.PPV, sc2.NEstimated, sc2.NInterval)
	}
	// JSON: undefined ratios are null, and it reads back.
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"tpr":null`) || !strings.Contains(string(b), `"f1":`) {
		t.Errorf("JSON %s", b)
	}
	var back Score
	if err := json.Unmarshal(b, &back); err != nil || !near(back.TPR, 0.75) || !math.IsNaN(float64(back.Bins[1].TPR)) {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
}

func TestScoreAnyMatch(t *testing.T) {
	frame := Frame{X0: 100, Y0: 200, W: 40, H: 40} // parent-frame coordinates
	// Two estimates on one star: the star is found once and both estimates are correct.
	truth := Reference{X: []float64{120}, Y: []float64{220}, Mag: []float64{19}}
	est := catalogue.Sample{X: []float64{120.1, 119.9}, Y: []float64{220, 220.1}, Flux: []float64{fluxOf(19), fluxOf(19.2)}}
	for _, r := range []Rule{PCATRule, StarNetRule} {
		sc, err := Ensemble(truth, []catalogue.Sample{est}, Options{Rule: r, Frame: frame, ZeroPoint: testZP})
		if err != nil {
			t.Fatal(err)
		}
		if sc.TPR != 1 || sc.PPV != 1 {
			t.Errorf("%s: tpr %g ppv %g, want 1 1", r.Name, sc.TPR, sc.PPV)
		}
	}
	// One estimate between two stars: both are found.
	truth = Reference{X: []float64{120, 120.6}, Y: []float64{220, 220}, Mag: []float64{19, 19.1}}
	est = catalogue.Sample{X: []float64{120.3}, Y: []float64{220}, Flux: []float64{fluxOf(19.05)}}
	sc, err := Ensemble(truth, []catalogue.Sample{est}, Options{Rule: StarNetRule, Frame: frame, ZeroPoint: testZP})
	if err != nil {
		t.Fatal(err)
	}
	if sc.TPR != 1 || sc.PPV != 1 {
		t.Errorf("one estimate between two stars: tpr %g ppv %g", sc.TPR, sc.PPV)
	}
	// The border is measured from the frame's edges, not from 0: a star at x = 104 (4.5 px
	// from the edge at 99.5) is dropped by StarNet's rule and kept by PCAT's.
	truth = Reference{X: []float64{104}, Y: []float64{220}, Mag: []float64{19}}
	for _, c := range []struct {
		r Rule
		n int
	}{{StarNetRule, 0}, {PCATRule, 1}} {
		sc, err := Ensemble(truth, []catalogue.Sample{{}}, Options{Rule: c.r, Frame: frame, ZeroPoint: testZP})
		if err != nil {
			t.Fatal(err)
		}
		if sc.NTruth != c.n {
			t.Errorf("%s: star 4.5 px from the edge kept %d times, want %d", c.r.Name, sc.NTruth, c.n)
		}
	}
}

func TestScoreErrors(t *testing.T) {
	truth, est := handCase()
	ok := Options{Rule: PCATRule, Frame: Frame{W: 30, H: 30}, ZeroPoint: testZP}
	for name, f := range map[string]func() error{
		"no samples": func() error { _, err := Ensemble(truth, nil, ok); return err },
		"bad frame": func() error {
			o := ok
			o.Frame.W = 0
			_, err := Ensemble(truth, []catalogue.Sample{est}, o)
			return err
		},
		"bad rule": func() error {
			o := ok
			o.Rule.HalfBox = 1
			_, err := Ensemble(truth, []catalogue.Sample{est}, o)
			return err
		},
		"ragged truth": func() error {
			tr := truth
			tr.Mag = tr.Mag[:2]
			_, err := Ensemble(tr, []catalogue.Sample{est}, ok)
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := RuleByName("daophot"); err == nil {
		t.Error("unknown rule accepted")
	}
}

// TestScoreStarNetAgainstPython checks the StarNet rule against an independent brute-force
// implementation in numpy on a random crowded field with an ensemble of three samples.
func TestScoreStarNetAgainstPython(t *testing.T) {
	py := shareddata.Python(t, "numpy")
	rng := rand.New(rand.NewPCG(11, 12))
	frame := Frame{X0: 7, Y0: -3, W: 64, H: 48}
	var truth Reference
	for i := 0; i < 600; i++ {
		truth.X = append(truth.X, frame.X0-0.5+float64(frame.W)*rng.Float64())
		truth.Y = append(truth.Y, frame.Y0-0.5+float64(frame.H)*rng.Float64())
		truth.Mag = append(truth.Mag, 17+5*math.Sqrt(rng.Float64()))
	}
	var samples []catalogue.Sample
	for s := 0; s < 3; s++ {
		var e catalogue.Sample
		for i := range truth.X {
			if rng.Float64() < 0.6 {
				e.X = append(e.X, truth.X[i]+0.3*rng.NormFloat64())
				e.Y = append(e.Y, truth.Y[i]+0.3*rng.NormFloat64())
				e.Flux = append(e.Flux, fluxOf(truth.Mag[i]+0.3*rng.NormFloat64()))
			}
		}
		for i := 0; i < 150; i++ {
			e.X = append(e.X, frame.X0-0.5+float64(frame.W)*rng.Float64())
			e.Y = append(e.Y, frame.Y0-0.5+float64(frame.H)*rng.Float64())
			e.Flux = append(e.Flux, fluxOf(18+4*rng.Float64()))
		}
		samples = append(samples, e)
	}
	opt := Options{Rule: StarNetRule, Frame: frame, ZeroPoint: testZP, FaintLimit: 21.5}
	sc, err := Ensemble(truth, samples, opt)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	var tb, eb strings.Builder
	for i := range truth.X {
		fmt.Fprintf(&tb, "%.17g %.17g %.17g\n", truth.X[i], truth.Y[i], truth.Mag[i])
	}
	for s, e := range samples {
		for i := range e.X {
			fmt.Fprintf(&eb, "%d %.17g %.17g %.17g\n", s, e.X[i], e.Y[i], e.Flux[i])
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "truth.txt"), []byte(tb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "est.txt"), []byte(eb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, json, sys
d = sys.argv[1]
x0, y0, w, h, zp, pad, faint = 7, -3, 64, 48, 25.0, 5.0, 21.5
t = np.loadtxt(d + "/truth.txt")
e = np.loadtxt(d + "/est.txt")
def keep(x, y, m):
    # StarNet's coordinates put the image edge at 0 and slen; ours at x0 - 0.5.
    u, v = x - (x0 - 0.5), y - (y0 - 0.5)
    return (u > pad) & (u < w - pad) & (v > pad) & (v < h - pad) & (m < faint)
tk = t[keep(t[:, 0], t[:, 1], t[:, 2])]
found = 0; correct = 0; nest = 0
for s in range(3):
    es = e[e[:, 0] == s]
    m = zp - 2.5 * np.log10(es[:, 3])
    k = keep(es[:, 1], es[:, 2], m)
    ex, ey, em = es[k, 1], es[k, 2], m[k]
    ok = ((np.abs(ex[:, None] - tk[None, :, 0]) < 0.5) & (np.abs(ey[:, None] - tk[None, :, 1]) < 0.5)
          & (np.abs(em[:, None] - tk[None, :, 2]) < 0.5))
    found += ok.any(axis=0).sum(); correct += ok.any(axis=1).sum(); nest += len(ex)
print(json.dumps({"n_truth": len(tk), "found": int(found), "correct": int(correct), "n_est": int(nest)}))
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var ref struct {
		NTruth, Found, Correct, NEst int
	}
	var raw map[string]int
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	ref.NTruth, ref.Found, ref.Correct, ref.NEst = raw["n_truth"], raw["found"], raw["correct"], raw["n_est"]
	if ref.Found == 0 || ref.Correct == ref.NEst {
		t.Fatalf("degenerate case: %+v", ref)
	}
	tpr := float64(ref.Found) / float64(3*ref.NTruth)
	ppv := float64(ref.Correct) / float64(ref.NEst)
	if sc.NTruth != ref.NTruth || sc.NEstimated*3 != float64(ref.NEst) || !near(sc.TPR, tpr) || !near(sc.PPV, ppv) {
		t.Errorf("Go: n %d/%g tpr %g ppv %g; numpy: n %d/%g tpr %g ppv %g",
			sc.NTruth, sc.NEstimated, sc.TPR, sc.PPV, ref.NTruth, float64(ref.NEst)/3, tpr, ppv)
	}
	t.Logf("tpr %.4f ppv %.4f f1 %.4f (n_truth %d)", sc.TPR, sc.PPV, sc.F1, sc.NTruth)
}

// TestScoreCountOnly checks the two meanings of the magnitude limits on a case made for them:
// a true star of 19.9 found by an estimate of 19.6, and a true star of 19.5 found by an
// estimate of 19.9, under a faint limit of 19.8. Cutting both catalogues first loses both
// pairs; counting within the limits keeps each once, on its counted side.
func TestScoreCountOnly(t *testing.T) {
	truth := Reference{X: []float64{10, 20}, Y: []float64{10, 20}, Mag: []float64{19.9, 19.5}}
	est := catalogue.Sample{X: []float64{10.1, 20}, Y: []float64{10, 20.1}, Flux: []float64{fluxOf(19.6), fluxOf(19.9)}}
	frame := Frame{W: 30, H: 30}
	for _, c := range []struct {
		countOnly bool
		tpr, ppv  float64
	}{{false, 0, 0}, {true, 1, 1}} {
		sc, err := Ensemble(truth, []catalogue.Sample{est}, Options{Rule: StarNetRule, Frame: frame, ZeroPoint: testZP, FaintLimit: 19.8, CountOnly: c.countOnly})
		if err != nil {
			t.Fatal(err)
		}
		if sc.NTruth != 1 || sc.NEstimated != 1 || !near(sc.TPR, c.tpr) || !near(sc.PPV, c.ppv) {
			t.Errorf("count only %v: %d true, %g estimated, TPR %g, PPV %g; want 1, 1, %g, %g", c.countOnly, sc.NTruth, sc.NEstimated, sc.TPR, sc.PPV, c.tpr, c.ppv)
		}
		n := 0
		for _, b := range sc.Bins {
			n += b.NTruth
		}
		if n != 1 {
			t.Errorf("count only %v: the bins hold %d true sources, want the 1 inside the limit", c.countOnly, n)
		}
	}
}

// TestReadReference reads plain catalogues back as references (Parquet and FITS, with
// magnitudes from the zero point) and refuses an ensemble.
func TestReadReference(t *testing.T) {
	dir := t.TempDir()
	x, y, f := []float64{1.5, 20, 33.25}, []float64{2, 4.75, 9}, []float64{300, 1e4, 512}
	for _, p := range []string{filepath.Join(dir, "truth.parquet"), filepath.Join(dir, "truth.fits")} {
		var err error
		if filepath.Ext(p) == ".fits" {
			err = catalogue.WriteCatalogueFITS(p, x, y, f, catalogue.Derived{})
		} else {
			err = catalogue.WriteCatalogueParquet(p, x, y, f, catalogue.Derived{})
		}
		if err != nil {
			t.Fatal(err)
		}
		ref, err := ReadReference(p, testZP)
		if err != nil {
			t.Fatal(err)
		}
		if want := NewReference(x, y, f, testZP); !reflect.DeepEqual(ref, want) {
			t.Errorf("%s: read back %+v, want %+v", p, ref, want)
		}
	}
	e := filepath.Join(dir, "ensemble.parquet")
	w, err := catalogue.CreateEnsemble(e, catalogue.Derived{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&catalogue.Sample{X: x, Y: y, Flux: f}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReference(e, testZP); err == nil {
		t.Error("an ensemble was accepted as a reference")
	}
}
