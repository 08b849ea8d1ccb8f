package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"gonum.org/v1/gonum/stat/distuv"
)

// TestSimulationBasedCalibration is a small version of experiments/sbc: catalogues drawn from
// the prior on 32×32 fields, rendered with exactly the sampler's Gaussian likelihood; the
// ranks of the true N and total flux among the posterior draws must be uniform (chi-square
// over 4 bins, p > 0.001) and the 90 % interval of N must hold the truth in at least 30 of 40
// fields (P < 0.003 for a calibrated sampler; the interval is randomised, as N is discrete).
func TestSimulationBasedCalibration(t *testing.T) {
	sbcCheck(t, DefaultConfig().Weights)
}

// TestSimulationBasedCalibrationRefit is the same check with refit births and deaths in place
// of births and deaths, and flux-group updates.
func TestSimulationBasedCalibrationRefit(t *testing.T) {
	sbcCheck(t, MoveWeights{Move: 80, SplitMerge: 40, Refit: 40, FluxGroup: 20})
}

// sbcCheck runs the small SBC with the given move weights.
func sbcCheck(t *testing.T, weights MoveWeights) {
	if testing.Short() {
		t.Skip("SBC takes several seconds")
	}
	const fields, draws, size = 40, 39, 32
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	fp := model.FluxPrior{Min: 60, Slope: 2}
	type res struct {
		rn, rf  int
		covered bool
		err     error
	}
	out := make([]res, fields)
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < fields; i += 2 {
				rng := rand.New(rand.NewPCG(99, uint64(i)))
				n := int(distuv.Poisson{Lambda: 10, Src: rng}.Rand())
				img := model.NewImage(size, size)
				img.Gain, img.Background, img.Noise = 4.62, 179, model.NoiseFromModel
				box := model.Box{Pix: img.Pix, Stride: size, W: size, H: size}
				total := 0.0
				for k := 0; k < n; k++ {
					f := fp.Sample(rng)
					total += f
					p.AddTo(box, rng.Float64()*size-0.5, rng.Float64()*size-0.5, f)
				}
				for k := range img.Pix {
					img.Pix[k] += float32(179 + math.Sqrt(179/4.62)*rng.NormFloat64())
				}
				cfg := DefaultConfig()
				cfg.CountPrior = model.Poisson{Density: 10.0 / (size * size)}
				cfg.WeightsFromBackground, cfg.ExactStamps = true, true
				cfg.Proposals, cfg.RegionProposals, cfg.BurnIn, cfg.Threads = 100, 4, 15, 1
				cfg.Seed = uint64(1000 + i)
				cfg.Weights = weights
				samples := collectQuiet(img, &model.PointSource{PSF: p, Flux: fp}, cfg, cfg.BurnIn+draws)
				if samples == nil {
					out[i].err = context.Canceled
					continue
				}
				var ns, fs []float64
				for _, s := range samples[cfg.BurnIn:] {
					ns = append(ns, float64(s.Catalogue.Len()))
					tf := 0.0
					for _, f := range s.Catalogue.Flux {
						tf += f
					}
					fs = append(fs, tf)
				}
				out[i].rn = sbcRank(ns, float64(n), rng)
				out[i].rf = sbcRank(fs, total, rng)
				// randomised 90 % interval: the tie-broken rank among the central 36 of 40 ranks
				out[i].covered = out[i].rn >= 2 && out[i].rn < 38
			}
		}(g)
	}
	wg.Wait()
	hn, hf := make([]int, 4), make([]int, 4)
	cov := 0
	for _, r := range out {
		if r.err != nil {
			t.Fatal("sampling failed")
		}
		hn[r.rn*4/(draws+1)]++
		hf[r.rf*4/(draws+1)]++
		if r.covered {
			cov++
		}
	}
	exp := []float64{fields / 4, fields / 4, fields / 4, fields / 4}
	for _, h := range []struct {
		name string
		obs  []int
	}{{"N", hn}, {"total flux", hf}} {
		chi2, pv := chiSquarePValue(h.obs, exp)
		t.Logf("ranks of %s: %v, chi2 %.1f, p %.3g", h.name, h.obs, chi2, pv)
		if pv < 0.001 {
			t.Errorf("ranks of the true %s are not uniform: %v (p = %.3g)", h.name, h.obs, pv)
		}
	}
	t.Logf("90%% interval of N holds the truth in %d of %d fields", cov, fields)
	if cov < 30 {
		t.Errorf("90%% interval of N holds the truth in only %d of %d fields", cov, fields)
	}
}

// collectQuiet runs one chain and returns its samples, nil on error.
func collectQuiet(img *model.Image, kind model.SourceKind, cfg Config, n int) []Sample {
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		return nil
	}
	var out []Sample
	for i := 0; i < n; i++ {
		s, err := c.Next(context.Background())
		if err != nil {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// sbcRank counts the draws below the truth, breaking ties at random.
func sbcRank(draws []float64, truth float64, rng *rand.Rand) int {
	below, equal := 0, 0
	for _, d := range draws {
		if d < truth {
			below++
		} else if d == truth {
			equal++
		}
	}
	return below + rng.IntN(equal+1)
}
