package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/probcat/probcat/kinds"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// mixedKind returns stars (weight 0.6) and exponential galaxies of r_e in [1, 4] px (0.4)
// seen through a Gaussian PSF of FWHM 2.5 px, with PCAT's flux prior, built as the command
// line builds them (package kinds).
func mixedKind(t testing.TB) (m *model.Mixed, star, gal model.SourceKind) {
	t.Helper()
	p, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	flux := model.FluxPrior{Min: 250, Slope: 2}
	env := kinds.Env{PSF: psf.Uniform(p), Flux: flux, ReMin: 1, ReMax: 4}
	if star, err = kinds.New("star", env); err != nil {
		t.Fatal(err)
	}
	if gal, err = kinds.New("galaxy", env); err != nil {
		t.Fatal(err)
	}
	if m, err = model.NewMixed([]model.SourceKind{star, gal}, []float64{0.6, 0.4}, flux); err != nil {
		t.Fatal(err)
	}
	return m, star, gal
}

// TestMixedPrior samples the prior with stars and galaxies (likelihood off): N, the fluxes,
// the fraction of galaxies and the galaxies' radii must follow it. Births draw the kind,
// kind switches change it, and the count prior sees every source whatever its kind.
func TestMixedPrior(t *testing.T) {
	m, _, _ := mixedKind(t)
	img, _, _ := testField(t, 40, 40, 0.01, 8)
	lam := 10.0
	cfg := priorConfig(model.Poisson{Density: lam / 1600})
	samples := thin(t, collect(t, img, m, cfg, 1200)[200:])
	checkCounts(t, samples, lam)
	checkFluxes(t, samples, m.Flux)
	var nGal, n int
	var res []float64
	for _, s := range samples {
		cat := s.Catalogue
		for i := range cat.X {
			n++
			if cat.Extra[0][i] == 1 {
				nGal++
				res = append(res, cat.Extra[1][i])
			}
		}
	}
	frac := float64(nGal) / float64(n)
	se := math.Sqrt(0.4 * 0.6 / float64(n))
	t.Logf("%d sources, galaxy fraction %.3f ± %.3f (prior 0.4)", n, frac, se)
	if math.Abs(frac-0.4) > 5*se+0.01 {
		t.Errorf("galaxy fraction %.3f, prior 0.4", frac)
	}
	// r_e is log-uniform on [1, 4]
	d, p := ksPValue(res, func(r float64) float64 { return math.Min(math.Max(math.Log(r)/math.Log(4), 0), 1) })
	t.Logf("galaxies' r_e: KS D %.4f, p %.3g", d, p)
	if p < 0.001 {
		t.Errorf("galaxies' r_e do not follow the log-uniform prior: p = %.3g", p)
	}
}

// TestMixedFit samples a field of two bright stars and two bright exponential galaxies with
// stars and galaxies allowed: in the second half of the run the source nearest each object
// must be of the object's kind in most samples. (Splits and merges of the stars make burn-in
// longer here: early on a galaxy may be fitted by several stars, which merges and a kind
// switch must undo; over seeds 1–4 and 400 samples, 15 of the 16 objects had their kind in
// every sample of the second half, the other in 65 %.)
func TestMixedFit(t *testing.T) {
	for i, frac := range mixedFit(t, 1, 300) {
		if frac < 0.8 {
			t.Errorf("object %d: the right kind in only %.2f of the samples", i, frac)
		}
	}
}

