package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// FluxPrior is the flux function: the prior density of a source's flux, zero below a
// threshold f_min (a fixed choice: fluxes below it are not sources of the catalogue).
//
// With Break = 0 it is PCAT's power law p(f) = (α−1)/f_min · (f/f_min)^−α (α = Slope, which
// must exceed 1 for the density to be normalisable; PCAT: α = 2, f_min = 250 ADU on M2 r).
//
// With Break = f_b > f_min it is a broken power law, continuous at the break:
// p(f) = (f/f_b)^−α₁ / Z on [f_min, f_b] and (f/f_b)^−α₂ / Z above, with α₁ = Slope (any
// finite value: over the finite range [f_min, f_b] a flat or rising faint end is
// normalisable too), α₂ = SlopeBright > 1 and
// Z = ∫_{f_min}^{f_b} (f/f_b)^−α₁ df + f_b/(α₂−1).
type FluxPrior struct {
	Min         float64 // f_min, counts
	Slope       float64 // α of a power law; α₁, the slope below the break, of a broken one
	Break       float64 // f_b, counts; 0 for a single power law
	SlopeBright float64 // α₂, the slope above the break (broken power law only)
}

// Broken reports whether the prior is a broken power law.
func (p FluxPrior) Broken() bool { return p.Break != 0 }

// Validate reports whether the prior is proper.
func (p FluxPrior) Validate() error {
	if !(p.Min > 0) || math.IsInf(p.Min, 0) {
		return fmt.Errorf("flux prior minimum must be positive, got %g", p.Min)
	}
	if !p.Broken() {
		if !(p.Slope > 1) || math.IsInf(p.Slope, 0) {
			return fmt.Errorf("flux prior slope must exceed 1, got %g", p.Slope)
		}
		return nil
	}
	switch {
	case !(p.Break > p.Min) || math.IsInf(p.Break, 0):
		return fmt.Errorf("flux prior break %g must exceed the minimum %g", p.Break, p.Min)
	case math.IsNaN(p.Slope) || math.IsInf(p.Slope, 0):
		return fmt.Errorf("flux prior slope below the break must be finite, got %g", p.Slope)
	case !(p.SlopeBright > 1) || math.IsInf(p.SlopeBright, 0):
		return fmt.Errorf("flux prior slope above the break must exceed 1, got %g", p.SlopeBright)
	}
	return nil
}

// String names the prior and its parameters, for run records.
func (p FluxPrior) String() string {
	if p.Broken() {
		return fmt.Sprintf("broken(min=%g,break=%g,slope=%g,slope_bright=%g)", p.Min, p.Break, p.Slope, p.SlopeBright)
	}
	return fmt.Sprintf("powerlaw(min=%g,slope=%g)", p.Min, p.Slope)
}

// LogDensity returns ln p(f); −Inf below f_min.
func (p FluxPrior) LogDensity(f float64) float64 {
	if f < p.Min {
		return math.Inf(-1)
	}
	if !p.Broken() {
		return math.Log((p.Slope-1)/p.Min) - p.Slope*math.Log(f/p.Min)
	}
	a := p.Slope
	if f >= p.Break {
		a = p.SlopeBright
	}
	return -a*math.Log(f/p.Break) - math.Log(p.norm())
}

// LogFluxes holds a set of fluxes by their logarithms, sorted, with running sums, so that
// Σ_i ln p(f_i) under any flux prior costs one binary search instead of a pass over them (the
// sampler's hyperparameter updates evaluate it many times for the same fluxes).
type LogFluxes struct {
	sorted []float64 // ln f_i, ascending
	prefix []float64 // prefix[k] = Σ_{i<k} sorted[i]
}

// Set replaces the fluxes by those whose logarithms are lnf (all at or above the priors'
// f_min), reusing l's storage; lnf itself is not kept.
func (l *LogFluxes) Set(lnf []float64) {
	l.sorted = append(l.sorted[:0], lnf...)
	slices.Sort(l.sorted)
	l.prefix = append(l.prefix[:0], 0)
	s := 0.0
	for _, v := range l.sorted {
		s += v
		l.prefix = append(l.prefix, s)
	}
}

// Len returns the number of fluxes.
func (l *LogFluxes) Len() int { return len(l.sorted) }

