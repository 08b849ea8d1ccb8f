package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// TestPriorRecoveryRefit switches the likelihood off and changes N only through refit births
// and deaths, with flux-group updates beside the moves: N must follow the Poisson prior and
// the fluxes the power law. The field is dense enough (12 sources on 40×40 px, a refit radius
// of 8 px) that most refits change neighbours' fluxes, so the test fails if the proposal
// densities of the neighbours' fluxes are wrong.
func TestPriorRecoveryRefit(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 3)
	lam := 12.0
	cfg := priorConfig(model.Poisson{Density: lam / 1600})
	cfg.Weights = MoveWeights{Move: 40, Refit: 60, FluxGroup: 20}
	cfg.RefitRadius = 8
	cfg.RefitScale = refitPriorScale
	samples := collect(t, img, kind, cfg, refitPriorSamples)
	var st [NumMoveTypes]MoveStats
	for _, s := range samples {
		for m := range st {
			st[m].Proposed += s.Moves[m].Proposed
			st[m].Accepted += s.Moves[m].Accepted
		}
	}
	for _, m := range []MoveType{RefitBirth, RefitDeath, FluxGroup} {
		t.Logf("%s: %d proposed, acceptance %.3f", m, st[m].Proposed, st[m].Rate())
		if st[m].Accepted == 0 {
			t.Fatalf("no %s accepted", m)
		}
	}
	if st[Birth].Proposed != 0 {
		t.Fatal("plain births were proposed with zero birth weight")
	}
	kept := thin(t, samples[200:])
	checkCounts(t, kept, lam)
	checkFluxes(t, kept, kind.Flux)
}

// blend makes a 24×24 field holding two blended point sources (1.9 px apart, Gaussian PSF of
// FWHM 2.2 px) near f_min, with the weights of the sky alone, so that ln L is exactly
// quadratic in the fluxes (ExactStamps).
func blend(t *testing.T, fmin, sep, f1, f2 float64) (*model.Image, *model.PointSource, [2][2]float64) {
	t.Helper()
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	const size = 24
	img := model.NewImage(size, size)
	img.Gain, img.Background, img.Noise = 4.62, 179, model.NoiseFromModel
	pos := [2][2]float64{{11.2 - sep*0.95/2, 12 - sep*0.3/2}, {11.2 + sep*0.95/2, 12 + sep*0.3/2}}
	box := model.Box{Pix: img.Pix, Stride: size, W: size, H: size}
	p.AddTo(box, pos[0][0], pos[0][1], f1)
	p.AddTo(box, pos[1][0], pos[1][1], f2)
	rng := rand.New(rand.NewPCG(3, 4))
	for k := range img.Pix {
		img.Pix[k] += float32(179 + math.Sqrt(179/4.62)*rng.NormFloat64())
	}
	return img, &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: fmin, Slope: 2}}, pos
}

