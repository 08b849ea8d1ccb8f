package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// brokenCases are broken power laws with faint slopes on both sides of 1 and at 1 exactly.
var brokenCases = []FluxPrior{
	{Min: 250, Slope: 1.5, Break: 2000, SlopeBright: 2.5},
	{Min: 250, Slope: 1, Break: 1000, SlopeBright: 2},
	{Min: 250, Slope: 1 + 1e-10, Break: 1000, SlopeBright: 2},
	{Min: 100, Slope: -0.5, Break: 400, SlopeBright: 3},
	{Min: 100, Slope: 3.5, Break: 150, SlopeBright: 1.2},
}

// TestBrokenPowerLawNormalised integrates the density numerically (below the break, and
// above it in ln f out to 10⁸ f_b, where the remaining tail is added analytically) and
// checks that it is 1, that the CDF agrees with the integral at the break, and that the
// density is continuous there.
func TestBrokenPowerLawNormalised(t *testing.T) {
	for _, p := range brokenCases {
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		dens := func(f float64) float64 { return math.Exp(p.LogDensity(f)) }
		below := quad.Fixed(dens, p.Min, p.Break, 200, nil, 0)
		top := p.Break * 1e8
		above := quad.Fixed(func(l float64) float64 { f := math.Exp(l); return f * dens(f) },
			math.Log(p.Break), math.Log(top), 400, nil, 0)
		tail := top * dens(top) / (p.SlopeBright - 1) // ∫_top^∞ of a pure power law
		if tot := below + above + tail; math.Abs(tot-1) > 1e-6 {
			t.Errorf("%v: ∫p = %.9f", p, tot)
		}
		if c := p.CDF(p.Break); math.Abs(c-below) > 1e-6 {
			t.Errorf("%v: CDF(break) %.9f, ∫ below %.9f", p, c, below)
		}
		lo, hi := p.LogDensity(p.Break*(1-1e-12)), p.LogDensity(p.Break)
		if math.Abs(lo-hi) > 1e-9 {
			t.Errorf("%v: density jumps at the break: %g → %g", p, lo, hi)
		}
		if !math.IsInf(p.LogDensity(p.Min*0.999), -1) || p.CDF(p.Min) != 0 {
			t.Errorf("%v: mass below f_min", p)
		}
		for _, f := range []float64{p.Min * 1.01, (p.Min + p.Break) / 2, p.Break * 1.5, p.Break * 40} {
			h := f * 1e-6
			num := (p.CDF(f+h) - p.CDF(f-h)) / (2 * h)
			if d := dens(f); math.Abs(num-d) > 1e-5*d {
				t.Errorf("%v at f=%g: density %g, CDF slope %g", p, f, d, num)
			}
		}
	}
}

// TestBrokenPowerLawSample checks that Sample inverts the CDF: the CDF of each draw is the
// uniform it came from (exactly, up to rounding), and a KS test of 20000 draws against the
// CDF passes.
func TestBrokenPowerLawSample(t *testing.T) {
	for _, p := range brokenCases {
		rng := rand.New(rand.NewPCG(3, 4))
		ref := rand.New(rand.NewPCG(3, 4))
		n := 20000
		draws := make([]float64, n)
		for i := range draws {
			draws[i] = p.Sample(rng)
			u := 1 - ref.Float64()
			if c := p.CDF(draws[i]); math.Abs(c-(1-u)) > 1e-9 {
				t.Fatalf("%v: draw %g from survival %g has CDF %g", p, draws[i], u, c)
			}
			if draws[i] < p.Min {
				t.Fatalf("%v: draw %g below f_min", p, draws[i])
			}
		}
		slices.Sort(draws)
		d := 0.0
		for i, f := range draws {
			c := p.CDF(f)
			d = max(d, math.Abs(c-float64(i)/float64(n)), math.Abs(c-float64(i+1)/float64(n)))
		}
		// Kolmogorov's 0.1 % critical value 1.95/√n
		if crit := 1.95 / math.Sqrt(float64(n)); d > crit {
			t.Errorf("%v: KS D = %.4f > %.4f", p, d, crit)
		}
	}
}

