package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"gonum.org/v1/gonum/stat/distuv"
)

func priorConfig(cp model.CountPrior) Config {
	cfg := DefaultConfig()
	cfg.NoLikelihood = true
	cfg.CountPrior = cp
	cfg.SampleFluxPrior = false // the tests that sample it say so
	cfg.Proposals = 50
	cfg.Threads = 1
	cfg.Seed = 7
	return cfg
}

// TestPriorRecoveryPoisson switches the likelihood off and checks that the chain's
// distribution of N is the Poisson prior (chi-square, p > 0.001) and that fluxes follow the
// power law (KS, p > 0.001). Samples are thinned so that they are close to independent.
func TestPriorRecoveryPoisson(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 3)
	lam := 12.0
	cfg := priorConfig(model.Poisson{Density: lam / 1600})
	samples := collect(t, img, kind, cfg, 4000)
	kept := thin(t, samples[200:])
	checkCounts(t, kept, lam)
	checkFluxes(t, kept, kind.Flux)
}

// thin keeps every k-th sample, with k the integrated autocorrelation time of N (or of the
// slowest of N and the extra scalars given), so that the kept samples are close to
// independent and the chi-square and KS p-values are honest.
func thin(t *testing.T, samples []Sample, extra ...func(Sample) float64) []Sample {
	t.Helper()
	ess := math.Inf(1)
	for _, get := range append([]func(Sample) float64{func(s Sample) float64 { return float64(s.Catalogue.Len()) }}, extra...) {
		vs := make([]float64, len(samples))
		for i, s := range samples {
			vs[i] = get(s)
		}
		ess = min(ess, EffectiveSampleSize([][]float64{vs}))
	}
	k := int(math.Ceil(float64(len(samples)) / ess))
	var out []Sample
	for i := 0; i < len(samples); i += k {
		out = append(out, samples[i])
	}
	t.Logf("ESS %.0f of %d samples: keeping every %d-th", ess, len(samples), k)
	if len(out) < 100 {
		t.Fatalf("only %d effectively independent samples", len(out))
	}
	return out
}

func checkCounts(t *testing.T, samples []Sample, lam float64) {
	t.Helper()
	pois := distuv.Poisson{Lambda: lam}
	// bins ≤ lo, lo+1 … hi−1, ≥ hi
	lo, hi := int(lam-1.5*math.Sqrt(lam)), int(lam+1.5*math.Sqrt(lam))
	nb := hi - lo + 1
	obs := make([]int, nb)
	exp := make([]float64, nb)
	mean := 0.0
	for _, s := range samples {
		n := s.Catalogue.Len()
		mean += float64(n)
		obs[min(max(n, lo), hi)-lo]++
	}
	total := float64(len(samples))
	mean /= total
	for k := 1; k < nb-1; k++ {
		exp[k] = total * pois.Prob(float64(lo+k))
	}
	exp[0] = total * pois.CDF(float64(lo))
	exp[nb-1] = total * (1 - pois.CDF(float64(hi-1)))
	chi2, p := chiSquarePValue(obs, exp)
	z := (mean - lam) / math.Sqrt(lam/total)
	t.Logf("N: mean %.3f (prior %.3f, z = %.2f), chi2 %.1f over %d bins, p %.3g", mean, lam, z, chi2, nb, p)
	if math.Abs(z) > 3.29 {
		t.Errorf("mean N %.3f differs from the prior's %.3f by %.2f standard errors (p < 0.001)", mean, lam, z)
	}
	if p < 0.001 {
		t.Errorf("distribution of N does not match the Poisson prior: p = %.3g\nobs %v\nexp %.1f", p, obs, exp)
	}
}

func checkFluxes(t *testing.T, samples []Sample, fp model.FluxPrior) {
	t.Helper()
	var fl []float64
	for _, s := range samples {
		fl = append(fl, s.Catalogue.Flux...)
	}
	d, p := ksPValue(fl, fp.CDF)
	t.Logf("fluxes: %d values, KS D %.4f, p %.3g", len(fl), d, p)
	if p < 0.001 {
		t.Errorf("fluxes do not follow the power-law prior: KS p = %.3g", p)
	}
}

// TestPriorRecoverySplitMerge changes N only through splits and merges (no births or
// deaths), starting from a catalogue drawn from the prior: N must stay Poisson and fluxes
// power law. This isolates the split/merge acceptance ratio.
func TestPriorRecoverySplitMerge(t *testing.T) {
	priorRecoveryWithout(t, MoveWeights{Move: 40, SplitMerge: 80})
}

