package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
)

// TestConvergedRule checks the stopping rule on series with known answers: independent
// draws pass, a chain offset from the others fails on R-hat, strongly correlated draws fail
// on ESS, a constant scalar (a fixed background) passes, and a window too short fails.
func TestConvergedRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	series := func(m, n int, phi float64, offset func(c int) float64) []Trace {
		tr := make([]Trace, m)
		for c := range tr {
			v := rng.NormFloat64()
			for range n {
				v = phi*v + math.Sqrt(1-phi*phi)*rng.NormFloat64()
				tr[c].Add(int(10+3*v+offset(c)), -500+v+offset(c), 1e4+100*v, 179)
			}
		}
		return tr
	}
	none := func(int) float64 { return 0 }
	iid := series(4, 400, 0, none)
	d := Diagnose(iid, 200, 400)
	if !d.Converged() {
		t.Errorf("independent draws: %+v, want converged", d)
	}
	if !d[3].Constant || !math.IsNaN(d[3].RHat) || d[0].Constant {
		t.Errorf("constant background: %+v", d[3])
	}
	apart := series(4, 400, 0, func(c int) float64 { return float64(c) })
	if d := Diagnose(apart, 200, 400); d.Converged() || d[1].RHat < MaxRHat {
		t.Errorf("chains apart: %+v, want ln L's R-hat to fail", d)
	}
	sticky := series(4, 400, 0.995, none)
	if d := Diagnose(sticky, 200, 400); d.Converged() || d[2].ESS >= MinESS {
		t.Errorf("φ = 0.995: %+v, want the total flux's ESS to fail", d)
	}
	if d := Diagnose(iid, 0, 3); d.Converged() || d[3].Constant {
		t.Errorf("3 draws: %+v, want not converged", d)
	}
	if d := Diagnose(iid, 0, 400); d[0] != DiagnoseSeries([][]float64{iid[0][0], iid[1][0], iid[2][0], iid[3][0]}) {
		t.Error("diagnostics are not a function of the draws")
	}
}

// TestSetBurnIn checks that SetBurnIn overrides Config.BurnIn and that the samples do not
// depend on it for a data-noise image (only NoiseFromModel weights are refreshed in burn-in).
func TestSetBurnIn(t *testing.T) {
	img, _, kind := testField(t, 24, 24, 0.02, 5)
	cfg := DefaultConfig()
	cfg.CountPrior = model.Poisson{Density: 0.02}
	cfg.Proposals, cfg.Threads, cfg.BurnIn = 20, 1, 2
	a, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		b.SetBurnIn(i < 4)
		sa, err := a.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sa.BurnIn != (i < 2) || sb.BurnIn != (i < 4) {
			t.Errorf("sample %d: burn-in %v by config, %v by SetBurnIn", i, sa.BurnIn, sb.BurnIn)
		}
		if sa.LogLike != sb.LogLike {
			t.Errorf("sample %d: ln L %g and %g", i, sa.LogLike, sb.LogLike)
		}
	}
}
