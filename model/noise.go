package model

import "fmt"

// DefaultNoise returns the noise model that suits im when nobody chose one, and why: model
// noise (σ² from the expected counts) when the read noise is known (ReadNoise > 0) and the
// sky is low, that is when its Poisson variance max(Background, 0)/Gain is below the read
// noise's variance ReadNoise²; data noise (PCAT's σ² from the observed counts) otherwise.
//
// On a read-noise dominated image the data say little about the Poisson term, and what they
// say is biased: a pixel that fluctuates down gets more weight than one that fluctuates up,
// so positive noise is fitted with sources (on a zero-sky image with read noise 10, data
// noise found twice the sources model noise did). Model noise needs the read noise, which is
// why an image without one (PCAT's text images, FITS images without RDNOISE) keeps data
// noise; on sky-dominated images (SDSS, HST's broad bands, probcat simulate's default) the
// two agree to a few per cent and data noise, PCAT's choice, stays the default.
//
// An image that came with a per-pixel variance map (an HST ERR or WHT extension) gets map
// noise: the map knows about dark current, flat-field and drizzle weights that gain and read
// noise cannot describe.
func DefaultNoise(im *Image) (NoiseModel, string) {
	if im.VarMap != nil {
		return NoiseFromMap, "the image came with a per-pixel variance map (ERR or WHT extension)"
	}
	sky := max(im.Background, 0) / im.Gain
	rn2 := im.ReadNoise * im.ReadNoise
	if im.ReadNoise > 0 && sky < rn2 {
		return NoiseFromModel, fmt.Sprintf("read-noise dominated: sky variance background/gain = %.4g < read noise² = %.4g counts²", sky, rn2)
	}
	if im.ReadNoise > 0 {
		return NoiseFromData, fmt.Sprintf("sky dominated: sky variance background/gain = %.4g ≥ read noise² = %.4g counts²", sky, rn2)
	}
	return NoiseFromData, "no read noise known (model noise needs one)"
}
