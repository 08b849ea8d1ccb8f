// Package binary is the worked example of docs/extending.md: an unresolved binary star as a
// source kind, in one file outside the sampler. Its sources are two point sources of the
// image's PSF with a total flux, a separation, a position angle and a flux ratio; the position
// (x, y) is their flux-weighted centre. cmd/probcat registers it in one line, so that
// `probcat sample IMAGE --kinds star,binary` fits stars and binaries together.
package binary

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/probcat/probcat/kinds"
	"github.com/probcat/probcat/model"
)

// Separations are log-uniform on [MinSep, MaxSep] pixels.
const (
	MinSep = 0.5
	MaxSep = 3
)

// Kind is the binary star: parameters flux (total), sep (pixels), angle (radians from +x
// towards +y, in [0, π)) and ratio (the fainter over the brighter flux, in (0, 1]).
type Kind struct {
	PSF  model.Profile
	Flux model.FluxPrior
}

// New builds the kind for an image (a kinds.Constructor).
func New(env kinds.Env) (model.SourceKind, error) {
	if env.PSF == nil {
		return nil, fmt.Errorf("no PSF")
	}
	return &Kind{PSF: env.PSF, Flux: env.Flux}, nil
}

// Name implements model.SourceKind.
func (k *Kind) Name() string { return "binary" }

// Params implements model.SourceKind.
func (k *Kind) Params() []string { return []string{"flux", "sep", "angle", "ratio"} }

// Radius implements model.SourceKind: each star's PSF stamp is measured from its own anchor
// pixel, at most MaxSep + 1 pixels from the pair's.
func (k *Kind) Radius() int { return k.PSF.Radius() + int(math.Ceil(MaxSep)) + 1 }

// LogPrior implements model.SourceKind: the flux prior, a log-uniform separation, a uniform
// angle on [0, π) and a uniform ratio on (0, 1] — normalised, as the contract asks.
func (k *Kind) LogPrior(p []float64) float64 {
	sep, angle, ratio := p[1], p[2], p[3]
	if !(sep >= MinSep && sep <= MaxSep) || !(angle >= 0 && angle < math.Pi) || !(ratio > 0 && ratio <= 1) {
		return math.Inf(-1)
	}
	return k.Flux.LogDensity(p[0]) - math.Log(sep) - math.Log(math.Log(MaxSep/MinSep)) - math.Log(math.Pi)
}

// SamplePrior implements model.SourceKind.
func (k *Kind) SamplePrior(rng *rand.Rand, dst []float64) {
	dst[0] = k.Flux.Sample(rng)
	dst[1] = MinSep * math.Exp(rng.Float64()*math.Log(MaxSep/MinSep))
	dst[2] = rng.Float64() * math.Pi
	dst[3] = 1 - rng.Float64() // (0, 1]
}

// Perturb implements model.SourceKind: log-normal steps in flux and separation (Hastings
// terms ln f'/f and ln s'/s; the separation reflected at its bounds in log space, which keeps
// the step symmetric there), a wrapped step in angle and a reflected one in ratio (symmetric).
func (k *Kind) Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64 {
	dst[0] = old[0] * math.Exp(0.1*scale*rng.NormFloat64())
	lo, hi := math.Log(MinSep), math.Log(MaxSep)
	dst[1] = math.Exp(model.Reflect(math.Log(old[1])+0.1*scale*rng.NormFloat64(), lo, hi))
	dst[2] = model.Wrap(old[2]+0.1*scale*rng.NormFloat64(), math.Pi)
	dst[3] = model.Reflect(old[3]+0.1*scale*rng.NormFloat64(), 0, 1)
	if dst[3] == 0 {
		dst[3] = old[3] // the prior excludes 0; stay put (a symmetric, measure-zero event)
	}
	return math.Log(dst[0]/old[0]) + math.Log(dst[1]/old[1])
}

// Render implements model.SourceKind: the brighter star at distance sep·ratio/(1+ratio) from
// (x, y) and the fainter one opposite at sep/(1+ratio), so that their flux-weighted centre is
// (x, y).
func (k *Kind) Render(b model.Box, x, y float64, p []float64, sign float64) {
	f, sep, angle, ratio := p[0], p[1], p[2], p[3]
	c, s := math.Cos(angle), math.Sin(angle)
	d1, d2 := sep*ratio/(1+ratio), sep/(1+ratio)
	k.PSF.AddTo(b, x-d1*c, y-d1*s, sign*f/(1+ratio))
	k.PSF.AddTo(b, x+d2*c, y+d2*s, sign*f*ratio/(1+ratio))
}
