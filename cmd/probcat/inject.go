package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/simulate"
	"github.com/probcat/probcat/survey"
	"github.com/probcat/probcat/survey/hst"
	"github.com/probcat/probcat/survey/sdss"
)

func init() {
	register(&command{
		name: "inject",
		summary: `Add artificial stars to an image, for completeness tests.
Draws N stars with positions uniform over the image's pixels (or over --cutout) and magnitudes
uniform in --mag-range, renders them with --psf, adds their Poisson photon noise (in
electrons, through the gain) and writes DIR/image.fits: a byte-for-byte copy of IMAGE with
only the science array changed (for an HST file the SCI extension, with ERR or WHT updated by
the stars' noise; for any other FITS image the image probcat sample reads), and
DIR/injected.parquet: x, y (0-based, in the image's pixel frame), flux (counts, as probcat
sample reports them: for HST rates, counts over EXPTIME), mag (the image's zero point: HST AB
by default, see --mag-system) and ra, dec when the image has a WCS; DIR/inject.json records
the settings. The same seed gives the same files. Sample DIR/image.fits, then score with
probcat score DIR_RUN/catalogue.parquet --truth DIR/injected.parquet --zero-point ZP.`,
		usage: "IMAGE --psf PSF --stars N --mag-range BRIGHT,FAINT --out DIR [flags]",
		run:   runInject,
	})
}

func runInject(fs *flag.FlagSet, args []string, out io.Writer) error {
	var h hstFlags
	h.register(fs)
	psfSpec := fs.String("psf", "", "PSF of the stars: a file (PCAT .txt, FITS) or a spec such as gaussian:fwhm=2.2 (required)")
	n := fs.Int("stars", 0, "number of stars to add (required)")
	magRange := fs.String("mag-range", "", "BRIGHT,FAINT: magnitudes drawn uniformly between them (required)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same stars and noise")
	outDir := fs.String("out", "", "output folder (required)")
	cutout := fs.String("cutout", "", "X0,Y0,W,H: draw positions in this box of the image's pixels only (default: the whole image)")
	gain := fs.Float64("gain", math.NaN(), "electrons per count for the photon noise (default: from the header)")
	zp := fs.Float64("zero-point", math.NaN(), "magnitude zero point, mag = zp − 2.5 log10(counts) (default: from the header)")
	noise := fs.Bool("photon-noise", true, "add the stars' Poisson noise")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	imagePath := fs.Arg(0)
	switch {
	case *psfSpec == "":
		return fmt.Errorf("--psf PSF is required")
	case *outDir == "":
		return fmt.Errorf("--out DIR is required")
	case *n < 1:
		return fmt.Errorf("--stars must be at least 1, got %d", *n)
	}
	bright, faint, err := parsePair("mag-range", "BRIGHT,FAINT", *magRange)
	if err == nil && bright > faint {
		err = fmt.Errorf("--mag-range wants BRIGHT,FAINT with BRIGHT ≤ FAINT, got %q", *magRange)
	}
	if err != nil {
		return err
	}
	p, err := psf.Parse(*psfSpec)
	if err != nil {
		return err
	}
	f, err := fits.Open(imagePath)
	if err != nil {
		return err
	}
	t, err := injectTarget(f, &h)
	if err != nil {
		return err
	}
	im := t.im
	if !math.IsNaN(*gain) {
		im.Gain = *gain
	}
	if !math.IsNaN(*zp) {
		im.ZeroPoint, im.HasZeroPoint = *zp, true
	}
	if *noise && !(im.Gain > 0) {
		return fmt.Errorf("%s: no gain known for the photon noise; give --gain (or --photon-noise=false)", imagePath)
	}
	if !im.HasZeroPoint {
		return fmt.Errorf("%s: no zero point known for the magnitudes; give --zero-point", imagePath)
	}
	c := simulate.InjectConfig{N: *n, W: im.Width, H: im.Height, Bright: bright, Faint: faint,
		ZeroPoint: im.ZeroPoint, Seed: *seed, PhotonNoise: *noise, Gain: im.Gain, ImageW: im.Width, ImageH: im.Height}
	if *cutout != "" {
		b, err := sdss.ParseBox(*cutout)
		if err != nil {
			return fmt.Errorf("--cutout: %v", err)
		}
		c.X0, c.Y0, c.W, c.H = b.X0, b.Y0, b.W, b.H
	}
	inj, counts, expected, err := simulate.Inject(c, p)
	if err != nil {
		return fmt.Errorf("%s: %v", imagePath, err)
	}

	// The science array (and its noise) in the file's units.
	repl := map[int][]float32{}
	sci := t.pix
	for i, v := range counts {
		sci[i] += float32(float64(v) / t.scale)
	}
	repl[t.sci] = sci
	if t.noise >= 0 {
		nimg, err := f.Image(t.noise)
		if err != nil {
			return err
		}
		for i, m := range expected {
			add := math.Max(float64(m), 0) / im.Gain / (t.scale * t.scale) // the stars' variance
			if add == 0 || !*noise {
				continue
			}
			v := float64(nimg.Pix[i])
			if t.noiseIsWHT {
				if v > 0 {
					nimg.Pix[i] = float32(1 / (1/v + add))
				}
			} else {
				nimg.Pix[i] = float32(math.Sqrt(v*v + add))
			}
		}
		repl[t.noise] = nimg.Pix
	}
	data, err := f.WithImageData(repl)
	if err != nil {
		return err
	}

	// Outputs: built in a temporary folder beside DIR, then moved in.
	for i := range inj.X {
		inj.X[i] += float64(im.X0)
		inj.Y[i] += float64(im.Y0)
	}
	d := catalogue.Derived{Magnitude: im.Magnitude}
	if im.WCS != nil {
		d.Sky = func(x, y float64) (float64, float64) { return im.WCS.PixelToSky(x, y) }
	}
	settings := map[string]any{"image": imagePath, "psf": *psfSpec, "stars": *n, "mag_range": [2]float64{bright, faint},
		"seed": *seed, "box": [4]int{c.X0, c.Y0, c.W, c.H}, "zero_point": im.ZeroPoint, "gain": im.Gain,
		"photon_noise": *noise, "frame_offset": [2]int{im.X0, im.Y0}, "args": os.Args[1:]}
	if h.info != nil {
		settings["hst"] = h.info
		settings["mag_system"] = h.info.MagSystem
	}
	js, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(*outDir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".inject-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := atomicfile.WriteBytes(filepath.Join(tmp, "image.fits"), data); err != nil {
		return err
	}
	if err := catalogue.WriteCatalogueParquet(filepath.Join(tmp, "injected.parquet"), inj.X, inj.Y, inj.Flux, d); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(tmp, "inject.json"), append(js, '\n')); err != nil {
		return err
	}
	if err := moveInto(tmp, *outDir, "image.fits", "injected.parquet", "inject.json"); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d stars of magnitude %g–%g (zero point %.4f) added to %s; wrote %s\n", *n, bright, faint, im.ZeroPoint, imagePath, *outDir)
	return nil
}

