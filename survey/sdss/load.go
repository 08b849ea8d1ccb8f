package sdss

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// DefaultPSFSize is the side of the PSF stamp Load cuts from the 51×51 KL reconstruction, the
// size of the PSF images PCAT and StarNet used for SDSS.
const DefaultPSFSize = 25

// DefaultPSFCell is the side in pixels of the cells over which Open reconstructs the
// spatially varying psField PSF once each: the KL PSF of the r frame of M2 changes by 0.37 %
// of its peak over 64 px, so a source is never farther than that from its cell's centre.
const DefaultPSFCell = 128

// Options says what Load reads besides the frame and psField, and which part of the frame.
type Options struct {
	// Box is the cutout in frame pixels; the zero Box means the whole frame.
	Box Box
	// Around, when set, chooses the box by sky position instead of Box (see BoxAround).
	Around *SkyBox
	// PhotoField is the photoField file that gives the gain and dark variance. When empty,
	// photoField-RUN6-CAMCOL.fits is looked for next to the frame and the psField; without
	// one, psField HDU6 gives them (the values are the same).
	PhotoField string
	// Mask is the fpM mask file. When empty, fpM-RUN6-BANDCAMCOL-FIELD4.fit(.gz) is looked
	// for next to the frame and the psField; without one, no pixel is masked.
	Mask string
	// NoMask turns masking off.
	NoMask bool
	// MaskPlanes are the fpM planes to mask (DefaultMaskPlanes when empty).
	MaskPlanes []string
	// PSFAt reconstructs the PSF at frame pixel (PSFX, PSFY) instead of the cutout's centre.
	PSFAt      bool
	PSFX, PSFY float64
	// PSFSize is the side of the PSF stamp (odd; DefaultPSFSize when 0).
	PSFSize int
	// PSFCell is the side of the cells of the PSF field (DefaultPSFCell when 0).
	PSFCell int
}

// Cutout is what Open assembles: the image, its PSF, and where everything came from.
type Cutout struct {
	// Image is the cutout in counts with the soft bias added back (see Open).
	Image *model.Image
	// PSF is the psField PSF at PSFX, PSFY.
	PSF *psf.PSF
	// Field is the psField PSF as it varies across the cutout: reconstructed at the centre
	// of every cell of Options.PSFCell pixels (the part of the cell inside the cutout), in
	// the cutout's pixel coordinates; with Options.PSFAt, PSF everywhere.
	Field *psf.Field
	// Frame is the whole frame.
	Frame *Frame
	// Box is the cutout in frame pixels.
	Box Box
	// Params holds the gain and dark variance and their source.
	Params FieldParams
	// Variance is the SDSS per-pixel variance of Image in counts², (Pix − Bias)/Gain +
	// DarkVariance, row-major.
	Variance []float32
	// MaskPath is the fpM file used ("" for none); Masked counts the masked pixels.
	MaskPath string
	Masked   int
	// PSFX, PSFY are the frame position where the PSF was reconstructed.
	PSFX, PSFY float64
}

// Load reads an SDSS frame and its psField and returns the cutout (opts.Box or opts.Around)
// as a model.Image in counts and the PSF at its centre; see Open for the details.
func Load(framePath, psFieldPath string, opts Options) (*model.Image, *psf.PSF, error) {
	c, err := Open(framePath, psFieldPath, opts)
	if err != nil {
		return nil, nil, err
	}
	return c.Image, c.PSF, nil
}

