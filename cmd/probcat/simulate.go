package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/simulate"
	"github.com/probcat/probcat/survey"
)

func init() {
	register(&command{
		name: "simulate",
		summary: `Simulate a crowded field with a known truth.
Writes DIR/image.fits (counts, with the GAIN, BIAS, BKG and NOISE cards that probcat sample
reads), DIR/psf.fits, and the true catalogue as DIR/truth.fits and DIR/truth.parquet
(columns x, y, flux; with --galaxies also kind, 0 for a star and 1 for an exponential
galaxy, and the galaxies' r_e, q, phi). Defaults mimic PCAT's M2 cutout.`,
		usage: "--out DIR [flags]",
		run:   runSimulate,
	})
}

func runSimulate(fs *flag.FlagSet, args []string, out io.Writer) error {
	d := simulate.Default()
	outDir := fs.String("out", "", "output folder (required)")
	fs.IntVar(&d.Width, "width", d.Width, "image width in pixels")
	fs.IntVar(&d.Height, "height", d.Height, "image height in pixels")
	fs.Float64Var(&d.Density, "density", d.Density, "mean sources per pixel above --fmin")
	fs.Float64Var(&d.FluxPrior.Min, "fmin", d.FluxPrior.Min, "flux prior minimum f_min, counts")
	fs.Float64Var(&d.FluxPrior.Slope, "slope", d.FluxPrior.Slope, "flux prior power-law slope α (p(f) ∝ f^-α)")
	psfSpec := fs.String("psf", "gaussian:fwhm=2.2", "PSF: a file (PCAT .txt or FITS) or a spec such as gaussian:fwhm=2.2, moffat:fwhm=2.5,beta=3")
	fs.Float64Var(&d.Background, "background", d.Background, "sky background above the bias, counts")
	fs.Float64Var(&d.Gain, "gain", d.Gain, "gain, electrons per count")
	fs.Float64Var(&d.Bias, "bias", d.Bias, "bias pedestal, counts")
	fs.Float64Var(&d.ReadNoise, "read-noise", d.ReadNoise, "read noise, counts")
	galFrac := fs.Float64("galaxies", 0, "fraction of the sources that are exponential galaxies (the rest are stars)")
	galRe := fs.String("galaxy-re", "1,4", "with --galaxies: MIN,MAX of the galaxies' half-light radii (log-uniform), pixels")
	zp := fs.Float64("zero-point", 0, "magnitude zero point to record (mag = zp - 2.5 log10 counts); 0 records none")
	fs.Uint64Var(&d.Seed, "seed", d.Seed, "random seed")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *outDir == "" {
		return fmt.Errorf("--out DIR is required")
	}
	p, err := psf.Parse(*psfSpec)
	if err != nil {
		return err
	}
	var kind model.SourceKind = &model.PointSource{PSF: p, Flux: d.FluxPrior}
	if *galFrac != 0 {
		if kind, err = simulatedGalaxies(p, d.FluxPrior, *galFrac, *galRe); err != nil {
			return err
		}
	}
	im, truth, err := simulate.FieldOf(d, kind)
	if err != nil {
		return err
	}
	if *zp != 0 {
		im.ZeroPoint, im.HasZeroPoint = *zp, true
	}
	if err := writeSimulation(*outDir, im, truth, kind, p, d); err != nil {
		return err
	}
	fmt.Fprintf(out, "simulated %d×%d field with %d sources above f_min=%g into %s\n", d.Width, d.Height, truth.Len(), d.FluxPrior.Min, *outDir)
	return nil
}

// simulatedGalaxies returns the kind of a simulation with a fraction frac of exponential
// galaxies (kinds' "galaxy") of half-light radii re ("MIN,MAX", pixels) beside stars.
func simulatedGalaxies(p *psf.PSF, flux model.FluxPrior, frac float64, re string) (model.SourceKind, error) {
	if !(frac > 0 && frac <= 1) {
		return nil, fmt.Errorf("--galaxies must lie in (0, 1], got %g", frac)
	}
	lo, hi, err := parseRadii(re)
	if err != nil {
		return nil, err
	}
	// a fraction of 1 still keeps the star kind, at a weight too small to draw
	spec := pipeline.KindSpec{Names: []string{"star", "galaxy"}, Weights: []float64{max(1-frac, 1e-300), frac}, ReMin: lo, ReMax: hi}
	return spec.Kind(psf.Uniform(p), flux)
}

// parseRadii reads --galaxy-re, MIN,MAX with 0 < MIN < MAX < ∞.
func parseRadii(s string) (lo, hi float64, err error) {
	if lo, hi, err = parsePair("galaxy-re", "MIN,MAX", s); err == nil && !(lo > 0 && hi > lo && !math.IsInf(hi, 0)) {
		err = fmt.Errorf("--galaxy-re must be MIN,MAX with 0 < MIN < MAX, got %q", s)
	}
	return lo, hi, err
}

// parsePair reads the value s of flag name as two comma-separated numbers (form names them
// for the message), nothing else.
func parsePair(name, form, s string) (a, b float64, err error) {
	parts := strings.Split(s, ",")
	var err1, err2 error
	if len(parts) == 2 {
		a, err1 = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
		b, err2 = strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
	}
	if len(parts) != 2 || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("--%s wants %s, got %q", name, form, s)
	}
	return a, b, nil
}

// writeSimulation writes the four output files, removing any it wrote if a later one fails.
func writeSimulation(dir string, im *model.Image, truth *model.Catalogue, kind model.SourceKind, p *psf.PSF, d simulate.Config) (err error) {
	created, err := makeOutDir(dir)
	if err != nil {
		return err
	}
	var written []string
	defer func() {
		if err != nil {
			for _, f := range written {
				os.Remove(f)
			}
			if created {
				os.Remove(dir)
			}
		}
	}()
	extra := fits.NewHeader()
	extra.Set("SIMSEED", int64(d.Seed), "probcat simulate seed")
	extra.Set("SIMDENS", d.Density, "sources per pixel above FMIN")
	extra.Set("FMIN", d.FluxPrior.Min, "flux prior minimum, counts")
	extra.Set("FSLOPE", d.FluxPrior.Slope, "flux prior power-law slope")
	extra.Set("NTRUE", int64(truth.Len()), "number of true sources")
	ts, dv := pipeline.CatalogueSample(truth, kind), derived(im)
	dv.Kinds = pipeline.KindsOf(kind)
	steps := []struct {
		name  string
		write func(string) error
	}{
		{"image.fits", func(f string) error { return survey.WriteFITS(f, im, extra) }},
		{"psf.fits", p.WriteFITS},
		{"truth.fits", func(f string) error { return catalogue.WriteSampleFITS(f, ts, dv) }},
		{"truth.parquet", func(f string) error { return catalogue.WriteSampleParquet(f, ts, dv) }},
	}
	for _, s := range steps {
		f := filepath.Join(dir, s.name)
		if err = s.write(f); err != nil {
			return err
		}
		written = append(written, f)
	}
	return nil
}

// makeOutDir creates the output folder if needed and reports whether it did.
func makeOutDir(dir string) (bool, error) {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return false, fmt.Errorf("%s exists and is not a folder", dir)
		}
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	return true, nil
}

// derived gives the magnitude and sky columns an image supports.
func derived(im *model.Image) catalogue.Derived {
	var d catalogue.Derived
	if im.HasZeroPoint {
		d.Magnitude = im.Magnitude
	}
	if im.WCS != nil {
		d.Sky = func(x, y float64) (float64, float64) {
			ra, dec, _ := im.Sky(x, y)
			return ra, dec
		}
	}
	return d
}
