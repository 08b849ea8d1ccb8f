package model

import (
	"errors"
	"fmt"
	"math"
)

// NoiseModel says how the per-pixel variance of an image is obtained.
type NoiseModel int

const (
	// NoiseFromData is PCAT's choice: σ² = (data − bias)/gain + readNoise², fixed for the
	// whole run (PCAT has no read-noise term: its images have ReadNoise 0), with data − bias
	// taken no lower than the sky (see Image.InverseVariance).
	NoiseFromData NoiseModel = iota
	// NoiseFromModel uses the expected counts instead of the observed ones:
	// σ² = max(background + model, 0)/gain + readNoise², where model is the source model.
	NoiseFromModel
	// NoiseFromMap takes each pixel's variance from Image.VarMap, fixed for the whole run, as
	// an HST ERR (σ) or WHT (inverse variance) extension gives it: it already holds the
	// Poisson noise of the sky and sources as observed, the read noise and the dark current,
	// so gain and read noise do not enter it. A pixel whose map variance is not positive and
	// finite gets weight 0.
	NoiseFromMap
)

// String returns the name used on the command line and in FITS headers ("data", "model" or
// "map").
func (n NoiseModel) String() string {
	switch n {
	case NoiseFromData:
		return "data"
	case NoiseFromModel:
		return "model"
	case NoiseFromMap:
		return "map"
	}
	return fmt.Sprintf("NoiseModel(%d)", int(n))
}

// ParseNoiseModel is the inverse of NoiseModel.String.
func ParseNoiseModel(s string) (NoiseModel, error) {
	switch s {
	case "data":
		return NoiseFromData, nil
	case "model":
		return NoiseFromModel, nil
	case "map":
		return NoiseFromMap, nil
	}
	return 0, fmt.Errorf("unknown noise model %q (want data, model or map)", s)
}

// Image is one exposure (or a cutout of one) in counts, with what is needed to write down a
// Gaussian likelihood for it.
type Image struct {
	Width, Height int
	// Pix holds the data in counts, bias and background included, row-major.
	Pix []float32
	// Mask marks bad pixels (true = ignore). It is nil when every pixel is good.
	Mask []bool
	// Gain is the number of electrons per count.
	Gain float64
	// Bias is the additive pedestal in counts (SDSS SOFTBIAS plus any offset).
	Bias float64
	// Background is the sky level in counts above the bias: the model is
	// Bias + Background + Σ sources.
	Background float64
	// ReadNoise is the read noise in counts (SDSS: √dark_variance).
	ReadNoise float64
	// ModelError is a fractional model error ε added to every pixel's variance,
	// σ² += (ε·s)², as DAOPHOT and crowdsource do, so that the per cent by which a PSF model
	// misses a bright star's core need not look like extra sources. s is the pixel's signal
	// above the sky taken from the data, max(0, data − bias − Background), rather than from
	// the model, so that the weights do not change while a chain runs; 0 turns it off.
	ModelError float64
	// ModelErrorRadius widens s to the largest signal above the sky in the data within this
	// many pixels (a square of side 2R+1): every pixel near a bright core gets σ ≥ ε times
	// the core's peak. A PSF shared by all stars misses bright stars by about 1 % of their
	// peak out to 2–3 px (experiments/bright-stars/psf-study), not in proportion to each
	// pixel's own signal; 0 keeps s the pixel's own.
	ModelErrorRadius int
	// Noise selects how the inverse variance is computed.
	Noise NoiseModel
	// VarMap is each pixel's variance in counts², row-major, used by NoiseFromMap (nil when
	// the image came without one). Cutouts and tiles must cut it with the pixels.
	VarMap []float32
	// ZeroPoint gives magnitudes, mag = ZeroPoint − 2.5 log10(flux); valid when HasZeroPoint.
	ZeroPoint    float64
	HasZeroPoint bool
	// X0, Y0 are the position of pixel (0, 0) in the parent frame, so that a cutout's sources
	// can be reported in the full frame's coordinates (x_frame = x + X0).
	X0, Y0 int
	// WCS maps parent-frame pixels to sky; nil when unknown.
	WCS SkyProjection
}