// Open reads an SDSS frame and its psField (and photoField and fpM files, given or found by
// their SDSS names) and assembles the cutout opts.Box:
//
//   - Pix = image/calib + sky + SOFTBIAS (1000 counts): the data numbers of the frame with
//     SDSS's pedestal, Bias = SOFTBIAS. (PCAT's own M2 cutout has a pedestal of 1036–1040
//     instead, and lists bias 1044; only differences from Bias matter.)
//   - Background = the median sky of the cutout in counts (the sky model is smooth: it
//     varies by 0.06 count across PCAT's M2 cutout). In a cluster core it is below the
//     level of unresolved starlight: PCAT's M2 bias + back (1044 + 179..180) sits ~38 counts
//     above SDSS's sky of 149 once the pedestals are matched.
//   - Gain from photoField (else psField HDU6); ReadNoise = √dark_variance, so that both
//     noise models include the dark variance: NoiseFromData (PCAT's choice, the default)
//     gives SDSS's per-pixel variance (Pix − Bias)/Gain + dark_variance, the same as
//     Cutout.Variance, except that pixels below the sky get the sky's variance (see
//     model.Image.InverseVariance).
//   - ZeroPoint = 22.5 − 2.5 log10(mean calib over the cutout's columns), so that
//     magnitudes are the frame's nanomaggies. calib varies by 1.2 % (0.013 mag) over the
//     frame's 2048 columns and by 0.1 % over 100 columns. It differs from the frame's NMGY
//     card (which PCAT's catalogues used) by the flat field: 0.019 mag for r in 2583-2-136.
//   - Mask: the fpM planes opts.MaskPlanes (INTERP, SATUR, CR by default).
//   - X0, Y0 = the box's origin and WCS = the frame's TAN WCS, so positions convert back to
//     the frame and the sky.
//   - PSF: the KL PSF reconstructed at the cutout's centre (or opts.PSFX, PSFY), cut to
//     opts.PSFSize pixels and built with psf.FromImage.
//
// Errors name the file and the problem.
func Open(framePath, psFieldPath string, opts Options) (*Cutout, error) {
	fr, err := ReadFrame(framePath)
	if err != nil {
		return nil, err
	}
	return fr.Cutout(psFieldPath, opts)
}

// Cutout assembles a cutout of a frame already read, as Open does; use it to cut several
// boxes from one frame.
func (fr *Frame) Cutout(psFieldPath string, opts Options) (*Cutout, error) {
	framePath := fr.Path
	b := opts.Box
	if opts.Around != nil {
		var err error
		if b, err = BoxAround(fr, opts.Around.RA, opts.Around.Dec, opts.Around.W, opts.Around.H); err != nil {
			return nil, err
		}
	}
	if b == (Box{}) {
		b = Box{0, 0, fr.Width, fr.Height}
	}
	counts, err := fr.CountsIn(b)
	if err != nil {
		return nil, err
	}
	c := &Cutout{Frame: fr, Box: b}

	dirs := []string{filepath.Dir(framePath), filepath.Dir(psFieldPath)}
	photoField := opts.PhotoField
	if photoField == "" && fr.Field > 0 {
		photoField = find(dirs, fmt.Sprintf("photoField-%06d-%d", fr.Run, fr.Camcol), ".fits", ".fits.gz", ".fit", ".fit.gz")
	}
	if photoField != "" {
		if fr.Field <= 0 {
			return nil, fmt.Errorf("%s: the field number is unknown (the file is not named frame-BAND-RUN6-CAMCOL-FIELD4.fits), so %s cannot be used", framePath, photoField)
		}
		c.Params, err = ReadPhotoFieldParams(photoField, fr.Field, fr.Band)
	} else {
		c.Params, err = ReadPsFieldParams(psFieldPath, fr.Band)
	}
	if err != nil {
		return nil, err
	}

	im := model.NewImage(b.W, b.H)
	im.Bias = fr.SoftBias
	for i, v := range counts {
		im.Pix[i] = float32(float64(v) + fr.SoftBias)
	}
	im.Gain = c.Params.Gain
	im.ReadNoise = math.Sqrt(c.Params.DarkVariance)
	im.Noise = model.NoiseFromData
	if im.Background, err = fr.MedianSky(b); err != nil {
		return nil, err
	}
	calib, err := fr.MeanCalib(b)
	if err != nil {
		return nil, err
	}
	im.ZeroPoint, im.HasZeroPoint = 22.5-2.5*math.Log10(calib), true
	im.X0, im.Y0 = b.X0, b.Y0
	im.WCS = fr.WCS
	c.Variance = make([]float32, len(counts))
	for i, v := range counts {
		c.Variance[i] = float32(float64(v)/im.Gain + c.Params.DarkVariance)
	}

	if !opts.NoMask {
		c.MaskPath = opts.Mask
		if c.MaskPath == "" && fr.Field > 0 {
			c.MaskPath = find(dirs, fmt.Sprintf("fpM-%06d-%s%d-%04d", fr.Run, fr.Band, fr.Camcol, fr.Field), ".fit", ".fit.gz", ".fits", ".fits.gz")
		}
		if c.MaskPath != "" {
			if err := fr.sameField(c.MaskPath); err != nil {
				return nil, err
			}
			m, err := ReadMask(c.MaskPath)
			if err != nil {
				return nil, err
			}
			if m.Width != fr.Width || m.Height != fr.Height {
				return nil, fmt.Errorf("%s: mask is %d×%d but frame %s is %d×%d", c.MaskPath, m.Width, m.Height, framePath, fr.Width, fr.Height)
			}
			mask, err := m.In(b, opts.MaskPlanes...)
			if err != nil {
				return nil, err
			}
			for _, v := range mask {
				if v {
					c.Masked++
				}
			}
			if c.Masked > 0 {
				im.Mask = mask
			}
		}
	}
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("%s: cutout %v: %v", framePath, b, err)
	}
	c.Image = im

	if err := fr.sameField(psFieldPath); err != nil {
		return nil, err
	}
	klpsf, err := ReadKLPSF(psFieldPath, fr.Band)
	if err != nil {
		return nil, err
	}
	c.PSFX, c.PSFY = b.Centre()
	if opts.PSFAt {
		c.PSFX, c.PSFY = opts.PSFX, opts.PSFY
	}
	size := opts.PSFSize
	if size == 0 {
		size = DefaultPSFSize
	}
	if c.PSF, err = klpsf.PSF(c.PSFX, c.PSFY, size); err != nil {
		return nil, fmt.Errorf("%s: %v", psFieldPath, err)
	}
	if opts.PSFAt {
		c.Field = psf.Uniform(c.PSF)
		return c, nil
	}
	if c.Field, err = klpsf.Field(b, opts.PSFCell, size); err != nil {
		return nil, fmt.Errorf("%s: %v", psFieldPath, err)
	}
	return c, nil
}