// TestFluxGroupExact runs flux-group updates alone (positions and N fixed) on two blended
// sources, whose conditional posterior p(f₁) p(f₂) L(f₁, f₂) is computed on a grid (ln L is
// quadratic in the fluxes: the Gram matrix of the two PSF stamps): the chain's means and
// standard deviations of f₁, f₂ and f₁ + f₂ must match the grid's within 4 Monte Carlo
// standard errors, and the correlation of f₁ and f₂ within 0.05.
func TestFluxGroupExact(t *testing.T) {
	img, kind, pos := blend(t, 250, 1.9, 330, 290)
	cfg := DefaultConfig()
	cfg.Weights = MoveWeights{FluxGroup: 1}
	cfg.CountPrior = model.Poisson{Density: 2.0 / (24 * 24)}
	cfg.WeightsFromBackground, cfg.ExactStamps = true, true
	cfg.Proposals, cfg.RegionProposals, cfg.Threads, cfg.Seed = 10, 2, 1, 11
	cfg.RefitScale = 1.2
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := &model.Catalogue{}
	start.Append(pos[0][0], pos[0][1], []float64{400})
	start.Append(pos[1][0], pos[1][1], []float64{400})
	if err := c.SetCatalogue(start); err != nil {
		t.Fatal(err)
	}
	var f1, f2, ft []float64
	var st MoveStats
	for i := 0; i < 4000; i++ {
		s, err := c.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st.Proposed += s.Moves[FluxGroup].Proposed
		st.Accepted += s.Moves[FluxGroup].Accepted
		a, b := 0, 1
		if s.Catalogue.X[0] > s.Catalogue.X[1] {
			a, b = 1, 0
		}
		f1 = append(f1, s.Catalogue.Flux[a])
		f2 = append(f2, s.Catalogue.Flux[b])
		ft = append(ft, s.Catalogue.Flux[a]+s.Catalogue.Flux[b])
	}
	t.Logf("flux-group acceptance %.3f over %d", st.Rate(), st.Proposed)

	// the grid: ln L = fᵀb − ½ fᵀGf with the sky's weight, stamps rendered by the PSF itself
	p := kind.PSF.(*psf.PSF)
	const size = 24
	wt := 4.62 / 179
	var psi [2][]float32
	for k := range psi {
		psi[k] = make([]float32, size*size)
		p.AddTo(model.Box{Pix: psi[k], Stride: size, W: size, H: size}, pos[k][0], pos[k][1], 1)
	}
	var G [2][2]float64
	var bv [2]float64
	for i := range img.Pix {
		d := float64(img.Pix[i]) - 179
		for j := 0; j < 2; j++ {
			bv[j] += wt * float64(psi[j][i]) * d
			for k := 0; k < 2; k++ {
				G[j][k] += wt * float64(psi[j][i]) * float64(psi[k][i])
			}
		}
	}
	const ng, fmax = 1200, 1000.0
	df := (fmax - 250) / ng
	var z, m1, m2, mt, v1, v2, vt, c12 float64
	// the maximum first, for stable exponentials
	lmax := math.Inf(-1)
	for i := 0; i < ng; i++ {
		a := 250 + (float64(i)+0.5)*df
		for j := 0; j < ng; j++ {
			b := 250 + (float64(j)+0.5)*df
			lmax = math.Max(lmax, a*bv[0]+b*bv[1]-0.5*(a*a*G[0][0]+2*a*b*G[0][1]+b*b*G[1][1])-2*math.Log(a)-2*math.Log(b))
		}
	}
	for i := 0; i < ng; i++ {
		a := 250 + (float64(i)+0.5)*df
		for j := 0; j < ng; j++ {
			b := 250 + (float64(j)+0.5)*df
			q := math.Exp(a*bv[0] + b*bv[1] - 0.5*(a*a*G[0][0]+2*a*b*G[0][1]+b*b*G[1][1]) - 2*math.Log(a) - 2*math.Log(b) - lmax)
			z += q
			m1 += q * a
			m2 += q * b
			mt += q * (a + b)
			v1 += q * a * a
			v2 += q * b * b
			vt += q * (a + b) * (a + b)
			c12 += q * a * b
		}
	}
	m1, m2, mt = m1/z, m2/z, mt/z
	v1, v2, vt = v1/z-m1*m1, v2/z-m2*m2, vt/z-mt*mt
	rho := (c12/z - m1*m2) / math.Sqrt(v1*v2)
	for _, q := range []struct {
		name     string
		xs       []float64
		mean, sd float64
	}{{"f1", f1, m1, math.Sqrt(v1)}, {"f2", f2, m2, math.Sqrt(v2)}, {"f1+f2", ft, mt, math.Sqrt(vt)}} {
		ess := EffectiveSampleSize([][]float64{q.xs})
		m, v := meanVar(q.xs)
		sd := math.Sqrt(v)
		zm := (m - q.mean) / (q.sd / math.Sqrt(ess))
		// the standard error of a standard deviation is about sd/√(2 ESS)
		zs := (sd - q.sd) / (q.sd / math.Sqrt(2*ess))
		t.Logf("%s: chain mean %.2f sd %.2f (ESS %.0f), exact mean %.2f sd %.2f: z %.2f, %.2f", q.name, m, sd, ess, q.mean, q.sd, zm, zs)
		if math.Abs(zm) > 4 || math.Abs(zs) > 4 {
			t.Errorf("%s: chain mean %.2f sd %.2f, exact %.2f and %.2f", q.name, m, sd, q.mean, q.sd)
		}
	}
	_, v1c := meanVar(f1)
	_, v2c := meanVar(f2)
	_, vtc := meanVar(ft)
	rc := (vtc - v1c - v2c) / (2 * math.Sqrt(v1c*v2c))
	t.Logf("correlation of f1 and f2: chain %.3f, exact %.3f", rc, rho)
	if math.Abs(rc-rho) > 0.05 {
		t.Errorf("correlation of f1 and f2: chain %.3f, exact %.3f", rc, rho)
	}
}