// target is where inject adds its stars: the image as probcat reads it (for the gain,
// zero point, WCS and frame offset), the HDU holding its pixels in the file's units with the
// factor from counts to those units, and the HDU of its noise (-1: none).
type target struct {
	im         *model.Image
	sci        int
	pix        []float32 // the science HDU's pixels in the file's units
	scale      float64   // counts per file unit (EXPTIME for HST rates, else 1)
	noise      int
	noiseIsWHT bool
}

func injectTarget(f *fits.File, h *hstFlags) (*target, error) {
	t := &target{scale: 1, noise: -1}
	if hst.IsHST(f) {
		opt, err := h.options()
		if err != nil {
			return nil, err
		}
		im, info, err := hst.FromFile(f, opt)
		if err != nil {
			return nil, err
		}
		t.im, h.info = im, info
		if info.Rate {
			t.scale = info.ExpTime
		}
		t.sci, _ = hst.Extension(f, "SCI", info.Chip)
		if i, ok := hst.Extension(f, "ERR", info.Chip); ok {
			t.noise = i
		} else if i, ok := hst.Extension(f, "WHT", info.Chip); ok && h.wht != "ignore" {
			t.noise, t.noiseIsWHT = i, true
		}
	} else {
		if err := h.refuseFor(f.Path); err != nil {
			return nil, err
		}
		im, _, err := survey.FromFile(f)
		if err != nil {
			return nil, err
		}
		t.im = im
		if t.sci, err = survey.ImageHDU(f); err != nil {
			return nil, err
		}
	}
	img, err := f.Image(t.sci)
	if err != nil {
		return nil, err
	}
	t.pix = img.Pix
	return t, nil
}

// moveInto renames the named files from src into dir (created if absent), replacing files of
// the same names.
func moveInto(src, dir string, names ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		if err := os.Rename(filepath.Join(src, n), filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}
