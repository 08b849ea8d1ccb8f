package galaxy

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/model/kindtest"
)

var _ model.SourceKind = (*Kind)(nil)

// testKind returns an exp galaxy kind with PCAT's flux prior and r_e in [0.8, 8] pixels.
func testKind(t *testing.T) *Kind {
	t.Helper()
	k, err := NewKind(Exp, Mixture{{Amp: 1, XX: 1, YY: 1}}, model.FluxPrior{Min: 250, Slope: 2}, 0.8, 8)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKindContract runs the SourceKind conformance suite on an exp and a dev kind.
func TestKindContract(t *testing.T) {
	for _, p := range []Profile{Exp, Dev} {
		k, err := NewKind(p, Mixture{{Amp: 1, XX: 1, YY: 1}}, model.FluxPrior{Min: 250, Slope: 2}, 0.8, 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(k.Name(), func(t *testing.T) { kindtest.Test(t, k) })
	}
}

// TestNewKindErrors checks the refusals.
func TestNewKindErrors(t *testing.T) {
	psf := Mixture{{Amp: 1, XX: 1, YY: 1}}
	flux := model.FluxPrior{Min: 250, Slope: 2}
	for name, f := range map[string]func() (*Kind, error){
		"profile":  func() (*Kind, error) { return NewKind(Profile(7), psf, flux, 1, 2) },
		"psf":      func() (*Kind, error) { return NewKind(Exp, Mixture{{Amp: 1, XX: 1, XY: 2, YY: 1}}, flux, 1, 2) },
		"no psf":   func() (*Kind, error) { return NewKind(Exp, nil, flux, 1, 2) },
		"flux":     func() (*Kind, error) { return NewKind(Exp, psf, model.FluxPrior{Min: 250, Slope: 1}, 1, 2) },
		"re order": func() (*Kind, error) { return NewKind(Exp, psf, flux, 2, 1) },
		"re zero":  func() (*Kind, error) { return NewKind(Exp, psf, flux, 0, 1) },
		"re inf":   func() (*Kind, error) { return NewKind(Exp, psf, flux, 1, math.Inf(1)) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	k := testKind(t)
	if k.Name() != "galaxy-exp" || len(k.Params()) != 4 || k.Params()[0] != "flux" {
		t.Errorf("name %q params %v", k.Name(), k.Params())
	}
	if k.Radius() != k.Renderer.Radius(8) || k.Radius() < k.Renderer.Radius(0.8) {
		t.Errorf("radius %d, want Renderer.Radius(ReMax) = %d", k.Radius(), k.Renderer.Radius(8))
	}
}

// TestPriorNormalised integrates exp(LogPrior) over a box wider than the support in every
// parameter (midpoint rule in ln flux, ln r_e, q and phi, with the support's edges on cell
// edges): the integral is 1 to 1e−3 (the midpoint rule's error in ln flux is 4e−4).
func TestPriorNormalised(t *testing.T) {
	k := testKind(t)
	lf0, lf1, nf := math.Log(250)-1, math.Log(250)+35, 360
	dr := math.Log(8 / 0.8)
	lr0, lr1, nr := math.Log(0.8)-dr/8, math.Log(8)+dr/8, 30
	q0, q1, nq := -0.2, 1.3, 50
	p0, p1, np := -math.Pi/4, 5*math.Pi/4, 24
	hf, hr, hq, hp := (lf1-lf0)/float64(nf), (lr1-lr0)/float64(nr), (q1-q0)/float64(nq), (p1-p0)/float64(np)
	sum := 0.0
	par := make([]float64, 4)
	for i := 0; i < nf; i++ {
		par[0] = math.Exp(lf0 + (float64(i)+0.5)*hf)
		for j := 0; j < nr; j++ {
			par[1] = math.Exp(lr0 + (float64(j)+0.5)*hr)
			for a := 0; a < nq; a++ {
				par[2] = q0 + (float64(a)+0.5)*hq
				for b := 0; b < np; b++ {
					par[3] = p0 + (float64(b)+0.5)*hp
					sum += math.Exp(k.LogPrior(par)) * par[0] * par[1]
				}
			}
		}
	}
	sum *= hf * hr * hq * hp
	if math.Abs(sum-1) > 1e-3 {
		t.Errorf("prior integrates to %.5f", sum)
	}
	t.Logf("∫ prior = %.6f", sum)
}

// marginalCDF returns the cumulative distribution of parameter i of the prior, by the
// trapezoid rule on exp(LogPrior) over n steps of [lo, hi] (in ln p when logScale) with the
// other parameters held at ref (the prior is a product, so this is the marginal).
func marginalCDF(k *Kind, i int, lo, hi float64, logScale bool, ref []float64) func(float64) float64 {
	const n = 20000
	xs := make([]float64, n+1)
	cum := make([]float64, n+1)
	par := append([]float64(nil), ref...)
	dens := func(u float64) float64 {
		par[i] = u
		jac := 1.0
		if logScale {
			par[i] = math.Exp(u)
			jac = par[i]
		}
		return math.Exp(k.LogPrior(par)) * jac
	}
	h := (hi - lo) / n
	prev := dens(lo)
	xs[0] = lo
	for s := 1; s <= n; s++ {
		xs[s] = lo + float64(s)*h
		d := dens(math.Min(xs[s], math.Nextafter(hi, lo)))
		cum[s] = cum[s-1] + (prev+d)*h/2
		prev = d
	}
	return func(v float64) float64 {
		if logScale {
			v = math.Log(v)
		}
		s := sort.SearchFloat64s(xs, v)
		if s == 0 {
			return 0
		}
		if s > n {
			return cum[n] / cum[n]
		}
		f := (v - xs[s-1]) / h
		return (cum[s-1] + f*(cum[s]-cum[s-1])) / cum[n]
	}
}

// ksDistance returns the Kolmogorov–Smirnov distance between the sample and a CDF.
func ksDistance(sample []float64, cdf func(float64) float64) float64 {
	s := append([]float64(nil), sample...)
	sort.Float64s(s)
	d := 0.0
	for i, v := range s {
		c := cdf(v)
		d = math.Max(d, math.Max(math.Abs(c-float64(i)/float64(len(s))), math.Abs(c-float64(i+1)/float64(len(s)))))
	}
	return d
}

// priorCDFs returns the marginal CDFs of the four parameters from LogPrior.
func priorCDFs(k *Kind) []func(float64) float64 {
	ref := []float64{1000, 2, 0.5, 1}
	return []func(float64) float64{
		marginalCDF(k, 0, math.Log(250), math.Log(250)+30, true, ref),
		marginalCDF(k, 1, math.Log(0.8), math.Log(8), true, ref),
		marginalCDF(k, 2, MinAxisRatio, 1, false, ref),
		marginalCDF(k, 3, 0, math.Pi, false, ref),
	}
}

// TestSamplePriorMatchesLogPrior draws 20 000 parameter sets with SamplePrior and holds each
// parameter to the marginal CDF computed from LogPrior by a Kolmogorov–Smirnov test
// (√n·D < 1.63, the 1 % level).
func TestSamplePriorMatchesLogPrior(t *testing.T) {
	k := testKind(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	cols := make([][]float64, 4)
	dst := make([]float64, 4)
	for s := 0; s < n; s++ {
		k.SamplePrior(rng, dst)
		if math.IsInf(k.LogPrior(dst), -1) {
			t.Fatalf("sample %v outside the support", dst)
		}
		for i, v := range dst {
			cols[i] = append(cols[i], v)
		}
	}
	for i, cdf := range priorCDFs(k) {
		if d := ksDistance(cols[i], cdf) * math.Sqrt(n); d > 1.63 {
			t.Errorf("%s: √n·D = %.2f", k.Params()[i], d)
		} else {
			t.Logf("%s: √n·D = %.2f", k.Params()[i], d)
		}
	}
}

// TestPerturbDetailedBalance runs a Metropolis–Hastings chain whose target is the prior and
// whose proposal is Perturb, accepting with exp(ΔLogPrior + Perturb's ratio): the chain
// samples the prior only if that ratio is right (without the ln r_e term it samples
// p(r_e)/r_e, and a clamped rather than reflected q would pile up at the ends). 10⁶ steps of
// scale 5, every 50th kept: each parameter passes a Kolmogorov–Smirnov test against the
// prior at √n·D < 2 (the kept draws are nearly independent; 1.63 is the 1 % level for
// independent ones).
func TestPerturbDetailedBalance(t *testing.T) {
	k := testKind(t)
	rng := rand.New(rand.NewPCG(3, 4))
	cur := make([]float64, 4)
	prop := make([]float64, 4)
	k.SamplePrior(rng, cur)
	lp := k.LogPrior(cur)
	cols := make([][]float64, 4)
	accepted := 0
	const steps, thin = 1000000, 50
	for s := 0; s < steps; s++ {
		ratio := k.Perturb(rng, cur, prop, 5)
		lq := k.LogPrior(prop)
		if math.IsInf(lq, -1) && prop[0] >= 250 {
			t.Fatalf("Perturb left the support: %v", prop)
		}
		if math.Log(1-rng.Float64()) < lq-lp+ratio {
			copy(cur, prop)
			lp = lq
			accepted++
		}
		if s%thin == 0 {
			for i, v := range cur {
				cols[i] = append(cols[i], v)
			}
		}
	}
	n := float64(len(cols[0]))
	for i, cdf := range priorCDFs(k) {
		d := ksDistance(cols[i], cdf) * math.Sqrt(n)
		t.Logf("%s: √n·D = %.2f", k.Params()[i], d)
		if d > 2 {
			t.Errorf("%s: chain off the prior, √n·D = %.2f", k.Params()[i], d)
		}
	}
	t.Logf("acceptance %.2f", float64(accepted)/steps)
}

// TestReflectWrap checks the folding helpers.
func TestReflectWrap(t *testing.T) {
	for _, c := range [][2]float64{{0.5, 0.5}, {1.2, 0.8}, {-0.3, 0.3}, {2.3, 0.3}, {-1.7, 0.3}, {3.1, 0.9}} {
		if got := model.Reflect(c[0], 0, 1); math.Abs(got-c[1]) > 1e-12 {
			t.Errorf("reflect(%g) = %g, want %g", c[0], got, c[1])
		}
	}
	for _, c := range [][2]float64{{0.5, 0.5}, {math.Pi + 0.2, 0.2}, {-0.2, math.Pi - 0.2}, {-1e-18, 0}} {
		if got := model.Wrap(c[0], math.Pi); math.Abs(got-c[1]) > 1e-12 || got >= math.Pi || got < 0 {
			t.Errorf("wrap(%g) = %g, want %g", c[0], got, c[1])
		}
	}
}
