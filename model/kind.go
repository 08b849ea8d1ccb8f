package model

import (
	"math"
	"math/rand/v2"
)

// Box is a rectangle of pixels of an image buffer: image pixel (x, y) with X0 ≤ x < X0+W and
// Y0 ≤ y < Y0+H lives at Pix[(y−Y0)*Stride + (x−X0)].
type Box struct {
	Pix          []float32
	Stride       int
	X0, Y0, W, H int
}

// Profile is what a point source needs from a PSF: adding flux × PSF centred at (x, y) into
// a box (light falling outside the box is dropped), and the stamp half-width in pixels.
// psf.PSF implements it.
type Profile interface {
	AddTo(b Box, x, y, flux float64)
	Radius() int
}

// Anchor returns the pixel a source's Radius is measured from along one axis: ⌈v⌉ for a
// position v (pixel centres at integers). It is the pixel the PSF tables place a source on
// (render.Place), and the sampler's proposal boxes reach Radius pixels either side of it.
func Anchor(v float64) int { return int(math.Ceil(v)) }

// SourceKind describes one kind of source: the parameters it has beyond its position, their
// prior, how to perturb them, and how it renders. The sampler only talks to sources through
// this interface (with a fast path for point sources), so a researcher can add a galaxy or a
// multi-band star by implementing it. Positions are always x, y with a uniform prior; the
// parameters listed by Params come after them, and the first is always the flux in counts.
//
// The contract (package kindtest checks it in one line):
//   - LogPrior is a normalised density over the parameters (a uniform prior on [a, b] is
//     −ln(b−a) inside, not 0): the sampler's births and deaths compare catalogues of
//     different sizes, so a missing constant biases the number of sources.
//   - SamplePrior draws from exactly that density.
//   - Perturb's returned Hastings term makes a Metropolis–Hastings chain keep any target.
//   - Render is linear in sign, puts the light's centre at (x, y) (pixel centres at
//     integers) with all of the flux, adds nothing outside the box it is given, and nothing
//     more than Radius pixels from the anchor pixel (Anchor(x), Anchor(y)).
type SourceKind interface {
	// Name identifies the kind in run records and file metadata.
	Name() string
	// Params names the parameters after x and y; Params()[0] is "flux".
	Params() []string
	// LogPrior returns the normalised log prior density of params (−Inf outside the
	// support).
	LogPrior(params []float64) float64
	// SamplePrior draws params from the prior into dst (len(dst) == len(Params())).
	SamplePrior(rng *rand.Rand, dst []float64)
	// Perturb proposes new params near old (a random-walk step of the given relative size,
	// 1 being a typical step) and returns ln q(old|new) − ln q(new|old).
	Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64
	// Render adds the source at (x, y) with params into b, scaled by sign (+1 adds, −1
	// removes). Light outside b is dropped.
	Render(b Box, x, y float64, params []float64, sign float64)
	// Radius is the half-width in pixels, around the anchor pixel (Anchor(x), Anchor(y)),
	// beyond which the source adds no light, for every value of its parameters.
	Radius() int
}

// Splittable is implemented by kinds some of whose sources are described by their flux alone
// (a Mixed kind's point sources): the sampler's splits, merges, emits and absorbs then act on
// those sources, and join only sources whose other parameters are equal. Kinds whose only
// parameter is the flux need not implement it: every one of their sources qualifies.
type Splittable interface {
	// FluxOnly reports whether the source with these parameters is described by its flux
	// alone: its other parameters are fixed values that a split's children share.
	FluxOnly(params []float64) bool
	// MinFlux is the lower end of the flux prior's support, f_min.
	MinFlux() float64
}

// SourceRadius is implemented by kinds whose sources' stamps differ in size (galaxies of
// different radii, a mixture of stars and galaxies): the sampler then sizes each proposal's
// box by the sources it changes instead of by Radius, the largest, and keeps each current
// source's stamp to remove it later, so Render must draw the same bits whenever it is given the
// same position and parameters.
type SourceRadius interface {
	// RadiusOf is the half-width, around the anchor pixel, beyond which the source with
	// these parameters adds no light; at most Radius().
	RadiusOf(params []float64) int
}

// Reflect folds u into [lo, hi] by reflecting it at the ends as often as needed: a random-walk
// step followed by Reflect is still symmetric, so Perturb needs no Hastings term for it.
func Reflect(u, lo, hi float64) float64 {
	w := hi - lo
	t := math.Mod(u-lo, 2*w)
	if t < 0 {
		t += 2 * w
	}
	if t > w {
		t = 2*w - t
	}
	return lo + t
}

// Wrap returns u modulo period in [0, period) (for angles).
func Wrap(u, period float64) float64 {
	t := math.Mod(u, period)
	if t < 0 {
		t += period
	}
	if t >= period { // −tiny + period rounds to period
		t = 0
	}
	return t
}
