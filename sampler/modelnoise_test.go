package sampler

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"gonum.org/v1/gonum/stat"
)

// modelNoiseStar is a 20×20 zero-sky image of one star with noise σ² = 100 + 10·model (read
// noise 10, gain 0.1), the read-noise dominated regime where the noise depends most on the
// sources.
func modelNoiseStar(t *testing.T) (*model.Image, *psf.PSF, [3]float64) {
	t.Helper()
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	truth := [3]float64{9.7, 10.2, 3000}
	img := model.NewImage(20, 20)
	img.Gain, img.ReadNoise, img.Background, img.Noise = 0.1, 10, 0, model.NoiseFromModel
	p.AddTo(model.Box{Pix: img.Pix, Stride: 20, W: 20, H: 20}, truth[0], truth[1], truth[2])
	rng := rand.New(rand.NewPCG(5, 6))
	for i, m := range img.Pix {
		img.Pix[i] = m + float32(math.Sqrt(img.PixelVariance(float64(m)))*rng.NormFloat64())
	}
	return img, p, truth
}

// TestModelNoiseLikelihood checks the exact model-noise likelihood the samples report against
// −½ Σ (r²/σ² + ln σ²) computed afresh from their catalogues with model.Image.Variance, without
// and with a model-error term.
func TestModelNoiseLikelihood(t *testing.T) {
	for _, eps := range []float64{0, 0.05} {
		img, p, _ := modelNoiseStar(t)
		img.ModelError = eps
		checkModelNoiseLikelihood(t, img, p)
	}
}

func checkModelNoiseLikelihood(t *testing.T, img *model.Image, p *psf.PSF) {
	cfg := DefaultConfig()
	cfg.ExactStamps, cfg.Proposals, cfg.Threads, cfg.SampleBackground = true, 20, 1, true
	for _, s := range collect(t, img, &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: 100, Slope: 2}}, cfg, 30) {
		m := make([]float32, len(img.Pix))
		for i := range s.Catalogue.X {
			p.AddTo(model.Box{Pix: m, Stride: 20, W: 20, H: 20}, s.Catalogue.X[i], s.Catalogue.Y[i], s.Catalogue.Flux[i])
		}
		want := 0.0
		for i, d := range img.Pix {
			mu := s.Background + float64(m[i])
			v := img.Variance(i, mu)
			r := float64(d) - mu
			want -= 0.5 * (r*r/v + math.Log(v))
		}
		if math.Abs(s.LogLike-want) > 1e-3*math.Abs(want) {
			t.Fatalf("model error %g, sample %d (N = %d): ln L %.4f, recomputed %.4f", img.ModelError, s.Index, s.Catalogue.Len(), s.LogLike, want)
		}
	}
}

// TestModelNoisePosterior compares the sampled posterior of one star's position and flux
// under model noise with the exact one, computed by quadrature on a grid over (x, y, f) with
// the flux prior p(f) ∝ f⁻² and a uniform position. The count prior (Poisson with mean 1, at
// most one source) keeps exactly one star once burn-in has found it: P(N = 0) is e⁻¹⁵⁰ of
// P(N = 1) here, and a mean of 1 lets a faint source found first die. Without the ln σ² term, or with the variances
// frozen at some earlier model, the flux posterior moves by several of the tolerances.
func TestModelNoisePosterior(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a few thousand samples")
	}
	img, p, truth := modelNoiseStar(t)
	fp := model.FluxPrior{Min: 100, Slope: 2}

	// quadrature: the stamp of each grid position once, then every flux
	const nx, nf = 61, 241
	xs := make([]float64, nx)
	for i := range xs {
		xs[i] = truth[0] - 0.6 + 1.2*float64(i)/(nx-1)
	}
	ys := make([]float64, nx)
	for i := range ys {
		ys[i] = truth[1] - 0.6 + 1.2*float64(i)/(nx-1)
	}
	fs := make([]float64, nf)
	for i := range fs {
		fs[i] = truth[2] * (0.6 + 0.8*float64(i)/(nf-1))
	}
	lnp := make([]float64, nx*nx*nf)
	stamp := make([]float32, len(img.Pix))
	best := math.Inf(-1)
	for iy, y := range ys {
		for ix, x := range xs {
			clear(stamp)
			p.AddTo(model.Box{Pix: stamp, Stride: 20, W: 20, H: 20}, x, y, 1)
			for k, f := range fs {
				l := fp.LogDensity(f)
				for i, d := range img.Pix {
					mu := f * float64(stamp[i])
					v := img.PixelVariance(mu)
					r := float64(d) - mu
					l -= 0.5 * (r*r/v + math.Log(v))
				}
				lnp[(iy*nx+ix)*nf+k] = l
				best = math.Max(best, l)
			}
		}
	}
	var wx, wf []float64
	var vx, vf []float64
	for iy := range ys {
		for ix, x := range xs {
			for k, f := range fs {
				w := math.Exp(lnp[(iy*nx+ix)*nf+k] - best)
				vx, wx = append(vx, x), append(wx, w)
				vf, wf = append(vf, f), append(wf, w)
			}
		}
	}
	qx, qsx := stat.MeanStdDev(vx, wx)
	qf, qsf := stat.MeanStdDev(vf, wf)

	cfg := DefaultConfig()
	cfg.CountPrior = model.Poisson{Density: 1.0 / 400}
	cfg.MaxSources, cfg.ExactStamps, cfg.Proposals, cfg.Threads, cfg.Seed = 1, true, 20, 1, 3
	cfg.SampleFluxPrior = false // the quadrature's flux prior has its slope fixed
	samples := collect(t, img, &model.PointSource{PSF: p, Flux: fp}, cfg, 4200)[200:]
	var sx, sf []float64
	for _, s := range samples {
		if s.Catalogue.Len() != 1 {
			t.Fatalf("sample %d holds %d sources, want 1", s.Index, s.Catalogue.Len())
		}
		sx = append(sx, s.Catalogue.X[0])
		sf = append(sf, s.Catalogue.Flux[0])
	}
	mx, smx := stat.MeanStdDev(sx, nil)
	mf, smf := stat.MeanStdDev(sf, nil)
	essX := EffectiveSampleSize([][]float64{sx})
	essF := EffectiveSampleSize([][]float64{sf})
	t.Logf("x: quadrature %.4f ± %.4f, sampled %.4f ± %.4f (ESS %.0f)", qx, qsx, mx, smx, essX)
	t.Logf("f: quadrature %.1f ± %.1f, sampled %.1f ± %.1f (ESS %.0f)", qf, qsf, mf, smf, essF)
	if z := (mx - qx) / (qsx / math.Sqrt(essX)); math.Abs(z) > 4 {
		t.Errorf("posterior mean of x: sampled %.4f, exact %.4f (z = %.1f)", mx, qx, z)
	}
	if z := (mf - qf) / (qsf / math.Sqrt(essF)); math.Abs(z) > 4 {
		t.Errorf("posterior mean of the flux: sampled %.1f, exact %.1f (z = %.1f)", mf, qf, z)
	}
	if r := smf / qsf; r < 0.85 || r > 1.15 {
		t.Errorf("posterior width of the flux: sampled %.1f, exact %.1f", smf, qsf)
	}
}

