package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// FluxPrior is a power law in flux above a threshold, p(f) = (α−1)/f_min · (f/f_min)^−α for
// f ≥ f_min, as in PCAT (α = 2, f_min = 250 ADU on M2 r). Slope must exceed 1 for the density
// to be normalisable.
type FluxPrior struct {
	Min   float64 // f_min, counts
	Slope float64 // α
}

// Validate reports whether the prior is proper.
func (p FluxPrior) Validate() error {
	if !(p.Min > 0) || math.IsInf(p.Min, 0) {
		return fmt.Errorf("flux prior minimum must be positive, got %g", p.Min)
	}
	if !(p.Slope > 1) || math.IsInf(p.Slope, 0) {
		return fmt.Errorf("flux prior slope must exceed 1, got %g", p.Slope)
	}
	return nil
}

// LogDensity returns ln p(f); −Inf below f_min.
func (p FluxPrior) LogDensity(f float64) float64 {
	if f < p.Min {
		return math.Inf(-1)
	}
	return math.Log((p.Slope-1)/p.Min) - p.Slope*math.Log(f/p.Min)
}

// Sample draws a flux from the prior by inverting its cumulative distribution.
func (p FluxPrior) Sample(rng *rand.Rand) float64 {
	u := 1 - rng.Float64() // (0, 1]
	return p.Min * math.Pow(u, -1/(p.Slope-1))
}

// CDF returns P(F ≤ f).
func (p FluxPrior) CDF(f float64) float64 {
	if f <= p.Min {
		return 0
	}
	return 1 - math.Pow(f/p.Min, 1-p.Slope)
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