// TestPriorRecoveryTransfer does the same with emits and absorbs (flux transfers) alone.
func TestPriorRecoveryTransfer(t *testing.T) {
	priorRecoveryWithout(t, MoveWeights{Move: 40, Transfer: 80})
}

// priorRecoveryWithout recovers the prior with births and deaths switched off, N changing
// only through the given pair of moves; tweaks adjust the configuration further.
func priorRecoveryWithout(t *testing.T, weights MoveWeights, tweaks ...func(*Config)) {
	img, _, kind := testField(t, 30, 30, 0.01, 4)
	lam := 8.0
	cfg := priorConfig(model.Poisson{Density: lam / 900})
	cfg.Weights = weights
	cfg.RegionSize = 61 // often one region holds the whole image, so any pair can merge
	cfg.RegionProposals = 10
	cfg.Proposals = 150
	// without births, positions and fluxes mix only through moves and splits/merges: take
	// large steps and a wide merge kernel so that the test runs in seconds
	cfg.StepScale = 10
	cfg.SplitScale = 6
	for _, f := range tweaks {
		f(&cfg)
	}
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := &model.Catalogue{}
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < int(lam); i++ {
		start.Append(rng.Float64()*30-0.5, rng.Float64()*30-0.5, []float64{kind.Flux.Sample(rng)})
	}
	if err := c.SetCatalogue(start); err != nil {
		t.Fatal(err)
	}
	var samples []Sample
	for i := 0; i < splitMergeSamples; i++ {
		s, err := c.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	if samples[len(samples)-1].Moves[Birth].Proposed != 0 {
		t.Fatal("births were proposed with zero birth weight")
	}
	kept := thin(t, samples[200:])
	checkCounts(t, kept, lam)
	checkFluxes(t, kept, kind.Flux)
}

// TestPriorRecoveryPenalty checks PCAT's penalty prior p(N) ∝ exp(−penalty·N): capped at
// MaxSources (so that it stays a test of the acceptance ratios, not of a prior concentrated
// at N = 0), with the image in one region per pass so that the cap is exact. N must follow
// the truncated geometric distribution and fluxes the power law.
func TestPriorRecoveryPenalty(t *testing.T) {
	img, _, kind := testField(t, 30, 30, 0.01, 6)
	const pen = 0.15
	cfg := priorConfig(model.Penalty{PerSource: pen})
	cfg.MaxSources = 15
	cfg.RegionSize = 31
	samples := collect(t, img, kind, cfg, 4000)
	obs := make([]int, cfg.MaxSources+1)
	kept := thin(t, samples[200:])
	for _, s := range kept {
		n := s.Catalogue.Len()
		if n > cfg.MaxSources {
			t.Fatalf("sample %d has %d sources, above the cap %d", s.Index, n, cfg.MaxSources)
		}
		obs[n]++
	}
	exp := make([]float64, len(obs))
	z := 0.0
	for i := range exp {
		exp[i] = math.Exp(-pen * float64(i))
		z += exp[i]
	}
	for i := range exp {
		exp[i] *= float64(len(kept)) / z
	}
	chi2, p := chiSquarePValue(obs, exp)
	t.Logf("N: chi2 %.1f over %d values, p %.3g", chi2, len(obs), p)
	if p < 0.001 {
		t.Errorf("N does not follow exp(−%g N) on 0…%d: p = %.3g, counts %v", pen, cfg.MaxSources, p, obs)
	}
	checkFluxes(t, kept, kind.Flux)
}

var splitMergeSamples = 2000

// TestPriorRecoveryDensity samples a Poisson count prior whose density has a Gamma hyperprior,
// likelihood off: the density must follow the hyperprior (KS) and N its marginal, the negative
// binomial (chi-square).
func TestPriorRecoveryDensity(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 3)
	area := 1600.0
	hp := model.GammaPoisson{Shape: 16, Rate: 16 * area / 12} // mean N 12, variance 21
	cfg := priorConfig(hp)
	samples := collect(t, img, kind, cfg, 4000)
	density := func(s Sample) float64 { return s.Density }
	kept := thin(t, samples[200:], density)
	var ds []float64
	for _, s := range kept {
		ds = append(ds, s.Density)
	}
	g := distuv.Gamma{Alpha: hp.Shape, Beta: hp.Rate}
	d, p := ksPValue(ds, g.CDF)
	t.Logf("density: %d values, KS D %.4f, p %.3g", len(ds), d, p)
	if p < 0.001 {
		t.Errorf("density does not follow its Gamma hyperprior: KS p = %.3g", p)
	}
	// N: bins ≤ 6, 7 … 17, ≥ 18 of the negative binomial Γ(a+n)/(Γ(a) n!) q^a (1−q)^n
	q := hp.Rate / (hp.Rate + area)
	nb := func(n int) float64 {
		la, _ := math.Lgamma(hp.Shape + float64(n))
		lb, _ := math.Lgamma(hp.Shape)
		lc, _ := math.Lgamma(float64(n) + 1)
		return math.Exp(la - lb - lc + hp.Shape*math.Log(q) + float64(n)*math.Log1p(-q))
	}
	lo, hi := 6, 18
	obs := make([]int, hi-lo+1)
	exp := make([]float64, hi-lo+1)
	for _, s := range kept {
		obs[min(max(s.Catalogue.Len(), lo), hi)-lo]++
	}
	below := 0.0
	for n := 0; n <= lo; n++ {
		below += nb(n)
	}
	exp[0] = below
	rest := 1 - below
	for n := lo + 1; n < hi; n++ {
		exp[n-lo] = nb(n)
		rest -= nb(n)
	}
	exp[hi-lo] = rest
	for i := range exp {
		exp[i] *= float64(len(kept))
	}
	chi2, pn := chiSquarePValue(obs, exp)
	t.Logf("N: chi2 %.1f over %d bins, p %.3g", chi2, len(obs), pn)
	if pn < 0.001 {
		t.Errorf("N does not follow the negative binomial marginal: p = %.3g\nobs %v\nexp %.1f", pn, obs, exp)
	}
	checkFluxes(t, kept, kind.Flux)
}