// TestRefitExact compares, on two blended sources near f_min, the posterior of N and of the
// total flux sampled with the refit moves against the one sampled by the existing moves:
// refit births and deaths (with moves and flux-group updates, no plain births, deaths, splits
// or merges), then refit splits and merges (with moves, births and deaths). P(N = k) and the
// mean total flux must agree within 4 standard errors (from the effective sample sizes of
// both chains).
func TestRefitExact(t *testing.T) {
	img, kind, _ := blend(t, refitFmin, refitSep, refitF1, refitF2)
	run := func(w MoveWeights, seed uint64) (ns, ft []float64, st [NumMoveTypes]MoveStats) {
		cfg := DefaultConfig()
		cfg.Weights = w
		cfg.CountPrior = model.Poisson{Density: 2.0 / (24 * 24)}
		cfg.WeightsFromBackground, cfg.ExactStamps = true, true
		cfg.Proposals, cfg.RegionProposals, cfg.Threads, cfg.Seed = 20, 4, 1, seed
		for _, s := range collect(t, img, kind, cfg, refitExactSamples)[100:] {
			ns = append(ns, float64(s.Catalogue.Len()))
			tot := 0.0
			for _, f := range s.Catalogue.Flux {
				tot += f
			}
			ft = append(ft, tot)
			for m := range st {
				st[m].Proposed += s.Moves[m].Proposed
				st[m].Accepted += s.Moves[m].Accepted
			}
		}
		return ns, ft, st
	}
	nRef, fRef, _ := run(MoveWeights{Move: 80, BirthDeath: 40, SplitMerge: 40}, 21)
	eRef := EffectiveSampleSize([][]float64{nRef})
	for _, tc := range []struct {
		name    string
		weights MoveWeights
		moves   []MoveType
	}{
		{"refit births and deaths", MoveWeights{Move: 80, Refit: 80, FluxGroup: 20}, []MoveType{RefitBirth, RefitDeath, FluxGroup}},
		{"refit splits and merges", MoveWeights{Move: 80, BirthDeath: 40, RefitSplitMerge: 40}, []MoveType{RefitSplit, RefitMerge}},
	} {
		nNew, fNew, st := run(tc.weights, 22)
		for _, m := range tc.moves {
			t.Logf("%s: %s acceptance %.3f over %d", tc.name, m, st[m].Rate(), st[m].Proposed)
			if st[m].Accepted == 0 {
				t.Errorf("%s: no %s accepted", tc.name, m)
			}
		}
		eNew := EffectiveSampleSize([][]float64{nNew})
		t.Logf("%s: ESS of N: existing moves %.0f, refit moves %.0f of %d samples", tc.name, eRef, eNew, len(nRef))
		if !(eRef >= 100) || !(eNew >= 100) {
			t.Fatalf("%s: N hardly moves: ESS %.0f (existing moves), %.0f (refit moves)", tc.name, eRef, eNew)
		}
		frac := func(ns []float64, k int) float64 {
			c := 0
			for _, n := range ns {
				if int(n) == k {
					c++
				}
			}
			return float64(c) / float64(len(ns))
		}
		for k := 0; k <= 5; k++ {
			a, b := frac(nRef, k), frac(nNew, k)
			p := (a + b) / 2
			if p == 0 {
				continue
			}
			se := math.Sqrt(p * (1 - p) * (1/eRef + 1/eNew))
			t.Logf("%s: P(N = %d): existing %.4f, refit %.4f (z %.2f)", tc.name, k, a, b, (b-a)/se)
			if math.Abs(b-a) > 4*se {
				t.Errorf("%s: P(N = %d): existing moves %.4f, refit moves %.4f (%.1f standard errors)", tc.name, k, a, b, (b-a)/se)
			}
		}
		ma, va := meanVar(fRef)
		mb, vb := meanVar(fNew)
		se := math.Sqrt(va/EffectiveSampleSize([][]float64{fRef}) + vb/EffectiveSampleSize([][]float64{fNew}))
		t.Logf("%s: mean total flux: existing %.1f, refit %.1f (z %.2f)", tc.name, ma, mb, (mb-ma)/se)
		if math.Abs(mb-ma) > 4*se {
			t.Errorf("%s: mean total flux: existing moves %.1f, refit moves %.1f (%.1f standard errors)", tc.name, ma, mb, (mb-ma)/se)
		}
	}
}

