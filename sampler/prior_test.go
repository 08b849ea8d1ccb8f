package sampler

import (
	"math"
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
	checkCounts(t, samples[200:], lam)
	checkFluxes(t, samples[200:], kind.Flux)
}

func checkCounts(t *testing.T, samples []Sample, lam float64) {
	t.Helper()
	pois := distuv.Poisson{Lambda: lam}
	// bins: ≤ lo, lo+1 … hi−1, ≥ hi with expected counts ≥ 5
	lo, hi := int(lam-2*math.Sqrt(lam)), int(lam+2*math.Sqrt(lam))
	nb := hi - lo + 1
	obs := make([]int, nb)
	exp := make([]float64, nb)
	mean := 0.0
	for _, s := range samples {
		n := s.Catalogue.Len()
		mean += float64(n)
		obs[min(max(n, lo), hi)-lo]++
	}
	mean /= float64(len(samples))
	total := float64(len(samples))
	for k := 1; k < nb-1; k++ {
		exp[k] = total * pois.Prob(float64(lo+k))
	}
	exp[0] = total * pois.CDF(float64(lo))
	exp[nb-1] = total * (1 - pois.CDF(float64(hi-1)))
	// thin to reduce autocorrelation: scale counts by the thinning factor
	chi2, p := chiSquarePValue(obs, exp)
	t.Logf("N: mean %.3f (prior %.3f), chi2 %.1f over %d bins, p %.3g", mean, lam, chi2, nb, p)
	if p < 0.001 {
		t.Errorf("distribution of N does not match the Poisson prior: p = %.3g\nobs %v\nexp %.1f", p, obs, exp)
	}
}

func checkFluxes(t *testing.T, samples []Sample, fp model.FluxPrior) {
	t.Helper()
	var fl []float64
	for i := 0; i < len(samples); i += 10 {
		fl = append(fl, samples[i].Catalogue.Flux...)
	}
	d, p := ksPValue(fl, fp.CDF)
	t.Logf("fluxes: %d values, KS D %.4f, p %.3g", len(fl), d, p)
	if p < 0.001 {
		t.Errorf("fluxes do not follow the power-law prior: KS p = %.3g", p)
	}
}
