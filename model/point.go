package model

import (
	"math"
	"math/rand/v2"
)

// PointSource is the star: a PSF scaled by a flux, with a power-law flux prior.
type PointSource struct {
	PSF  Profile
	Flux FluxPrior
}

// Name implements SourceKind.
func (p *PointSource) Name() string { return "point" }

// Params implements SourceKind: a point source has only a flux.
func (p *PointSource) Params() []string { return []string{"flux"} }

// LogPrior implements SourceKind.
func (p *PointSource) LogPrior(params []float64) float64 { return p.Flux.LogDensity(params[0]) }

// SamplePrior implements SourceKind.
func (p *PointSource) SamplePrior(rng *rand.Rand, dst []float64) { dst[0] = p.Flux.Sample(rng) }

// Perturb implements SourceKind with a random walk in ln(flux) of standard deviation
// 0.1·scale. The proposal density of f' is lognormal around f, so
// ln q(f|f') − ln q(f'|f) = ln f' − ln f.
func (p *PointSource) Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64 {
	dst[0] = old[0] * math.Exp(0.1*scale*rng.NormFloat64())
	return math.Log(dst[0]) - math.Log(old[0])
}

// Render implements SourceKind.
func (p *PointSource) Render(b Box, x, y float64, params []float64, sign float64) {
	p.PSF.AddTo(b, x, y, sign*params[0])
}

// Radius implements SourceKind.
func (p *PointSource) Radius() int { return p.PSF.Radius() }
