package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// skyImage returns a w×h image of a sky Σ a_k B_k (order 2, coefficients truth) with
// Gaussian noise of variance given by the image's PixelVariance, no sources.
func skyImage(w, h int, truth []float64, noise model.NoiseModel, gain, readNoise float64, seed uint64) *model.Image {
	img := model.NewImage(w, h)
	img.Gain, img.ReadNoise, img.Noise, img.Background = gain, readNoise, noise, truth[0]
	b, err := model.NewSkyBasis(2, w, h)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for i, m := range b.Map(truth) {
		img.Pix[i] = float32(m + math.Sqrt(img.PixelVariance(m))*rng.NormFloat64())
	}
	return img
}

// emptyConfig samples only the background: no source is ever born (a Poisson count prior of
// density 1e−30), one pass per sample.
func emptyConfig(order int) Config {
	cfg := DefaultConfig()
	cfg.CountPrior = model.Poisson{Density: 1e-30}
	cfg.SampleBackground, cfg.SampleFluxPrior = true, false
	cfg.BackgroundOrder, cfg.Proposals, cfg.Threads, cfg.BurnIn = order, 1, 1, 0
	return cfg
}

func gaussianKind(t testing.TB) *model.PointSource {
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	return &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: 100, Slope: 2}}
}

// skyDraws returns the coefficients of n samples of an empty chain and checks that every
// sample's Background is the mean of its background map.
func skyDraws(t *testing.T, img *model.Image, cfg Config, n int) [][]float64 {
	t.Helper()
	b, err := model.NewSkyBasis(cfg.BackgroundOrder, img.Width, img.Height)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for i, s := range collect(t, img, gaussianKind(t), cfg, n) {
		if s.Catalogue.Len() != 0 || len(s.Sky) != b.Len() {
			t.Fatalf("sample %d: %d sources, %d coefficients", i, s.Catalogue.Len(), len(s.Sky))
		}
		if i == 0 {
			if m := stat.Mean(b.Map(s.Sky), nil); math.Abs(m-s.Background) > 1e-9*math.Abs(m) {
				t.Fatalf("Background %g, the map's mean %g", s.Background, m)
			}
		}
		out = append(out, s.Sky)
	}
	return out
}

// TestSkyGibbsExact compares the Gibbs draws of a quadratic background (6 coefficients) under
// fixed weights with its exact conditional, the Gaussian of mean G⁻¹BᵀWd and covariance G⁻¹
// (G = BᵀWB, built here from model.SkyBasis.At with gonum): whitened by G's Cholesky factor
// the draws must have mean 0 and covariance I. A mask over the left 12 columns and the top 7
// rows keeps the masked pixels out of the sums and makes the terms strongly correlated, so
// that a draw with the wrong triangular factor (L⁻¹z for L⁻ᵀz) fails.
func TestSkyGibbsExact(t *testing.T) {
	const w, h, n = 30, 26, 3000
	truth := []float64{100, 10, -6, 8, 4, -3}
	img := skyImage(w, h, truth, model.NoiseFromData, 4.62, 0, 1)
	img.Mask = make([]bool, w*h)
	for i := range img.Mask {
		img.Mask[i] = i%w < 12 || i/w > 18 // the basis is far from orthogonal on what is left
	}
	draws := skyDraws(t, img, emptyConfig(2), n)

	b, _ := model.NewSkyBasis(2, w, h)
	k := b.Len()
	wt := img.InverseVariance(nil)
	g := mat.NewSymDense(k, nil)
	rhs := mat.NewVecDense(k, nil)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			for p := 0; p < k; p++ {
				bp := b.At(p, x, y)
				rhs.SetVec(p, rhs.AtVec(p)+float64(wt[i])*bp*float64(img.Pix[i]))
				for q := p; q < k; q++ {
					g.SetSym(p, q, g.At(p, q)+float64(wt[i])*bp*b.At(q, x, y))
				}
			}
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(g) {
		t.Fatal("Gram matrix not positive definite")
	}
	var mu mat.VecDense
	if err := chol.SolveVecTo(&mu, rhs); err != nil {
		t.Fatal(err)
	}
	var u mat.TriDense
	chol.UTo(&u) // G = UᵀU: U(a − μ) ~ N(0, I)
	ys := make([][]float64, k)
	for _, a := range draws {
		d := mat.NewVecDense(k, nil)
		for p := range k {
			d.SetVec(p, a[p]-mu.AtVec(p))
		}
		var z mat.VecDense
		z.MulVec(&u, d)
		for p := range k {
			ys[p] = append(ys[p], z.AtVec(p))
		}
	}
	tolMean, tolCov := 4/math.Sqrt(n), 4.5*math.Sqrt(2.0/n)
	for p := range k {
		if m := stat.Mean(ys[p], nil); math.Abs(m) > tolMean {
			t.Errorf("coefficient %s: whitened mean %.3f, want 0 ± %.3f (posterior mean %.4f)", b.Name(p), m, tolMean, mu.AtVec(p))
		}
		for q := p; q < k; q++ {
			want := 0.0
			if p == q {
				want = 1
			}
			if c := stat.Covariance(ys[p], ys[q], nil); math.Abs(c-want) > tolCov {
				t.Errorf("whitened covariance (%s, %s) = %.3f, want %g ± %.3f", b.Name(p), b.Name(q), c, want, tolCov)
			}
		}
	}
}