var (
	refitPriorSamples                     = 4000
	refitPriorScale                       = 2.0
	refitExactSamples                     = 4000
	refitFmin, refitSep, refitF1, refitF2 = 60.0, 1.5, 200.0, 100.0
)

// TestRefitReversible checks the acceptance ratios of the refit moves directly: from a state
// s, a refit birth to s′ and the refit death from s′ back to s (the newborn dies, the
// neighbours get their old fluxes back) must have ln α(s → s′) = −ln α(s′ → s), and likewise
// a flux-group update and the one that undoes it, to the float32 rounding of the residual.
// Every term of the ratios (ΔlnL, the count and labelling factors, the position and flux
// densities of the newborn, the neighbours' prior and proposal densities) enters the sum.
func TestRefitReversible(t *testing.T) {
	img, truth, kind := testField(t, 40, 40, 0.02, 8)
	cfg := DefaultConfig()
	cfg.Weights = MoveWeights{Move: 1, Refit: 1, FluxGroup: 1}
	cfg.RefitRadius, cfg.RefitScale, cfg.Threads = 6, 1.3, 1
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetCatalogue(truth); err != nil {
		t.Fatal(err)
	}
	w := c.workers[0]
	r := &region{}
	r.reset(0, 0, c.w, c.h, c.nparam)
	for i := range c.xs {
		r.add(c.xs[i], c.ys[i], c.th[i:i+1])
	}
	r.n0, r.nStart, r.budget = r.n, r.n, 1000
	rf := w.refitBuf()
	rng := rand.New(rand.NewPCG(1, 2))
	tested := 0
	for trial := 0; trial < 40; trial++ {
		// a birth next to a source, so that it has neighbours
		j := rng.IntN(r.n)
		x, y := r.x[j]+rng.Float64()*3-1.5, r.y[j]+rng.Float64()*3-1.5
		if !r.inside(x, y) {
			continue
		}
		m, ok := w.refitGroup(r, x, y, -1, 0)
		if !ok || m == 0 {
			continue
		}
		old := append([]float64(nil), rf.f[:m]...)
		idx := append([]int(nil), rf.idx[:m]...)
		for k := 0; k < m; k++ {
			rf.nf[k] = math.Max(old[k]*(0.7+0.6*rng.Float64()), kind.Flux.Min)
		}
		newF := append([]float64(nil), rf.nf[:m]...)
		th := []float64{kind.Flux.Min * (1 + 3*rng.Float64())}
		w.ensureMap(r)
		i := pixelOf(y)*c.w + pixelOf(x)
		lnb := c.lnBirthPos(r, mapValue(c.resid[i], c.sqrtw[i]), r.mapSum)
		laB := w.refitBirthRatio(r, m, x, y, lnb, th)
		w.commit(r)
		w.setRefits(r, m)
		r.add(x, y, th)
		// and back
		d := r.n - 1
		m2, ok := w.refitGroup(r, x, y, d, th[0])
		if !ok || m2 != m {
			t.Fatalf("trial %d: the death sees %d neighbours, the birth saw %d", trial, m2, m)
		}
		for k := 0; k < m; k++ {
			if rf.idx[k] != idx[k] || rf.f[k] != newF[k] {
				t.Fatalf("trial %d: the death's group differs from the birth's", trial)
			}
		}
		copy(rf.nf[:m], old)
		laD := w.refitDeathRatio(r, d, m)
		if !(math.Abs(laB+laD) < 1e-3) {
			t.Errorf("trial %d: ln α of the refit birth %.6f and of its reverse death %.6f do not cancel", trial, laB, laD)
		}
		w.commit(r)
		w.setRefits(r, m)
		r.remove(d)

		// a flux-group update of source j and its undoing
		m, ok = w.refitGroup(r, r.x[j], r.y[j], j, r.th[j])
		if !ok {
			continue
		}
		old = append(old[:0], rf.f[:m+1]...)
		for k := 0; k <= m; k++ {
			rf.nf[k] = math.Max(old[k]*(0.8+0.4*rng.Float64()), kind.Flux.Min)
		}
		laF := w.fluxGroupRatio(r, j, m)
		w.commit(r)
		w.setRefits(r, m)
		r.th[j] = rf.nf[m]
		if _, ok := w.refitGroup(r, r.x[j], r.y[j], j, r.th[j]); !ok {
			t.Fatal("the group became singular")
		}
		copy(rf.nf[:m+1], old)
		laR := w.fluxGroupRatio(r, j, m)
		if !(math.Abs(laF+laR) < 1e-3) {
			t.Errorf("trial %d: ln α of a flux-group update %.6f and of its reverse %.6f do not cancel", trial, laF, laR)
		}
		w.commit(r)
		w.setRefits(r, m)
		r.th[j] = rf.nf[m]
		tested++
	}
	if tested < 20 {
		t.Fatalf("only %d of 40 trials had neighbours", tested)
	}
}