// mixedFit samples TestMixedFit's field for n samples with the given seed and returns, for
// each object, the fraction of the second half's samples in which the source nearest it
// has its kind.
func mixedFit(t *testing.T, seed uint64, n int) []float64 {
	m, star, gal := mixedKind(t)
	type object struct {
		x, y, f, re float64
		galaxy      bool
	}
	truth := []object{{12.3, 14.6, 6000, 0, false}, {31.2, 10.5, 6000, 2.5, true}, {22.7, 30.1, 8000, 3, true}, {9.6, 33.2, 5000, 0, false}}
	const W = 44
	img := model.NewImage(W, W)
	img.Gain, img.Background, img.Noise = 4, 180, model.NoiseFromModel
	mean := make([]float32, W*W)
	box := model.Box{Pix: mean, Stride: W, W: W, H: W}
	for _, o := range truth {
		if o.galaxy {
			gal.Render(box, o.x, o.y, []float64{o.f, o.re, 0.6, 0.5}, 1)
		} else {
			star.Render(box, o.x, o.y, []float64{o.f}, 1)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i, v := range mean {
		mu := 180 + float64(v)
		img.Pix[i] = float32(mu + math.Sqrt(mu/4)*rng.NormFloat64())
	}
	cfg := DefaultConfig()
	cfg.CountPrior = model.Poisson{Density: 4.0 / (W * W)}
	cfg.Proposals, cfg.Threads, cfg.Seed = 200, 1, seed
	samples := collect(t, img, m, cfg, n)[n/2:]
	var out []float64
	for _, o := range truth {
		right := 0
		for _, s := range samples {
			cat := s.Catalogue
			best, bi := math.Inf(1), -1
			for i := range cat.X {
				if d := math.Hypot(cat.X[i]-o.x, cat.Y[i]-o.y); d < best && cat.Flux[i] > o.f/3 {
					best, bi = d, i
				}
			}
			if bi >= 0 && best < 1.5 && (cat.Extra[0][bi] == 1) == o.galaxy {
				right++
			}
		}
		frac := float64(right) / float64(len(samples))
		t.Logf("seed %d: object at (%.1f, %.1f), galaxy %v: the right kind within 1.5 px in %.2f of the samples", seed, o.x, o.y, o.galaxy, frac)
		out = append(out, frac)
	}
	return out
}

// TestMixedStarPath checks that the stars of a mixed chain go through the point-source
// kernels, as a star-only chain's do, and that the change of ln L the chain computes for them
// agrees with the generic path's (every source drawn by the kind's Render, band.deltaLL): a
// star's move and birth take the fused kernel, a change of a star and a galaxy the box, in
// which the star is drawn by the kernels and the galaxy by its kind.
func TestMixedStarPath(t *testing.T) {
	m, _, _ := mixedKind(t)
	img, _, _ := testField(t, 48, 48, 0.02, 3)
	cfg := DefaultConfig()
	cfg.Threads = 1
	cfg.ExactStamps = true // the generic path draws whole stamps
	c, err := NewChain(img, m, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.table == nil || c.mixed == nil || c.star != 0 {
		t.Fatal("the mixed chain's stars have no kernel path")
	}
	star := func(f float64) []float64 { return []float64{f, 0, 0, 0, 0} }
	gal := []float64{4000, 1, 2.2, 0.6, 0.5}
	if !c.isStar(star(500)) || c.isStar(gal) {
		t.Fatal("isStar does not tell stars from galaxies")
	}
	type change struct {
		x, y float64
		th   []float64
		sign float64
	}
	w := c.workers[0]
	generic := func(chs []change) float64 {
		w.resetBox()
		for _, ch := range chs {
			w.growBy(ch.x, ch.y, c.boxRadius(ch.th))
		}
		w.clearBox()
		box := w.bandWork.box(c.band)
		for _, ch := range chs {
			c.kind.Render(box, ch.x, ch.y, ch.th, ch.sign)
		}
		return c.band.deltaLL(w.scratch, w.bx0, w.by0, w.bx1, w.by1)
	}
	for _, tc := range []struct {
		name  string
		chs   []change
		inBox bool
	}{
		{"star move", []change{{20.3, 21.7, star(3000), -1}, {21.1, 21.2, star(3500), 1}}, false},
		{"star birth", []change{{30.6, 12.4, star(800), 1}}, false},
		{"star and galaxy", []change{{20.3, 21.7, star(3000), -1}, {24.2, 26.9, gal, 1}}, true},
	} {
		w.begin()
		for _, ch := range tc.chs {
			w.add(ch.x, ch.y, ch.th, ch.sign)
		}
		got := w.eval(false)
		if w.inBox != tc.inBox {
			t.Errorf("%s: drawn in the box %v, want %v", tc.name, w.inBox, tc.inBox)
		}
		want := generic(tc.chs)
		t.Logf("%s: ΔlnL %.6f (chain) %.6f (generic)", tc.name, got, want)
		if math.Abs(got-want) > 1e-5*math.Abs(want)+1e-3 || want == 0 {
			t.Errorf("%s: ΔlnL %.6f, generic path %.6f", tc.name, got, want)
		}
	}
}

// TestStampCacheInvisible checks that the stamp cache changes the cost only: a mixed chain
// whose cache is emptied before every pass (every stamp drawn afresh) reaches the same
// catalogue and residual, bit for bit, as one that keeps it, and the cache holds exactly the
// stamps of the current galaxies after each sample.
func TestStampCacheInvisible(t *testing.T) {
	m, _, _ := mixedKind(t)
	img, _, _ := testField(t, 64, 64, 0.03, 5)
	cfg := smallRun(1, 1)
	cfg.RegionProposals = 3
	var chains [2]*Chain
	for i := range chains {
		c, err := NewChain(img, m, cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		chains[i] = c
	}
	galaxies := 0
	for s := 0; s < 6; s++ {
		for i, c := range chains {
			for p := 0; p < cfg.Proposals; p++ {
				if i == 1 {
					clear(c.stamps.m)
				}
				c.pass()
			}
			c.refresh()
		}
		a, b := chains[0], chains[1]
		if !slices.Equal(a.xs, b.xs) || !slices.Equal(a.ys, b.ys) || !slices.Equal(a.th, b.th) || !slices.Equal(a.resid, b.resid) {
			t.Fatalf("sample %d: the chain without its cache differs from the chain with it", s)
		}
		galaxies = 0
		for i := range a.xs {
			th := a.th[i*a.nparam : (i+1)*a.nparam]
			if !a.isStar(th) {
				galaxies++
				if a.stamps.get(a.xs[i], a.ys[i], th) == nil {
					t.Fatalf("sample %d: galaxy %d has no stamp in the cache", s, i)
				}
			}
		}
		if len(a.stamps.m) != galaxies {
			t.Fatalf("sample %d: the cache holds %d stamps for %d galaxies", s, len(a.stamps.m), galaxies)
		}
	}
	t.Logf("%d sources, %d galaxies", len(chains[0].xs), galaxies)
	if galaxies == 0 {
		t.Error("no galaxy to cache")
	}
}

// TestMixedCheckpoint checks that a mixed chain restored from a checkpoint, on another number
// of threads and so with its stamp cache empty, continues with the same samples as the
// uninterrupted chain.
func TestMixedCheckpoint(t *testing.T) {
	m, _, _ := mixedKind(t)
	img, _, _ := testField(t, 60, 60, 0.03, 9)
	cfg := smallRun(2, 1)
	cfg.BurnIn = 2
	a, err := NewChain(img, m, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := a.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Threads = 1
	b, err := NewChain(img, m, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.UnmarshalBinary(ck); err != nil {
		t.Fatal(err)
	}
	galaxies := 0
	for i := 0; i < 3; i++ {
		want, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("sample %d after restore differs from the uninterrupted chain", got.Index)
		}
		galaxies = len(b.stamps.m)
	}
	if galaxies == 0 {
		t.Error("no galaxies in the chain")
	}
}
