package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
	"gonum.org/v1/gonum/stat/distuv"
)

func priorConfig(cp model.CountPrior) Config {
	cfg := DefaultConfig()
	cfg.NoLikelihood = true
	cfg.CountPrior = cp
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

// thin keeps every k-th sample, with k the integrated autocorrelation time of N, so that the
// kept samples are close to independent and the chi-square and KS p-values are honest.
func thin(t *testing.T, samples []Sample) []Sample {
	t.Helper()
	ns := make([]float64, len(samples))
	for i, s := range samples {
		ns[i] = float64(s.Catalogue.Len())
	}
	ess := EffectiveSampleSize([][]float64{ns})
	k := int(math.Ceil(float64(len(samples)) / ess))
	var out []Sample
	for i := 0; i < len(samples); i += k {
		out = append(out, samples[i])
	}
	t.Logf("ESS of N %.0f of %d samples: keeping every %d-th", ess, len(samples), k)
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