// SumLogDensity returns Σ_i ln p(f_i) under the prior p.
func (l *LogFluxes) SumLogDensity(p FluxPrior) float64 {
	n := len(l.sorted)
	fn := float64(n)
	total := l.prefix[n]
	if !p.Broken() {
		lm := math.Log(p.Min)
		return fn*(math.Log(p.Slope-1)-lm) - p.Slope*(total-fn*lm)
	}
	lb := math.Log(p.Break)
	k, _ := slices.BinarySearch(l.sorted, lb) // sorted[:k] < ln f_b ≤ sorted[k:]
	below := l.prefix[k] - float64(k)*lb
	above := total - l.prefix[k] - float64(n-k)*lb
	return -p.Slope*below - p.SlopeBright*above - fn*math.Log(p.norm())
}

// norm returns the broken power law's Z = f_b·[∫_r^1 u^−α₁ du + 1/(α₂−1)], r = f_min/f_b.
func (p FluxPrior) norm() float64 {
	return p.Break * (powerIntegral(p.Min/p.Break, 1, p.Slope) + 1/(p.SlopeBright-1))
}

// Sample draws a flux from the prior by inverting its cumulative distribution.
func (p FluxPrior) Sample(rng *rand.Rand) float64 {
	u := 1 - rng.Float64() // (0, 1]
	if !p.Broken() {
		return p.Min * math.Pow(u, -1/(p.Slope-1))
	}
	// u is the survival probability 1 − CDF(f). Above the break it is
	// f_b/(α₂−1)·(f/f_b)^(1−α₂)/Z, solved for f directly. Below, CDF(f) = f_b·∫_r^x t^−α₁ dt/Z
	// with r = f_min/f_b and x = f/f_b, so ∫_r^x t^−α₁ dt = v = (1−u)·Z/f_b, that is
	// x^(1−α₁) = r^(1−α₁) + (1−α₁)·v, written as x = r·exp(g·log1p(k)/k) with
	// g = v·r^(α₁−1) and k = (1−α₁)·g, which stays exact at and near α₁ = 1.
	z := p.norm()
	bright := p.Break / (p.SlopeBright - 1)
	if u*z <= bright {
		return p.Break * math.Pow(u*z*(p.SlopeBright-1)/p.Break, -1/(p.SlopeBright-1))
	}
	r := p.Min / p.Break
	v := (1 - u) * z / p.Break
	g := v * math.Pow(r, p.Slope-1)
	x := r * math.Exp(g*log1pOver((1-p.Slope)*g))
	return math.Min(p.Break*x, p.Break)
}

// CDF returns P(F ≤ f).
func (p FluxPrior) CDF(f float64) float64 {
	if f <= p.Min {
		return 0
	}
	if !p.Broken() {
		return 1 - math.Pow(f/p.Min, 1-p.Slope)
	}
	z := p.norm()
	if f >= p.Break {
		return 1 - p.Break/(p.SlopeBright-1)*math.Pow(f/p.Break, 1-p.SlopeBright)/z
	}
	return p.Break * powerIntegral(p.Min/p.Break, f/p.Break, p.Slope) / z
}

// powerIntegral returns ∫_{x0}^{x1} t^−α dt for 0 < x0 ≤ x1, exact also at and near α = 1:
// x0^(1−α)·L·expm1(u)/u with L = ln(x1/x0), u = (1−α)·L.
func powerIntegral(x0, x1, a float64) float64 {
	l := math.Log(x1 / x0)
	return math.Pow(x0, 1-a) * l * expm1Over((1-a)*l)
}

// expm1Over returns expm1(u)/u, 1 at u = 0.
func expm1Over(u float64) float64 {
	if math.Abs(u) < 1e-8 {
		return 1 + u/2
	}
	return math.Expm1(u) / u
}

// log1pOver returns log1p(k)/k, 1 at k = 0.
func log1pOver(k float64) float64 {
	if math.Abs(k) < 1e-8 {
		return 1 - k/2
	}
	return math.Log1p(k) / k
}

// CountPrior is a prior on the number of sources N in an image of a given area (pixels²).
type CountPrior interface {
	// LogPrior returns ln p(N) up to a constant that does not depend on N.
	LogPrior(n int, area float64) float64
	// String names the prior and its parameters, for run records.
	String() string
}

// Penalty is PCAT's prior on N: every source costs a fixed log-prior penalty (½ × parameters
// per source = 1.5 for a point source), p(N) ∝ exp(−PerSource·N), on top of the uniform
// position density 1/area per source that the sampler supplies (PCAT's split/merge ratio
// carries that 1/area explicitly and its birth ratio is exp(−penalty) × the likelihood
// ratio, which is what this gives). For PerSource > 0 it is a proper geometric prior.
type Penalty struct {
	PerSource float64
}

// LogPrior returns −PerSource·N (the area does not enter).
func (p Penalty) LogPrior(n int, area float64) float64 {
	return -float64(n) * p.PerSource
}

