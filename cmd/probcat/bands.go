package main

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/survey/sdss"
)

// sdssBandsJob builds the job of a joint fit of several bands of an SDSS field: frame is the
// reference band's frame, opts its cutout. Every band is read by sdss.OpenBands (its frame
// and fpM beside frame, its PSF from the psField), and its map from the reference band's
// cutout pixels is the band map's affine fit over the cutout, moved to the cutouts' pixels.
func (f *sampleFlags) sdssBandsJob(frame string, bands []string, opts sdss.Options) (*pipeline.Job, error) {
	for _, fl := range []struct {
		name string
		v    float64
	}{{"gain", f.gain}, {"bias", f.bias}, {"background", f.background}, {"read-noise", f.readNoise}, {"zero-point", f.zp}} {
		if !math.IsNaN(fl.v) {
			return nil, fmt.Errorf("--%s is not supported with --bands: each band's comes from its frame", fl.name)
		}
	}
	if f.psfSpec != "" || f.psfOversample != 0 {
		return nil, errors.New("--psf and --psf-oversample are not supported with --bands: each band's PSF comes from the psField")
	}
	colour, err := parseColourPrior(f.colourPrior)
	if err != nil {
		return nil, err
	}
	if !(f.colourSpread >= 0) || math.IsInf(f.colourSpread, 0) {
		return nil, fmt.Errorf("--colour-spread must be a finite width of 0 or more magnitudes, got %g", f.colourSpread)
	}
	mc, err := sdss.OpenBands(frame, f.psField, bands, sdss.BandOptions{Options: opts})
	if err != nil {
		return nil, err
	}
	ref := mc.Bands[0]
	if f.out == "" {
		f.out = "sdss-" + strings.Join(bands, "") + "-" + mc.Box.String() + ".probcat"
	}
	f.psfSpec = f.psField
	job, err := f.finish(frame, ref.Image, ref.Field, 250, false, true)
	if err != nil {
		return nil, err
	}
	for k, b := range mc.Bands {
		im := b.Image
		if k > 0 {
			im.ModelError, im.ModelErrorRadius = f.modelError, f.modelErrorRadius
			if err := im.Validate(); err != nil {
				return nil, fmt.Errorf("band %s: %v", bands[k], err)
			}
			if _, err := f.chooseNoise(im, false); err != nil {
				return nil, err
			}
		}
		job.Bands = append(job.Bands, pipeline.Band{
			Name: bands[k], Image: im, PSF: b.Field, Colour: colour,
			Map: cutoutMap(b.Affine, ref.Image, im),
			Record: map[string]any{"frame": b.Frame.Path, "mask": b.MaskPath, "box": b.Box.String(),
				"affine_error_px": b.AffineError},
		})
	}
	job.Settings["bands"] = bands
	job.ColourSpread = f.colourSpread
	return job, nil
}

// cutoutMap turns an affine map between frame pixels (reference → band) into one between
// the cutouts' pixels: a reference cutout pixel (x, y) is frame pixel (x + X0, y + Y0), and
// a band frame pixel (u, v) is band cutout pixel (u − X0ᵇ, v − Y0ᵇ).
func cutoutMap(a sdss.Affine, ref, band *model.Image) model.AffineMap {
	dx, dy := float64(ref.X0)-a.X0, float64(ref.Y0)-a.Y0
	return model.AffineMap{
		X0: a.U + a.J[0][0]*dx + a.J[0][1]*dy - float64(band.X0),
		Y0: a.V + a.J[1][0]*dx + a.J[1][1]*dy - float64(band.Y0),
		J:  a.J,
	}
}

// parseColourPrior reads --colour-prior MEAN,SIGMA.
func parseColourPrior(s string) (model.Colour, error) {
	var c model.Colour
	var err error
	if c.Mean, c.Sigma, err = parsePair("colour-prior", "MEAN,SIGMA", s); err != nil ||
		math.IsNaN(c.Mean) || math.IsInf(c.Mean, 0) || !(c.Sigma > 0) || math.IsInf(c.Sigma, 0) {
		return c, fmt.Errorf("--colour-prior wants MEAN,SIGMA in magnitudes with SIGMA > 0, got %q", s)
	}
	return c, nil
}