// sameField checks that the RUN, CAMCOL and FIELD cards of the primary header of a psField
// or fpM file, when present, name the frame's field.
func (fr *Frame) sameField(path string) error {
	h, err := fits.ReadHeader(path, 0)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		key  string
		want int
	}{{"RUN", fr.Run}, {"CAMCOL", fr.Camcol}, {"FIELD", fr.Field}} {
		if c.want <= 0 || !h.Has(c.key) {
			continue
		}
		if v, err := h.Int(c.key); err == nil && int(v) != c.want {
			return fmt.Errorf("%s has %s = %d but frame %s has %d: the files belong to different fields", path, c.key, v, fr.Path, c.want)
		}
	}
	return nil
}

// find returns the first existing file dir/base+ext, trying each dir and then each ext, or "".
func find(dirs []string, base string, exts ...string) string {
	for _, d := range dirs {
		for _, e := range exts {
			p := filepath.Join(d, base+e)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// SkyBox is a cutout by sky position: W×H pixels centred on RA, Dec (degrees).
type SkyBox struct {
	RA, Dec float64
	W, H    int
}

// ParseSkyBox reads a cutout by sky position written "RA,DEC,W,H" (degrees, then pixels).
func ParseSkyBox(s string) (SkyBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return SkyBox{}, fmt.Errorf("sky cutout %q: want RA,DEC,W,H", s)
	}
	var deg [2]float64
	for i, p := range parts[:2] {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return SkyBox{}, fmt.Errorf("sky cutout %q: %q is not a number of degrees", s, p)
		}
		deg[i] = v
	}
	var size [2]int
	for i, p := range parts[2:] {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 {
			return SkyBox{}, fmt.Errorf("sky cutout %q: size %q must be a positive integer", s, p)
		}
		size[i] = v
	}
	sb := SkyBox{RA: deg[0], Dec: deg[1], W: size[0], H: size[1]}
	if sb.Dec < -90 || sb.Dec > 90 {
		return SkyBox{}, fmt.Errorf("sky cutout %q: Dec %g is not in −90..90", s, sb.Dec)
	}
	return sb, nil
}

// BoxAround returns the w×h box of frame pixels centred as nearly as possible on RA, Dec
// (degrees), for a cutout by sky position. It fails when the box does not fit in the frame.
func BoxAround(f *Frame, ra, dec float64, w, h int) (Box, error) {
	if w <= 0 || h <= 0 {
		return Box{}, fmt.Errorf("%s: cutout size %d×%d must be positive", f.Path, w, h)
	}
	x, y, err := f.WCS.SkyToPixel(ra, dec)
	if err != nil {
		return Box{}, fmt.Errorf("%s: RA %g, Dec %g: %v", f.Path, ra, dec, err)
	}
	b := Box{
		X0: int(math.Round(x - float64(w-1)/2)),
		Y0: int(math.Round(y - float64(h-1)/2)),
		W:  w, H: h,
	}
	if err := f.check(b); err != nil {
		return Box{}, fmt.Errorf("RA %g, Dec %g (pixel %.1f, %.1f): %w", ra, dec, x, y, err)
	}
	return b, nil
}