// String implements CountPrior.
func (p Penalty) String() string { return fmt.Sprintf("penalty(%g)", p.PerSource) }

// Poisson is a Poisson prior on N with mean Density × area: sources scattered uniformly at
// Density per pixel.
type Poisson struct {
	Density float64
}

// LogPrior returns N ln(λ) − ln N! with λ = Density·area.
func (p Poisson) LogPrior(n int, area float64) float64 {
	lg, _ := math.Lgamma(float64(n) + 1)
	return float64(n)*math.Log(p.Density*area) - lg
}

// String implements CountPrior.
func (p Poisson) String() string { return fmt.Sprintf("poisson(density=%g)", p.Density) }

// GammaPoisson is the hierarchical Poisson prior on N: sources scattered uniformly at an
// unknown density ρ per pixel, N | ρ ~ Poisson(ρ·area), with a Gamma(Shape, Rate) hyperprior
// on ρ (Rate in pixels: the prior mean is Shape/Rate sources per pixel). The Gamma is
// conjugate, so the sampler updates ρ with the catalogue by an exact Gibbs draw from
// ρ | N ~ Gamma(Shape + N, Rate + area) (SampleDensity), and every other move sees the
// Poisson prior at the current ρ (Conditional). LogPrior is the marginal over ρ, a negative
// binomial.
//
// DefaultGammaPoisson's Gamma(1, 1) (an exponential of mean one source per pixel) is broad:
// its density changes by less than 10 % over the 0–0.1 sources per pixel of real fields
// (one per pixel is far beyond what a PSF a few pixels wide resolves), so the posterior of
// ρ is (N + 1)/(area + 1) ± √(N + 1)/area, set by the catalogue, yet it stays proper at
// N = 0, where a log-uniform (Jeffreys) hyperprior would not.
type GammaPoisson struct {
	Shape, Rate float64
}

// DefaultGammaPoisson is the hyperprior probcat uses unless told otherwise: Gamma(1, 1).
var DefaultGammaPoisson = GammaPoisson{Shape: 1, Rate: 1}

// Validate reports whether the hyperprior is proper.
func (p GammaPoisson) Validate() error {
	if !(p.Shape > 0) || math.IsInf(p.Shape, 0) || !(p.Rate > 0) || math.IsInf(p.Rate, 0) {
		return fmt.Errorf("density hyperprior Gamma(%g, %g) needs a positive finite shape and rate", p.Shape, p.Rate)
	}
	return nil
}

// LogPrior returns the marginal ln p(N) = ln Γ(Shape+N) − ln N! + N ln(area/(area+Rate)),
// up to a constant.
func (p GammaPoisson) LogPrior(n int, area float64) float64 {
	a, _ := math.Lgamma(p.Shape + float64(n))
	b, _ := math.Lgamma(float64(n) + 1)
	return a - b - float64(n)*math.Log1p(p.Rate/area)
}

// String implements CountPrior.
func (p GammaPoisson) String() string {
	return fmt.Sprintf("poisson(density~gamma(shape=%g,rate=%g))", p.Shape, p.Rate)
}

// Conditional returns the Poisson prior at density ρ.
func (p GammaPoisson) Conditional(density float64) Poisson { return Poisson{Density: density} }

// LogJoint returns ln p(N | ρ) + ln p(ρ), both normalised: the Poisson probability of n
// sources at density ρ and the Gamma hyperprior's log density at ρ.
func (p GammaPoisson) LogJoint(n int, area, density float64) float64 {
	lam := density * area
	ln, _ := math.Lgamma(float64(n) + 1)
	la, _ := math.Lgamma(p.Shape)
	return float64(n)*math.Log(lam) - lam - ln +
		p.Shape*math.Log(p.Rate) - la + (p.Shape-1)*math.Log(density) - p.Rate*density
}

// SampleDensity draws ρ from its conditional posterior given n sources in the area,
// Gamma(Shape + n, Rate + area).
func (p GammaPoisson) SampleDensity(rng *rand.Rand, n int, area float64) float64 {
	return gammaVariate(rng, p.Shape+float64(n)) / (p.Rate + area)
}

// gammaVariate draws from Gamma(shape, 1) by Marsaglia and Tsang's method (ACM TOMS 26:363,
// 2000), boosting shapes below 1 by Gamma(a) = Gamma(a+1)·U^(1/a).
func gammaVariate(rng *rand.Rand, shape float64) float64 {
	boost := 1.0
	if shape < 1 {
		boost = math.Pow(1-rng.Float64(), 1/shape)
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - rng.Float64()
		if math.Log(u) < x*x/2+d-d*v+d*math.Log(v) {
			return boost * d * v
		}
	}
}