// TestDensityPosteriorExact holds N fixed (moves only, no births, deaths, splits or merges) on
// a tiny image with the likelihood on: the density's draws must be exactly its conditional
// posterior Gamma(a + N, b + area), whatever the image says, and independent from pass to
// pass (one pass per sample, so no thinning).
func TestDensityPosteriorExact(t *testing.T) {
	img, truth, kind := testField(t, 24, 24, 0.02, 8)
	hp := model.GammaPoisson{Shape: 2, Rate: 50}
	cfg := DefaultConfig()
	cfg.CountPrior = hp
	cfg.Weights = MoveWeights{Move: 1}
	cfg.Proposals = 1
	cfg.Threads = 1
	cfg.Seed = 3
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetCatalogue(truth); err != nil {
		t.Fatal(err)
	}
	n := truth.Len()
	var ds []float64
	for i := 0; i < 3000; i++ {
		s, err := c.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.Catalogue.Len() != n {
			t.Fatalf("N changed from %d to %d with moves only", n, s.Catalogue.Len())
		}
		ds = append(ds, s.Density)
	}
	g := distuv.Gamma{Alpha: hp.Shape + float64(n), Beta: hp.Rate + 24*24}
	d, p := ksPValue(ds, g.CDF)
	t.Logf("N = %d: %d draws, KS D %.4f, p %.3g", n, len(ds), d, p)
	if p < 0.001 {
		t.Errorf("density draws do not follow Gamma(%g, %g): KS p = %.3g", g.Alpha, g.Beta, p)
	}
}

// TestPriorRecoveryFluxSlope samples the power-law slope, α − 1 ~ Gamma(SlopeShape,
// SlopeShape) truncated to (0, 2], with a Poisson count prior and the likelihood off: the
// slope must follow that hyperprior (KS), and the pooled fluxes the power law averaged over it,
// CDF 1 − E[x^−(α−1)] with x = f/f_min (N does not depend on the slope, so pooling weights
// every slope alike; the expectation by quadrature).
func TestPriorRecoveryFluxSlope(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 3)
	cfg := priorConfig(model.Poisson{Density: 4.0 / 1600}) // few sources: broad conditionals, fast mixing
	cfg.SampleFluxPrior = true
	cfg.MaxSlope = 3
	cfg.ResidualBirths, cfg.ResidualFluxes = 0, 0
	samples := collect(t, img, kind, cfg, 4000)
	slope := func(s Sample) float64 { return s.FluxPrior.Slope }
	kept := thin(t, samples[200:], slope)
	checkSlopeHyperprior(t, kept, cfg.MaxSlope)
	hyper := distuv.Gamma{Alpha: SlopeShape, Beta: SlopeShape}
	norm := hyper.CDF(cfg.MaxSlope - 1)
	fmin := kind.Flux.Min
	var fl []float64
	for _, s := range kept {
		fl = append(fl, s.Catalogue.Flux...)
	}
	const steps = 4000
	d, p := ksPValue(fl, func(f float64) float64 {
		x := f / fmin
		if x <= 1 {
			return 0
		}
		e := 0.0 // E[x^−β], β = α − 1 on (0, 2], midpoint rule
		for k := range steps {
			b := (float64(k) + 0.5) * (cfg.MaxSlope - 1) / steps
			e += hyper.Prob(b) * math.Pow(x, -b)
		}
		return 1 - e*(cfg.MaxSlope-1)/steps/norm
	})
	t.Logf("fluxes: %d values, KS D %.4f, p %.3g", len(fl), d, p)
	if p < 0.001 {
		t.Errorf("fluxes do not follow the slope-averaged power law: KS p = %.3g", p)
	}
	if r := samples[len(samples)-1].Moves[FluxPriorStep].Rate(); r != 1 {
		t.Errorf("slope acceptance rate %.3f: the Gibbs draw is always accepted", r)
	}
}