// SkyProjection maps 0-based pixel coordinates of the parent frame to RA/Dec in degrees and
// back. The wcs package provides one for TAN (with SIP) headers.
type SkyProjection interface {
	PixelToSky(x, y float64) (ra, dec float64)
	SkyToPixel(ra, dec float64) (x, y float64, err error)
}

// NewImage returns a w×h image with zeroed pixels, no mask, gain 1 and no zero point.
func NewImage(w, h int) *Image {
	return &Image{Width: w, Height: h, Pix: make([]float32, w*h), Gain: 1}
}

// Validate checks the image for problems that would make a likelihood meaningless.
func (im *Image) Validate() error {
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("image has size %d×%d", im.Width, im.Height)
	}
	if len(im.Pix) != im.Width*im.Height {
		return fmt.Errorf("image has %d pixels, want %d×%d", len(im.Pix), im.Width, im.Height)
	}
	if im.Mask != nil && len(im.Mask) != len(im.Pix) {
		return errors.New("mask size differs from image size")
	}
	if im.VarMap != nil && len(im.VarMap) != len(im.Pix) {
		return fmt.Errorf("variance map has %d pixels, want %d×%d", len(im.VarMap), im.Width, im.Height)
	}
	if im.Noise == NoiseFromMap && im.VarMap == nil {
		return errors.New("noise model map needs a per-pixel variance map (an ERR or WHT extension), and the image has none")
	}
	if !(im.Gain > 0) || math.IsInf(im.Gain, 0) {
		return fmt.Errorf("gain must be positive, got %g", im.Gain)
	}
	if im.ReadNoise < 0 {
		return fmt.Errorf("read noise must not be negative, got %g", im.ReadNoise)
	}
	if !(im.ModelError >= 0) || im.ModelError > 1 {
		return fmt.Errorf("model error must lie in [0, 1], got %g", im.ModelError)
	}
	if im.ModelErrorRadius < 0 || im.ModelErrorRadius > 50 {
		return fmt.Errorf("model error radius must lie in [0, 50] pixels, got %d", im.ModelErrorRadius)
	}
	good := 0
	for i, v := range im.Pix {
		if im.Mask != nil && im.Mask[i] {
			continue
		}
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			good++
		}
	}
	if good == 0 {
		return errors.New("image has no finite unmasked pixel")
	}
	return nil
}

// InverseVariance returns the per-pixel weight 1/σ² under the image's noise model; masked and
// non-finite pixels get weight 0. For NoiseFromModel, model is the current source model in
// counts above the background (nil means no sources); it is ignored for NoiseFromData and
// NoiseFromMap (whose pixels without a positive, finite map variance get weight 0).
//
// NoiseFromData estimates a pixel's expected counts above the bias by its data, but never
// below the sky: σ² = max(d − bias, max(Background, 0))/gain + readNoise², since sources only
// add light. A pixel that fluctuates below the sky thus gets the sky's weight, not more (with
// a floor at 0 alone, the negative half of a zero-sky image would get up to readNoise²/1 e⁻
// times the weight of the positive half, and faint positive noise would turn into sources).
// Every variance goes through Variance.
func (im *Image) InverseVariance(model []float32) []float32 {
	w := make([]float32, len(im.Pix))
	sky := math.Max(im.Background, 0)
	for i, d := range im.Pix {
		if (im.Mask != nil && im.Mask[i]) || math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
			continue
		}
		if im.Noise == NoiseFromMap && !(im.VarMap[i] > 0 && !math.IsInf(float64(im.VarMap[i]), 0)) {
			continue
		}
		var m float64
		switch im.Noise {
		case NoiseFromModel:
			m = im.Background
			if model != nil {
				m += float64(model[i])
			}
		default:
			m = math.Max(float64(d)-im.Bias, sky)
		}
		w[i] = float32(1 / im.Variance(i, m))
	}
	return w
}