func TestFluxPriorValidate(t *testing.T) {
	for _, bad := range []FluxPrior{
		{Min: 0, Slope: 2}, {Min: 250, Slope: 1},
		{Min: 250, Slope: 2, Break: 200, SlopeBright: 2},           // break below f_min
		{Min: 250, Slope: 2, Break: 250, SlopeBright: 2},           // at f_min
		{Min: 250, Slope: 2, Break: 1000, SlopeBright: 1},          // bright slope not > 1
		{Min: 250, Slope: math.NaN(), Break: 1000, SlopeBright: 2}, // faint slope not finite
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestGammaPoissonDensity checks the Gibbs draw against Gamma(shape + n, rate + area) by a
// KS test, for a shape below 1 with n = 0 (the boosted branch) and for a larger case.
func TestGammaPoissonDensity(t *testing.T) {
	for _, c := range []struct {
		p    GammaPoisson
		n    int
		area float64
	}{{GammaPoisson{Shape: 0.3, Rate: 2}, 0, 5}, {GammaPoisson{Shape: 1, Rate: 1}, 37, 900}} {
		rng := rand.New(rand.NewPCG(9, uint64(c.n)))
		g := distuv.Gamma{Alpha: c.p.Shape + float64(c.n), Beta: c.p.Rate + c.area}
		const n = 20000
		x := make([]float64, n)
		for i := range x {
			x[i] = c.p.SampleDensity(rng, c.n, c.area)
		}
		slices.Sort(x)
		d := 0.0
		for i, v := range x {
			cdf := g.CDF(v)
			d = max(d, math.Abs(cdf-float64(i)/n), math.Abs(cdf-float64(i+1)/n))
		}
		if crit := 1.95 / math.Sqrt(n); d > crit {
			t.Errorf("%+v, n=%d: KS D = %.4f > %.4f", c.p, c.n, d, crit)
		}
	}
}

// TestGammaPoissonMarginal checks that LogPrior is the marginal of LogJoint over the density
// (integrated numerically in ln ρ), up to the one constant, for several N.
func TestGammaPoissonMarginal(t *testing.T) {
	p := GammaPoisson{Shape: 1.5, Rate: 3}
	area := 200.0
	var off float64
	for k, n := range []int{0, 1, 7, 40} {
		m := quad.Fixed(func(l float64) float64 {
			r := math.Exp(l)
			return r * math.Exp(p.LogJoint(n, area, r))
		}, math.Log(1e-9), math.Log(10), 2000, nil, 0)
		d := math.Log(m) - p.LogPrior(n, area)
		if k == 0 {
			off = d
			if math.Abs(m-math.Pow(p.Rate/(p.Rate+area), p.Shape)) > 1e-6 {
				t.Errorf("P(N=0) = %g, want %g", m, math.Pow(p.Rate/(p.Rate+area), p.Shape))
			}
		} else if math.Abs(d-off) > 1e-6 {
			t.Errorf("N=%d: ln ∫ joint − LogPrior = %g, at N=0 %g", n, d, off)
		}
	}
	if (GammaPoisson{Shape: 0, Rate: 1}).Validate() == nil || DefaultGammaPoisson.Validate() != nil {
		t.Error("Validate")
	}
}

// TestSumLogDensity checks LogFluxes.SumLogDensity against the sum of LogDensity, for a power
// law and for broken power laws (sources on both sides of the break, and exactly at it), with
// the fluxes given out of order.
func TestSumLogDensity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range append([]FluxPrior{{Min: 250, Slope: 2.3}}, brokenCases...) {
		var lnf []float64
		want := 0.0
		for i := 0; i < 50; i++ {
			f := p.Sample(rng)
			if i == 0 && p.Broken() {
				f = p.Break
			}
			lnf = append(lnf, math.Log(f))
			want += p.LogDensity(f)
		}
		var l LogFluxes
		l.Set(lnf)
		if got := l.SumLogDensity(p); math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("%v: SumLogDensity %.12g, Σ LogDensity %.12g", p, got, want)
		}
	}
}