// checkSlopeHyperprior checks that the sampled flux-prior slopes of kept follow their
// hyperprior, slope − 1 ~ Gamma(SlopeShape, SlopeShape) truncated at maxSlope − 1 (KS test).
func checkSlopeHyperprior(t *testing.T, kept []Sample, maxSlope float64) {
	t.Helper()
	hyper := distuv.Gamma{Alpha: SlopeShape, Beta: SlopeShape}
	norm := hyper.CDF(maxSlope - 1)
	var sl []float64
	for _, s := range kept {
		sl = append(sl, s.FluxPrior.Slope)
	}
	d, p := ksPValue(sl, func(a float64) float64 { return hyper.CDF(a-1) / norm })
	t.Logf("slope: %d values, KS D %.4f, p %.3g", len(sl), d, p)
	if p < 0.001 {
		t.Errorf("slope does not follow its Gamma hyperprior: KS p = %.3g", p)
	}
}

// TestPriorRecoveryBrokenPowerLaw samples a broken power law's three parameters with the
// likelihood off: each must follow its hyperprior, the faint slope uniform on [−3, 3], the
// bright slope on (1, 3] and ln(f_b/f_min) on (0, ln MaxBreakRatio] (KS).
func TestPriorRecoveryBrokenPowerLaw(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 3)
	kind = brokenKind(kind)
	cfg := priorConfig(model.Poisson{Density: 4.0 / 1600}) // few sources: broad conditionals, fast mixing
	cfg.SampleFluxPrior = true
	cfg.MaxSlope = 3
	// slopes near 1 give fluxes of 10⁸⁰ and more, whose light overflows the float32 residual;
	// without the likelihood it is ignored, but births and deaths guided by it would stall
	cfg.ResidualBirths, cfg.ResidualFluxes = 0, 0
	samples := collect(t, img, kind, cfg, 6000)
	faint := func(s Sample) float64 { return s.FluxPrior.Slope }
	bright := func(s Sample) float64 { return s.FluxPrior.SlopeBright }
	brk := func(s Sample) float64 { return math.Log(s.FluxPrior.Break / s.FluxPrior.Min) }
	kept := thin(t, samples[200:], faint, bright, brk)
	checkUniform(t, "faint slope", kept, faint, -3, 3)
	checkUniform(t, "bright slope", kept, bright, 1, 3)
	checkUniform(t, "ln(break/f_min)", kept, brk, 0, math.Log(MaxBreakRatio))
}

func checkUniform(t *testing.T, what string, samples []Sample, get func(Sample) float64, lo, hi float64) {
	t.Helper()
	var vs []float64
	for _, s := range samples {
		vs = append(vs, get(s))
	}
	d, p := ksPValue(vs, func(v float64) float64 { return min(max((v-lo)/(hi-lo), 0), 1) })
	t.Logf("%s: %d values, KS D %.4f, p %.3g", what, len(vs), d, p)
	if p < 0.001 {
		t.Errorf("%s does not follow its flat hyperprior on [%g, %g]: KS p = %.3g", what, lo, hi, p)
	}
}

// TestHyperConfigErrors checks that an improper density hyperprior is refused.
func TestHyperConfigErrors(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 1)
	cfg := DefaultConfig()
	cfg.CountPrior = model.GammaPoisson{Shape: 0, Rate: 1}
	if _, err := NewChain(img, kind, cfg, 0); err == nil || !strings.Contains(err.Error(), "Gamma") {
		t.Errorf("Gamma(0, 1) hyperprior: got %v", err)
	}
}
