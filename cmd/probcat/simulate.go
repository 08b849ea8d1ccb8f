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
galaxy, and the galaxies' r_e, q, phi). Defaults mimic PCAT's M2 cutout.
With --truth CAT, renders that catalogue of stars instead of drawing one (x, y, flux: a
Parquet or FITS catalogue with those columns, or a text file of x y flux rows), its positions
in the frame of the outputs: the image's pixels plus --origin. Stars off the image add the
light of their PSF that falls on it; truth.fits/.parquet keep those whose centres lie on it.
--psf may then be an STDPSF grid (e.g. Anderson's ACS/WFC library): each star is rendered
with the grid's PSF interpolated at its own detector position (image pixel + --origin, on
--chip), psf.fits holds the PSF at the image's centre, and the image carries LTV1/LTV2 (and
CCDCHIP) cards, so probcat sample --psf GRID builds the same field and reports positions in
the same frame as the truth.`,
		usage: "--out DIR [--truth CAT [--origin X0,Y0] [--chip N]] [flags]",
		run:   runSimulate,
	})
}

func runSimulate(fs *flag.FlagSet, args []string, out io.Writer) error {
	d := simulate.Default()
	outDir := fs.String("out", "", "output folder (required)")
	fs.IntVar(&d.Width, "width", d.Width, "image width in pixels")
	fs.IntVar(&d.Height, "height", d.Height, "image height in pixels")
	fs.Float64Var(&d.Density, "density", d.Density, "mean sources per pixel above --fmin")
	fs.Float64Var(&d.FluxPrior.Min, "fmin", d.FluxPrior.Min, "flux prior minimum f_min, counts (with --truth only written as the FMIN card, probcat sample's default f_min)")
	fs.Float64Var(&d.FluxPrior.Slope, "slope", d.FluxPrior.Slope, "flux prior power-law slope α (p(f) ∝ f^-α); with --break, α₁ below the break")
	fs.Float64Var(&d.FluxPrior.Break, "break", 0, "flux of the break of a broken power law, counts (0: a single power law)")
	fs.Float64Var(&d.FluxPrior.SlopeBright, "slope-bright", 0, "with --break: the slope α₂ above the break")
	psfSpec := fs.String("psf", "gaussian:fwhm=2.2", "PSF: a file (PCAT .txt or FITS) or a spec such as gaussian:fwhm=2.2, moffat:fwhm=2.5,beta=3")
	fs.Float64Var(&d.Background, "background", d.Background, "sky background above the bias, counts")
	fs.Float64Var(&d.Gain, "gain", d.Gain, "gain, electrons per count")
	fs.Float64Var(&d.Bias, "bias", d.Bias, "bias pedestal, counts")
	fs.Float64Var(&d.ReadNoise, "read-noise", d.ReadNoise, "read noise, counts")
	galFrac := fs.Float64("galaxies", 0, "fraction of the sources that are exponential galaxies (the rest are stars)")
	galRe := fs.String("galaxy-re", "1,4", "with --galaxies: MIN,MAX of the galaxies' half-light radii (log-uniform), pixels")
	zp := fs.Float64("zero-point", 0, "magnitude zero point to record (mag = zp - 2.5 log10 counts); 0 records none")
	fs.Uint64Var(&d.Seed, "seed", d.Seed, "random seed")
	truthPath := fs.String("truth", "", "render this catalogue of stars (Parquet/FITS with x, y, flux columns, or text x y flux rows) instead of drawing one from the priors")
	origin := fs.String("origin", "", "with --truth: X0,Y0, integers ≥ 0: the image's pixel (0, 0) is pixel (X0, Y0) of the frame the catalogue's positions are in (e.g. the detector), written as LTV1/LTV2")
	chip := fs.Int("chip", 0, "with --truth and an STDPSF --psf: the CCDCHIP of the detector chip (two-chip grids such as ACS/WFC: 1 or 2), written as the CCDCHIP card")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *outDir == "" {
		return fmt.Errorf("--out DIR is required")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *truthPath != "" {
		for _, n := range []string{"density", "galaxies", "galaxy-re", "break", "slope-bright"} {
			if set[n] {
				return fmt.Errorf("--%s does not apply with --truth: the catalogue gives the sources", n)
			}
		}
		return simulateTruth(*truthPath, *psfSpec, *origin, *chip, set["chip"], *zp, d, *outDir, out)
	}
	for _, n := range []string{"origin", "chip"} {
		if set[n] {
			return fmt.Errorf("--%s applies only with --truth", n)
		}
	}
	if set["slope-bright"] && !set["break"] {
		return fmt.Errorf("--slope-bright applies only with --break")
	}
	if psf.IsSTDPSF(*psfSpec) {
		return fmt.Errorf("--psf %s is an STDPSF grid, which renders a given catalogue only: add --truth", *psfSpec)
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

// writeSimulation writes the outputs of a field drawn from the priors of d (writeOutputs).
func writeSimulation(dir string, im *model.Image, truth *model.Catalogue, kind model.SourceKind, p *psf.PSF, d simulate.Config) error {
	extra := fits.NewHeader()
	extra.Set("SIMSEED", int64(d.Seed), "probcat simulate seed")
	extra.Set("SIMDENS", d.Density, "sources per pixel above FMIN")
	setPriorCards(extra, d.FluxPrior)
	extra.Set("NTRUE", int64(truth.Len()), "number of true sources")
	dv := derived(im)
	dv.Kinds = pipeline.KindsOf(kind)
	return writeOutputs(dir, im, pipeline.CatalogueSample(truth, kind), dv, p, extra)
}

// setPriorCards records the flux prior a simulation was drawn from (or, with --truth, the
// f_min and slope probcat sample should assume) in the image header.
func setPriorCards(h *fits.Header, fp model.FluxPrior) {
	h.Set("FMIN", fp.Min, "flux prior minimum, counts")
	h.Set("FSLOPE", fp.Slope, "flux prior power-law slope (below the break)")
	if fp.Broken() {
		h.Set("FBREAK", fp.Break, "flux prior break, counts")
		h.Set("FSLOPE2", fp.SlopeBright, "flux prior slope above the break")
	}
}

// writeOutputs writes the four output files (the image with the extra header cards, the PSF
// and the truth ts with the columns dv gives), removing any it wrote if a later one fails.
func writeOutputs(dir string, im *model.Image, ts *catalogue.Sample, dv catalogue.Derived, p *psf.PSF, extra *fits.Header) (err error) {
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

// simulateTruth is simulate --truth: it renders the catalogue at path with the PSF spec (one
// PSF, or an STDPSF grid on chip), the image's pixel (0, 0) at origin ("X0,Y0", "" for 0,0)
// of the catalogue's frame, and the sky, noise and seed of d, and writes the outputs.
func simulateTruth(path, spec, origin string, chip int, chipSet bool, zp float64, d simulate.Config, dir string, out io.Writer) error {
	var x0, y0 int
	if origin != "" {
		a, b, err := parsePair("origin", "X0,Y0", origin)
		if err == nil && (a != math.Trunc(a) || b != math.Trunc(b) || a < 0 || b < 0 || a > 1e9 || b > 1e9) {
			err = fmt.Errorf("--origin wants X0,Y0 as integers ≥ 0, got %q", origin)
		}
		if err != nil {
			return err
		}
		x0, y0 = int(a), int(b)
	}
	s, ens, err := catalogue.ReadEstimates(path)
	switch {
	case err != nil:
		return err
	case ens || len(s) != 1:
		return fmt.Errorf("%s: --truth must be a single catalogue, not an ensemble", path)
	case s[0].Kind != nil:
		return fmt.Errorf("%s: has source kinds; --truth renders stars only", path)
	case s[0].Len() == 0:
		return fmt.Errorf("%s: the catalogue is empty", path)
	}
	cat := s[0]

	// The PSF at each star (image pixels), and the one written as psf.fits.
	var centre *psf.PSF
	var psfAt func(x, y float64) (model.Profile, error)
	if psf.IsSTDPSF(spec) {
		g, err := psf.ReadSTDPSF(spec, chip)
		if err != nil && chip == 0 {
			return fmt.Errorf("%w: give it with --chip", err)
		}
		if err != nil {
			return err
		}
		ox, oy := float64(x0), float64(y0)
		if centre, err = g.PSF(ox+float64(d.Width-1)/2, oy+float64(d.Height-1)/2, 0); err != nil {
			return fmt.Errorf("%s: %w", spec, err)
		}
		psfAt = func(x, y float64) (model.Profile, error) { return g.PSF(x+ox, y+oy, centre.Size) }
	} else {
		if chipSet {
			return fmt.Errorf("--chip applies only to an STDPSF grid --psf, not to %s", spec)
		}
		if centre, err = psf.Parse(spec); err != nil {
			return err
		}
		psfAt = func(float64, float64) (model.Profile, error) { return centre, nil }
	}

	xs, ys := make([]float64, cat.Len()), make([]float64, cat.Len())
	for i := range xs {
		xs[i], ys[i] = cat.X[i]-float64(x0), cat.Y[i]-float64(y0)
	}
	im, err := simulate.RenderCatalogue(d, xs, ys, cat.Flux, psfAt)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	im.X0, im.Y0 = x0, y0
	if zp != 0 {
		im.ZeroPoint, im.HasZeroPoint = zp, true
	}
	ts := &catalogue.Sample{}
	for i := range xs {
		if xs[i] >= -0.5 && xs[i] < float64(d.Width)-0.5 && ys[i] >= -0.5 && ys[i] < float64(d.Height)-0.5 {
			ts.X, ts.Y, ts.Flux = append(ts.X, cat.X[i]), append(ts.Y, cat.Y[i]), append(ts.Flux, cat.Flux[i])
		}
	}
	extra := fits.NewHeader()
	extra.Set("SIMSEED", int64(d.Seed), "probcat simulate seed")
	extra.Set("SIMTRUTH", filepath.Base(path), "catalogue rendered (probcat simulate --truth)")
	setPriorCards(extra, d.FluxPrior)
	extra.Set("NTRUE", int64(ts.Len()), "true sources centred on the image")
	extra.Set("NRENDER", int64(cat.Len()), "sources rendered, including those off the image")
	if chip != 0 {
		extra.Set("CCDCHIP", int64(chip), "detector chip of the STDPSF grid")
	}
	if err := writeOutputs(dir, im, ts, derived(im), centre, extra); err != nil {
		return err
	}
	fmt.Fprintf(out, "rendered %d stars of %s (%d centred on the %d×%d image) into %s\n", cat.Len(), path, ts.Len(), d.Width, d.Height, dir)
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
