// Package simulate makes synthetic crowded fields with a known truth: sources drawn from the
// same priors the sampler uses, rendered through a PSF onto a sky background, with Poisson
// photon noise and Gaussian read noise. Its defaults mimic PCAT's M2 cutout.
package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/probcat/probcat/model"
	"gonum.org/v1/gonum/stat/distuv"
)

// Config describes a synthetic field.
type Config struct {
	Width, Height int
	// Density is the mean number of sources above FluxPrior.Min per pixel; the count is
	// Poisson with mean Density × Width × Height.
	Density    float64
	FluxPrior  model.FluxPrior
	Background float64 // sky level in counts above the bias
	Gain       float64 // electrons per count
	Bias       float64 // pedestal in counts
	ReadNoise  float64 // counts
	Seed       uint64
}

// Default returns a field like PCAT's M2 r-band cutout: 100×100 pixels, 0.1 sources per pixel
// above f_min = 250 counts with slope 2, background 179, gain 4.62, bias 1044, no read noise.
func Default() Config {
	return Config{
		Width: 100, Height: 100, Density: 0.1,
		FluxPrior:  model.FluxPrior{Min: 250, Slope: 2},
		Background: 179, Gain: 4.62, Bias: 1044, Seed: 1,
	}
}

// Validate reports the first problem with the configuration.
func (c Config) Validate() error {
	switch {
	case c.Width <= 0 || c.Height <= 0:
		return fmt.Errorf("image size must be positive, got %d×%d", c.Width, c.Height)
	case c.Density < 0 || math.IsNaN(c.Density):
		return fmt.Errorf("source density must not be negative, got %g", c.Density)
	case !(c.Gain > 0):
		return fmt.Errorf("gain must be positive, got %g", c.Gain)
	case c.Background < 0:
		return fmt.Errorf("background must not be negative, got %g", c.Background)
	case c.ReadNoise < 0:
		return fmt.Errorf("read noise must not be negative, got %g", c.ReadNoise)
	}
	return c.FluxPrior.Validate()
}

// Field draws a catalogue from the priors and renders a noisy image of it with the PSF.
// Positions are uniform over the image, x ∈ [−0.5, Width−0.5), y likewise. The returned
// image carries the gain, bias, background and read noise, with PCAT's noise-from-data model.
func Field(c Config, psf model.Profile) (*model.Image, *model.Catalogue, error) {
	return FieldOf(c, &model.PointSource{PSF: psf, Flux: c.FluxPrior})
}

// FieldOf is Field for sources of any kind: each source's parameters are drawn by
// kind.SamplePrior (for a model.Mixed, its kind too) and it is rendered by kind.Render. Give
// kind the flux prior c.FluxPrior for the image to follow it.
func FieldOf(c Config, kind model.SourceKind) (*model.Image, *model.Catalogue, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	n := 0
	if mean := c.Density * float64(c.Width*c.Height); mean > 0 {
		n = int(distuv.Poisson{Lambda: mean, Src: rng}.Rand())
	}
	truth := &model.Catalogue{}
	params := make([]float64, len(kind.Params()))
	for i := 0; i < n; i++ {
		x := rng.Float64()*float64(c.Width) - 0.5
		y := rng.Float64()*float64(c.Height) - 0.5
		kind.SamplePrior(rng, params)
		truth.Append(x, y, params)
	}
	im := RenderOf(c, truth, kind, rng)
	return im, truth, nil
}

// Render draws a noisy image of a given catalogue: expected counts
// bias + background + Σ flux·PSF, Poisson photon noise in electrons and Gaussian read noise.
func Render(c Config, truth *model.Catalogue, psf model.Profile, rng *rand.Rand) *model.Image {
	return RenderOf(c, truth, &model.PointSource{PSF: psf}, rng)
}

// RenderOf is Render for sources of any kind, rendered by kind.Render with their parameters.
func RenderOf(c Config, truth *model.Catalogue, kind model.SourceKind, rng *rand.Rand) *model.Image {
	mean := make([]float32, c.Width*c.Height)
	box := model.Box{Pix: mean, Stride: c.Width, W: c.Width, H: c.Height}
	var params []float64
	for i := range truth.X {
		params = truth.Params(i, params)
		kind.Render(box, truth.X[i], truth.Y[i], params, 1)
	}
	return noisy(c, mean, rng)
}

// RenderCatalogue draws a noisy image of a given catalogue of point sources (x, y in the
// image's pixels, flux in counts) with c's size, sky, gain, bias and read noise, seeded by
// c.Seed; c's Density and FluxPrior are not used. Each source is rendered with the PSF that
// psfAt returns for its position, so a PSF that varies across the field can be evaluated
// exactly at every source rather than per cell. Sources outside the image add the light of
// their PSF that falls on it. Positions and fluxes must be finite and fluxes not negative.
func RenderCatalogue(c Config, x, y, flux []float64, psfAt func(x, y float64) (model.Profile, error)) (*model.Image, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(y) != len(x) || len(flux) != len(x) {
		return nil, fmt.Errorf("catalogue columns differ in length: %d x, %d y, %d flux", len(x), len(y), len(flux))
	}
	mean := make([]float32, c.Width*c.Height)
	box := model.Box{Pix: mean, Stride: c.Width, W: c.Width, H: c.Height}
	for i := range x {
		if !finite(x[i]) || !finite(y[i]) || !finite(flux[i]) || flux[i] < 0 {
			return nil, fmt.Errorf("source %d: position (%g, %g) and flux %g must be finite, the flux not negative", i, x[i], y[i], flux[i])
		}
		p, err := psfAt(x[i], y[i])
		if err != nil {
			return nil, fmt.Errorf("source %d at (%g, %g): %w", i, x[i], y[i], err)
		}
		p.AddTo(box, x[i], y[i], flux[i])
	}
	return noisy(c, mean, rand.New(rand.NewPCG(c.Seed, 0x5eed))), nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// noisy returns the image of c whose expected counts above bias and sky are mean: Poisson
// photon noise in electrons and Gaussian read noise, with c's cards.
func noisy(c Config, mean []float32, rng *rand.Rand) *model.Image {
	im := model.NewImage(c.Width, c.Height)
	im.Gain, im.Bias, im.Background, im.ReadNoise = c.Gain, c.Bias, c.Background, c.ReadNoise
	im.Noise, _ = model.DefaultNoise(im) // written as the NOISE card: what suits the image
	for i, m := range mean {
		e := c.Gain * math.Max(c.Background+float64(m), 0) // expected electrons
		var counts float64
		if e > 0 {
			counts = distuv.Poisson{Lambda: e, Src: rng}.Rand() / c.Gain
		}
		counts += c.ReadNoise * rng.NormFloat64()
		im.Pix[i] = float32(c.Bias + counts)
	}
	return im
}