// Variance returns the variance in counts² of pixel i when its expected counts above the
// bias are m: PixelVariance(m), or VarMap[i] for NoiseFromMap (m is then ignored), plus the
// model error (ModelError·s)² with s the signal above the sky in the data (the pixel's own, or
// the largest within ModelErrorRadius).
func (im *Image) Variance(i int, m float64) float64 {
	var v float64
	if im.Noise == NoiseFromMap {
		v = float64(im.VarMap[i])
	} else {
		v = im.PixelVariance(m)
	}
	if im.ModelError > 0 {
		s := im.ModelError * im.localSignal(i)
		v += s * s
	}
	return v
}

// localSignal returns the largest signal above the sky in the data, max(0, d − bias −
// Background), over the unmasked finite pixels within ModelErrorRadius of pixel i.
func (im *Image) localSignal(i int) float64 {
	r := im.ModelErrorRadius
	x, y := i%im.Width, i/im.Width
	s := 0.0
	for yy := max(y-r, 0); yy <= min(y+r, im.Height-1); yy++ {
		for xx := max(x-r, 0); xx <= min(x+r, im.Width-1); xx++ {
			j := yy*im.Width + xx
			if im.Mask != nil && im.Mask[j] {
				continue
			}
			if d := float64(im.Pix[j]); d-im.Bias-im.Background > s && !math.IsInf(d, 0) {
				s = d - im.Bias - im.Background
			}
		}
	}
	return s
}

// PixelVariance returns the variance in counts² of a pixel whose expected counts above the
// bias are m: max(m, 0)/gain + readNoise² (the Poisson term never goes below zero), floored
// at one electron's 1/gain so that no pixel gets an infinite weight.
func (im *Image) PixelVariance(m float64) float64 {
	return math.Max(math.Max(m, 0)/im.Gain+im.ReadNoise*im.ReadNoise, 1/im.Gain)
}

// VarianceModel is Image.Variance with the image's constants taken once, for loops that
// evaluate it for every pixel of every proposal (the sampler's exact model-noise likelihood):
// For noise from the data or from the model (not NoiseFromMap, whose VarMap it ignores),
// At(i, m) equals Variance(i, m), and Slope(m) is its derivative in m.
type VarianceModel struct {
	invGain, rn2, floor float64
	extra               []float64 // the model-error term of each pixel, nil without one
}

// VarianceModel returns the image's VarianceModel.
func (im *Image) VarianceModel() VarianceModel {
	v := VarianceModel{invGain: 1 / im.Gain, rn2: im.ReadNoise * im.ReadNoise, floor: 1 / im.Gain}
	if im.ModelError > 0 {
		v.extra = make([]float64, len(im.Pix))
		for i := range v.extra {
			v.extra[i] = im.Variance(i, 0) - im.PixelVariance(0)
		}
	}
	return v
}

// At returns the variance of pixel i when its expected counts above the bias are m.
func (v *VarianceModel) At(i int, m float64) float64 {
	if m < 0 {
		m = 0
	}
	s := m*v.invGain + v.rn2
	if s < v.floor {
		s = v.floor
	}
	if v.extra != nil {
		s += v.extra[i]
	}
	return s
}

// Slope returns the derivative of At in m: 1/gain where the Poisson term counts (m > 0, above
// the one-electron floor), 0 elsewhere.
func (v *VarianceModel) Slope(m float64) float64 {
	if m > 0 && m*v.invGain+v.rn2 > v.floor {
		return v.invGain
	}
	return 0
}

// Magnitude converts a flux to a magnitude with the image's zero point. It returns NaN when
// no zero point is known or the flux is not positive.
func (im *Image) Magnitude(flux float64) float64 {
	if !im.HasZeroPoint || flux <= 0 {
		return math.NaN()
	}
	return im.ZeroPoint - 2.5*math.Log10(flux)
}

// Sky returns RA and Dec in degrees of cutout pixel (x, y); ok is false without a WCS.
func (im *Image) Sky(x, y float64) (ra, dec float64, ok bool) {
	if im.WCS == nil {
		return math.NaN(), math.NaN(), false
	}
	ra, dec = im.WCS.PixelToSky(x+float64(im.X0), y+float64(im.Y0))
	return ra, dec, true
}