// TestSkyExactModelNoise checks the Fisher-scoring Metropolis–Hastings step of a linear
// background (3 coefficients) under exact model noise, where the variance follows the sky and
// the conditional is not Gaussian, against the exact posterior's mean and standard deviations
// computed by importance sampling from a widened Laplace approximation.
func TestSkyExactModelNoise(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a few thousand samples")
	}
	const w, h, n = 24, 24, 4000
	truth := []float64{20, 8, -5, 0, 0, 0}
	img := skyImage(w, h, truth, model.NoiseFromModel, 0.1, 10, 2)
	draws := skyDraws(t, img, emptyConfig(1), n)

	b, _ := model.NewSkyBasis(1, w, h)
	k := b.Len()
	logPost := func(a []float64) float64 {
		l := 0.0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m := a[0]*b.At(0, x, y) + a[1]*b.At(1, x, y) + a[2]*b.At(2, x, y)
				v := img.PixelVariance(m)
				r := float64(img.Pix[y*w+x]) - m
				l -= 0.5 * (r*r/v + math.Log(v))
			}
		}
		return l
	}
	// Laplace approximation: the mode by Newton steps on a numerical Hessian
	mode := append([]float64(nil), truth[:k]...)
	hess := mat.NewSymDense(k, nil)
	for range 8 {
		const e = 1e-3
		grad := mat.NewVecDense(k, nil)
		at := func(p int, dp float64, q int, dq float64) float64 {
			a := append([]float64(nil), mode...)
			a[p] += dp
			a[q] += dq
			return logPost(a)
		}
		for p := range k {
			grad.SetVec(p, (at(p, e, p, 0)-at(p, -e, p, 0))/(2*e))
			for q := p; q < k; q++ {
				hess.SetSym(p, q, -(at(p, e, q, e)-at(p, e, q, -e)-at(p, -e, q, e)+at(p, -e, q, -e))/(4*e*e))
			}
		}
		var step mat.VecDense
		if err := step.SolveVec(hess, grad); err != nil {
			t.Fatal(err)
		}
		for p := range k {
			mode[p] += step.AtVec(p)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(hess) {
		t.Fatal("Hessian not positive definite")
	}
	var cov mat.SymDense
	if err := chol.InverseTo(&cov); err != nil {
		t.Fatal(err)
	}
	cov.ScaleSym(1.5*1.5, &cov)
	var lc mat.Cholesky
	lc.Factorize(&cov)
	var l mat.TriDense
	lc.LTo(&l)
	rng := rand.New(rand.NewPCG(3, 4))
	const m = 20000
	samp := make([][]float64, k)
	lw := make([]float64, m)
	for s := range m {
		z := mat.NewVecDense(k, nil)
		zz := 0.0
		for p := range k {
			v := rng.NormFloat64()
			z.SetVec(p, v)
			zz += v * v
		}
		var d mat.VecDense
		d.MulVec(&l, z)
		a := make([]float64, k)
		for p := range k {
			a[p] = mode[p] + d.AtVec(p)
			samp[p] = append(samp[p], a[p])
		}
		lw[s] = logPost(a) + 0.5*zz
	}
	top := lw[0]
	for _, v := range lw {
		top = math.Max(top, v)
	}
	wts := make([]float64, m)
	for s, v := range lw {
		wts[s] = math.Exp(v - top)
	}
	for p := range k {
		qm, qs := stat.MeanStdDev(samp[p], wts)
		xs := make([]float64, len(draws))
		for i, a := range draws {
			xs[i] = a[p]
		}
		sm, ss := stat.MeanStdDev(xs, nil)
		ess := EffectiveSampleSize([][]float64{xs})
		t.Logf("%s: exact %.4f ± %.4f, sampled %.4f ± %.4f (ESS %.0f)", b.Name(p), qm, qs, sm, ss, ess)
		if z := (sm - qm) / (qs / math.Sqrt(ess)); math.Abs(z) > 4 {
			t.Errorf("%s: posterior mean sampled %.4f, exact %.4f (z = %.1f)", b.Name(p), sm, qm, z)
		}
		if r := ss / qs; r < 0.93 || r > 1.07 {
			t.Errorf("%s: posterior sd sampled %.4f, exact %.4f", b.Name(p), ss, qs)
		}
		if ess < n/4 {
			t.Errorf("%s: ESS %.0f of %d: the step hardly mixes", b.Name(p), ess, n)
		}
	}
}

// TestSkyDeterministicAndResume checks that a chain with a quadratic background gives the
// same samples on any number of threads, and continues exactly from a checkpoint, under data
// noise (Gibbs draws) and exact model noise (the Metropolis–Hastings step).
func TestSkyDeterministicAndResume(t *testing.T) {
	img, _, kind := testField(t, 60, 60, 0.03, 5)
	for _, noise := range []model.NoiseModel{model.NoiseFromData, model.NoiseFromModel} {
		img.Noise = noise
		cfg := smallRun(1, 1)
		cfg.BackgroundOrder, cfg.BurnIn = 2, 2
		ref := runAll(t, img, kind, cfg)
		cfg.Threads = 2
		if got := runAll(t, img, kind, cfg); !reflect.DeepEqual(ref, got) {
			t.Errorf("noise %v: threads=2 differs from threads=1", noise)
		}
		if last := ref[len(ref)-1].Sky; len(last) != 6 || last[1] == 0 || last[5] == 0 {
			t.Errorf("noise %v: coefficients %v did not move", noise, last)
		}
		ctx := context.Background()
		a, err := NewChain(img, kind, cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := a.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ck, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		want, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Threads = 1
		c, err := NewChain(img, kind, cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UnmarshalBinary(ck); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Next(ctx); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("noise %v: the restored chain's sample differs (%v)", noise, err)
		}
		cfg.BackgroundOrder = 1
		c1, err := NewChain(img, kind, cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c1.UnmarshalBinary(ck); err == nil || !strings.Contains(err.Error(), "different run") {
			t.Errorf("noise %v: a checkpoint of order 2 restored into order 1: %v", noise, err)
		}
	}
}

// TestSkyConfigErrors checks the orders a chain refuses.
func TestSkyConfigErrors(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 1)
	for _, tc := range []struct {
		edit func(*Config, *model.Image)
		want string
	}{
		{func(c *Config, _ *model.Image) { c.BackgroundOrder = -1 }, "background order must lie in"},
		{func(c *Config, _ *model.Image) { c.BackgroundOrder = MaxBackgroundOrder + 1 }, "background order must lie in"},
		{func(c *Config, _ *model.Image) { c.BackgroundOrder, c.SampleBackground = 1, false }, "needs the background sampled"},
		{func(c *Config, _ *model.Image) { c.BackgroundOrder = 4 }, "too high for an image of 40×40"},
		{func(c *Config, im *model.Image) {
			c.BackgroundOrder = 1
			im.Mask = make([]bool, len(im.Pix))
			for i := range im.Mask {
				im.Mask[i] = i%40 != 7 // one column left: nothing pins the slope in x
			}
		}, "cannot be fitted"},
	} {
		cfg := smallRun(1, 1)
		im := *img
		tc.edit(&cfg, &im)
		if _, err := NewChain(&im, kind, cfg, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
}

// gradientField is a 64×64 image of a sky with a linear and quadratic gradient (coefficients
// truth on the order-2 basis, 279 counts on average, from 184 to 384 across the image) and
// 16 stars of 2000 to 17000 counts on a jittered 4×4 grid, with Gaussian photon noise.
func gradientField(t *testing.T) (*model.Image, *model.Catalogue, *model.PointSource, []float64) {
	const w, h = 64, 64
	truth := []float64{279, 40, 25, 30, 15, 0}
	kind := gaussianKind(t)
	kind.Flux = model.FluxPrior{Min: 250, Slope: 2}
	img := model.NewImage(w, h)
	img.Gain, img.Noise, img.Background = 4.62, model.NoiseFromData, truth[0]
	b, _ := model.NewSkyBasis(2, w, h)
	rng := rand.New(rand.NewPCG(21, 22))
	stars := &model.Catalogue{}
	for k := range 16 {
		x := 8 + 16*float64(k%4) + rng.Float64() - 0.5
		y := 8 + 16*float64(k/4) + rng.Float64() - 0.5
		stars.Append(x, y, []float64{2000 + 1000*float64(k)})
	}
	mean := make([]float32, w*h)
	for i := range stars.X {
		kind.PSF.AddTo(model.Box{Pix: mean, Stride: w, W: w, H: h}, stars.X[i], stars.Y[i], stars.Flux[i])
	}
	for i, s := range b.Map(truth) {
		m := s + float64(mean[i])
		img.Pix[i] = float32(m + math.Sqrt(m/img.Gain)*rng.NormFloat64())
	}
	return img, stars, kind, truth
}

// TestSkyGradientRecovery fits the gradient field with a quadratic background and with a
// scalar one. The quadratic's coefficients must recover the truth within 3 posterior standard
// deviations, the stars' fluxes must come out unbiased (mean ratio to the truth within 1 %),
// and the posterior-mean residual must hold no gradient. The scalar background cannot follow
// the gradient: it must either leave it in the residual (the P1(u) coefficient, 40 counts in
// the data) or fill it with false sources (measured: 358 sources for 16 stars, the stars' fluxes
// scattered by 9 % instead of 1.5 %).
func TestSkyGradientRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two chains of 200 samples")
	}
	img, stars, kind, truth := gradientField(t)
	b, _ := model.NewSkyBasis(2, img.Width, img.Height)
	wt := img.InverseVariance(nil)
	// the weighted least-squares projection of a map onto the basis, with standard deviations
	g := mat.NewSymDense(b.Len(), nil)
	for y := 0; y < img.Height; y++ {
		for x := 0; x < img.Width; x++ {
			for p := range b.Len() {
				for q := p; q < b.Len(); q++ {
					g.SetSym(p, q, g.At(p, q)+float64(wt[y*img.Width+x])*b.At(p, x, y)*b.At(q, x, y))
				}
			}
		}
	}
	var gi mat.SymDense
	var chol mat.Cholesky
	chol.Factorize(g)
	chol.InverseTo(&gi)
	project := func(r []float64) []float64 {
		rhs := mat.NewVecDense(b.Len(), nil)
		for y := 0; y < img.Height; y++ {
			for x := 0; x < img.Width; x++ {
				for p := range b.Len() {
					rhs.SetVec(p, rhs.AtVec(p)+float64(wt[y*img.Width+x])*b.At(p, x, y)*r[y*img.Width+x])
				}
			}
		}
		var c mat.VecDense
		c.MulVec(&gi, rhs)
		return c.RawVector().Data
	}
	var scatter [3]float64
	for _, order := range []int{2, 0} {
		cfg := DefaultConfig()
		cfg.Threads, cfg.Seed, cfg.BackgroundOrder, cfg.SampleBackground = 1, 3, order, true
		samples := collect(t, img, kind, cfg, 200)[100:]
		resid := make([]float64, len(img.Pix))
		var ratios []float64
		meanN := 0.0
		coefs := make([][]float64, b.Len())
		for _, s := range samples {
			m := make([]float32, len(img.Pix))
			c := s.Catalogue
			meanN += float64(c.Len()) / float64(len(samples))
			for i := range c.X {
				kind.PSF.AddTo(model.Box{Pix: m, Stride: img.Width, W: img.Width, H: img.Height}, c.X[i], c.Y[i], c.Flux[i])
			}
			sky := []float64{s.Background}
			if order > 0 {
				sky = s.Sky
			}
			sb, _ := model.NewSkyBasis(order, img.Width, img.Height)
			for i, v := range sb.Map(sky) {
				resid[i] += (float64(img.Pix[i]) - v - float64(m[i])) / float64(len(samples))
			}
			for k, a := range s.Sky {
				coefs[k] = append(coefs[k], a)
			}
			for j := range stars.X {
				best, f := 1.0, 0.0
				for i := range c.X {
					if d := math.Hypot(c.X[i]-stars.X[j], c.Y[i]-stars.Y[j]); d < best {
						best, f = d, c.Flux[i]
					}
				}
				if f > 0 {
					ratios = append(ratios, f/stars.Flux[j])
				}
			}
		}
		rc := project(resid)
		fm, fs := stat.MeanStdDev(ratios, nil)
		scatter[order] = fs
		t.Logf("order %d: %.1f sources (16 stars); flux ratio %.4f ± %.4f (%d matches of %d); residual's coefficients %.2f", order, meanN, fm, fs, len(ratios), 16*len(samples), rc)
		if order == 0 {
			if sd := math.Sqrt(gi.At(1, 1)); (rc[1] < 20 || rc[1] < 10*sd) && (meanN < 26 || scatter[0] < 3*scatter[2]) {
				t.Errorf("scalar background: the residual's P1(u) coefficient %.2f ± %.2f, %.1f sources, flux scatter %.4f (%.4f with the quadratic): the gradient went nowhere wrong", rc[1], sd, meanN, scatter[0], scatter[2])
			}
			continue
		}
		for k := range truth {
			m, sd := stat.MeanStdDev(coefs[k], nil)
			t.Logf("%s: truth %g, posterior %.3f ± %.3f", b.Name(k), truth[k], m, sd)
			if math.Abs(m-truth[k]) > 3*sd {
				t.Errorf("%s: posterior %.3f ± %.3f, truth %g", b.Name(k), m, sd, truth[k])
			}
			if sd := math.Sqrt(gi.At(k, k)); math.Abs(rc[k]) > 4*sd {
				t.Errorf("%s: the residual holds %.3f ± %.3f of it", b.Name(k), rc[k], sd)
			}
		}
		if math.Abs(fm-1) > 0.01 || len(ratios) < 15*len(samples) {
			t.Errorf("stars' fluxes: mean ratio to the truth %.4f over %d matches, want 1 ± 0.01 over at least %d", fm, len(ratios), 15*len(samples))
		}
	}
}