// TestModelNoiseBackground compares the sampled posterior of the background of a sky-only
// image under model noise (σ² = 100 + 10·b: the ln σ² term and the variance's growth with b
// both shape it) with the exact one by quadrature, flat prior. A count prior with a vanishing
// density keeps the catalogue empty, so only the background update moves. It starts near the
// mode and far on either side of it: a Fisher-scoring random walk alone never left a start 15
// posterior widths above.
func TestModelNoiseBackground(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a few thousand samples")
	}
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	img := model.NewImage(24, 24)
	img.Gain, img.ReadNoise, img.Background, img.Noise = 0.1, 10, 15, model.NoiseFromModel
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range img.Pix {
		img.Pix[i] = float32(20 + math.Sqrt(img.PixelVariance(20))*rng.NormFloat64())
	}
	var bs, ws []float64
	lmax := math.Inf(-1)
	var ls []float64
	for b := 10.0; b <= 30; b += 0.005 {
		l := 0.0
		for _, d := range img.Pix {
			v := img.PixelVariance(b)
			r := float64(d) - b
			l -= 0.5 * (r*r/v + math.Log(v))
		}
		bs, ls = append(bs, b), append(ls, l)
		lmax = math.Max(lmax, l)
	}
	for _, l := range ls {
		ws = append(ws, math.Exp(l-lmax))
	}
	qm, qs := stat.MeanStdDev(bs, ws)

	for _, start := range []float64{15, 30, 80, 400, -400} { // 7 posterior widths below the mode; 15, 90 and 570 above; 630 below
		img.Background = start
		cfg := DefaultConfig()
		cfg.CountPrior = model.Poisson{Density: 1e-30}
		cfg.SampleBackground, cfg.Proposals, cfg.Threads, cfg.BurnIn = true, 1, 1, 20
		if start < 0 { // so far from the data that births would fill the image while the sky is held
			cfg.Weights = MoveWeights{Move: 1}
		}
		var sb []float64
		for _, s := range collect(t, img, &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: 100, Slope: 2}}, cfg, 3020)[20:] {
			if s.Catalogue.Len() != 0 {
				t.Fatalf("sample %d holds %d sources", s.Index, s.Catalogue.Len())
			}
			sb = append(sb, s.Background)
		}
		m, sd := stat.MeanStdDev(sb, nil)
		ess := EffectiveSampleSize([][]float64{sb})
		t.Logf("start %g: background: quadrature %.4f ± %.4f, sampled %.4f ± %.4f (ESS %.0f of %d)", start, qm, qs, m, sd, ess, len(sb))
		if z := (m - qm) / (qs / math.Sqrt(ess)); math.Abs(z) > 4 {
			t.Errorf("start %g: posterior mean of the background: sampled %.4f, exact %.4f (z = %.1f)", start, m, qm, z)
		}
		if r := sd / qs; r < 0.95 || r > 1.05 {
			t.Errorf("start %g: posterior width of the background: sampled %.4f, exact %.4f", start, sd, qs)
		}
		if ess < 1000 {
			t.Errorf("start %g: ESS of the background %.0f of %d samples: the update hardly mixes", start, ess, len(sb))
		}
	}
}