// TestRefitDeterministicAcrossThreads checks that with the refit moves on, the same seed
// gives identical samples whatever the number of threads.
func TestRefitDeterministicAcrossThreads(t *testing.T) {
	img, _, kind := testField(t, 80, 70, 0.03, 5)
	run := func(threads int) []Sample {
		cfg := smallRun(threads, 2)
		cfg.Weights = MoveWeights{Move: 80, BirthDeath: 20, SplitMerge: 40, Refit: 40, FluxGroup: 20}
		return runAll(t, img, kind, cfg)
	}
	ref := run(1)
	var st [NumMoveTypes]MoveStats
	for _, s := range ref {
		for m := range st {
			st[m].Accepted += s.Moves[m].Accepted
		}
	}
	if st[RefitBirth].Accepted == 0 || st[RefitDeath].Accepted == 0 || st[FluxGroup].Accepted == 0 {
		t.Fatalf("refit moves accepted: birth %d, death %d, flux group %d; the test needs all three",
			st[RefitBirth].Accepted, st[RefitDeath].Accepted, st[FluxGroup].Accepted)
	}
	for _, th := range []int{2, 4} {
		if got := run(th); !reflect.DeepEqual(ref, got) {
			t.Errorf("threads=%d differs from threads=1", th)
		}
	}
}

// TestPriorRecoveryRefitSplitMerge changes N only through refit splits and merges, with a
// refit radius as wide as the merge kernel so that most of them redraw neighbours' fluxes.
func TestPriorRecoveryRefitSplitMerge(t *testing.T) {
	priorRecoveryWithout(t, MoveWeights{Move: 40, RefitSplitMerge: 80}, func(c *Config) {
		c.RefitRadius, c.RefitScale = 8, 2
	})
}
