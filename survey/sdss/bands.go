package sdss

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ParseBands reads a list of bands written "r,i,g" (the command line's --bands): each one of
// u, g, r, i, z, none twice. The first is the reference band.
func ParseBands(s string) ([]string, error) {
	var bands []string
	for _, b := range strings.Split(s, ",") {
		bands = append(bands, strings.TrimSpace(b))
	}
	if err := checkBands(bands); err != nil {
		return nil, fmt.Errorf("bands %q: %v", s, err)
	}
	return bands, nil
}

// checkBands verifies that bands is a non-empty list of distinct SDSS bands.
func checkBands(bands []string) error {
	if len(bands) == 0 {
		return errors.New("no bands")
	}
	seen := map[string]bool{}
	for _, b := range bands {
		if _, err := bandIndex(b); err != nil {
			return err
		}
		if seen[b] {
			return fmt.Errorf("band %s is given twice", b)
		}
		seen[b] = true
	}
	return nil
}

// BandFiles are the files of one band of a field.
type BandFiles struct {
	// Band is the filter letter.
	Band string
	// Frame is the calibrated frame, frame-BAND-RUN6-CAMCOL-FIELD4.fits (.bz2 or .gz).
	Frame string
	// Mask is the fpM mask, fpM-RUN6-BANDCAMCOL-FIELD4.fit (.gz), or "" when not looked for.
	Mask string
}

// FindBands finds, in the folder of framePath (an SDSS frame named the SDSS way, of any
// band), the frame of every band of the same run, camcol and field, and with masks its fpM
// mask too. The result follows the order of bands. A file that is missing is an error that
// names it.
func FindBands(framePath string, bands []string, masks bool) ([]BandFiles, error) {
	if err := checkBands(bands); err != nil {
		return nil, fmt.Errorf("%s: %v", framePath, err)
	}
	m := frameName.FindStringSubmatch(filepath.Base(framePath))
	if m == nil {
		return nil, fmt.Errorf("%s: not named frame-BAND-RUN6-CAMCOL-FIELD4.fits, so the other bands' files cannot be found by name", framePath)
	}
	run, _ := strconv.Atoi(m[2])
	camcol, _ := strconv.Atoi(m[3])
	field, _ := strconv.Atoi(m[4])
	dirs := []string{filepath.Dir(framePath)}
	out := make([]BandFiles, len(bands))
	for i, b := range bands {
		out[i].Band = b
		base := fmt.Sprintf("frame-%s-%06d-%d-%04d", b, run, camcol, field)
		if out[i].Frame = find(dirs, base, ".fits", ".fits.bz2", ".fits.gz"); out[i].Frame == "" {
			return nil, fmt.Errorf("band %s: %s.fits[.bz2|.gz] not found in %s", b, base, dirs[0])
		}
		if !masks {
			continue
		}
		base = fmt.Sprintf("fpM-%06d-%s%d-%04d", run, b, camcol, field)
		if out[i].Mask = find(dirs, base, ".fit", ".fit.gz", ".fits", ".fits.gz"); out[i].Mask == "" {
			return nil, fmt.Errorf("band %s: mask %s.fit[.gz] not found in %s", b, base, dirs[0])
		}
	}
	return out, nil
}

// BandOptions say how OpenBands reads a multi-band cutout.
type BandOptions struct {
	// Options apply to every band. Box, Around and PSFX, PSFY are in the reference band's
	// frame pixels (the other bands get their own box and PSF position through the band
	// map); Mask must be empty, as each band's fpM is found by name (NoMask turns masking
	// off).
	Options
	// Margin is the number of pixels added on every side of the smallest box of a band's
	// pixels that covers the reference box (0 for none).
	Margin int
	// UseAsTrans maps positions through the frames' SDSS astrometric solutions (HDU3)
	// instead of their TAN WCS.
	UseAsTrans bool
}

// BandCutout is one band of a multi-band cutout.
type BandCutout struct {
	// Cutout is the band's cutout, read as Frame.Cutout reads a single band: Image (with the
	// band's X0, Y0 and WCS), Field (the band's psField KL PSF, in the cutout's pixels), Box
	// (in the band's frame pixels), Params, Variance and MaskPath.
	*Cutout
	// Map takes the reference band's frame pixels to this band's frame pixels (for the
	// reference band itself, the identity through its own astrometry).
	Map BandMap
	// Affine approximates Map over the reference box, and AffineError is its worst error in
	// this band's pixels.
	Affine      Affine
	AffineError float64
}

// MultiCutout is a cutout of several bands of one SDSS field.
type MultiCutout struct {
	// Box is the cutout in the reference band's frame pixels, where positions live.
	Box Box
	// Bands holds the bands in the order asked for, the reference band first.
	Bands []*BandCutout
}

// OpenBands reads a cutout of several bands of an SDSS field. framePath is a frame of the
// field (any band; the others' frames and fpM masks are found beside it by their SDSS names,
// see FindBands), psFieldPath its psField (which holds every band) and bands the bands, the
// first being the reference band in whose frame pixels opts.Box is given. Each other band's
// box is the cover (BandMap.Cover, with opts.Margin) of the reference box in that band's
// frame, clipped to it; each band is then read as Frame.Cutout reads one band.
//
// The files are named for one run, camcol and field; ReadFrame checks each frame's header
// (FILTER, RUN, CAMCOL and its astrometry's FIELD) against its name, and Frame.Cutout the
// psField's and fpM's headers against the frame, so that a file of another band or field is
// an error naming it.
func OpenBands(framePath, psFieldPath string, bands []string, opts BandOptions) (*MultiCutout, error) {
	if opts.Mask != "" {
		return nil, fmt.Errorf("multi-band cutout: the mask %s cannot be given, each band's fpM file is found by name", opts.Mask)
	}
	if opts.Margin < 0 {
		return nil, fmt.Errorf("multi-band cutout: margin %d must not be negative", opts.Margin)
	}
	files, err := FindBands(framePath, bands, !opts.NoMask)
	if err != nil {
		return nil, err
	}
	mc := &MultiCutout{}
	var ref *Frame
	for i, f := range files {
		fr, err := ReadFrame(f.Frame)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			ref = fr
		}
		m, err := bandMap(ref, fr, opts.UseAsTrans)
		if err != nil {
			return nil, err
		}
		o := opts.Options
		o.Mask = f.Mask
		if i > 0 {
			o.Around = nil
			if o.Box, err = m.Cover(mc.Box, opts.Margin, fr.Width, fr.Height); err != nil {
				return nil, fmt.Errorf("%s: %v", f.Frame, err)
			}
			if o.PSFAt {
				if o.PSFX, o.PSFY, err = m.Map(opts.PSFX, opts.PSFY); err != nil {
					return nil, fmt.Errorf("%s: PSF position: %v", f.Frame, err)
				}
			}
		}
		c, err := fr.Cutout(psFieldPath, o)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			mc.Box = c.Box
		}
		bc := &BandCutout{Cutout: c, Map: m}
		if bc.Affine, bc.AffineError, err = m.Affine(mc.Box); err != nil {
			return nil, fmt.Errorf("%s: %v", f.Frame, err)
		}
		mc.Bands = append(mc.Bands, bc)
	}
	return mc, nil
}

// bandMap returns the map from the reference frame's pixels to fr's, through their TAN WCS
// or, with asTrans, their HDU3 astrometric solutions.
func bandMap(ref, fr *Frame, asTrans bool) (BandMap, error) {
	if !asTrans {
		return BandMap{From: ref.WCS, To: fr.WCS}, nil
	}
	for _, f := range []*Frame{ref, fr} {
		if f.AsTrans == nil {
			return BandMap{}, fmt.Errorf("%s: no astrometric solution (HDU3) to map the bands with", f.Path)
		}
	}
	return BandMap{From: ref.AsTrans, To: fr.AsTrans}, nil
}
