package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/kinds"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
	"github.com/probcat/probcat/survey"
	"github.com/probcat/probcat/survey/sdss"
	"golang.org/x/term"
)

func init() {
	register(&command{
		name: "sample",
		summary: `Sample the posterior over catalogues of an image.
IMAGE is a FITS image in counts (probcat simulate writes one; header cards GAIN, BIAS, BKG,
NOISE, RDNOISE, MAGZP, FMIN are read when present), PCAT's text image (*_cts.txt, with --pix),
or, with --sdss, a cutout of an SDSS calibrated frame with its psField PSF (outputs keep the
frame's pixel coordinates and carry ra, dec and mag).
With --psf-refine, the PSF is first refined from the image's bright stars (a short pilot
chain; psf-refined.fits; experimental). Writes into DIR: ensemble.parquet, samples.parquet, condensed.fits,
condensed.parquet (every cluster of the ensemble, with its prevalence), catalogue.fits,
catalogue.parquet (the condensed sources with prevalence ≥ --min-prevalence, 0.5: the catalogue
to use), counts.parquet (posterior number counts per half magnitude), model.fits,
psf-refined.fits, diagnostics.png and run.json. Ctrl-C or a kill leaves
checkpoints; run again with
--resume to continue.`,
		usage: "IMAGE [--out DIR] [flags]  |  --sdss FRAME --psfield PSFIELD [--cutout X0,Y0,W,H] [flags]",
		run:   runSample,
	})
}

// defaultCountPrior names sampler.DefaultConfig's count prior, PCAT's penalty per source.
// --count-prior poisson (with --density auto) is the hierarchical count prior, not the default
// because on M2 it worsens the ensemble (see experiments/m2/README.md).
const defaultCountPrior = "penalty"

// sampleFlags are the flags shared by sample, demo and plan.
type sampleFlags struct {
	sdssFrame, psField, cutout, radec         string
	bands, colourPrior                        string
	colourSpread                              float64
	tile, psfOversample                       int
	out, psfSpec, pix                         string
	psfNote                                   string // why the PSF is what it is, when it is not as asked
	samples, burnIn, chains, threads          int
	maxBurnIn                                 int
	proposals, regionSize, regionProposals    int
	seed                                      uint64
	gain, bias, background, readNoise, zp     float64
	noise                                     string
	fmin, slope, slopeBright, fluxBreak       float64
	countPrior, density, fluxPrior            string
	penalty                                   float64
	sampleSlope, fixBackground, quiet, resume bool
	psfRefine, refit                          bool
	modelError                                float64
	modelErrorRadius                          int
	kinds, kindWeights, galaxyRe              string
	condenseRadius, minPrevalence             float64
	maxSources                                int
	backgroundOrder                           int
	hst                                       hstFlags
}

func (f *sampleFlags) register(fs *flag.FlagSet) {
	d := sampler.DefaultConfig()
	fs.StringVar(&f.out, "out", "", "output folder (default: IMAGE's name without extension, plus .probcat)")
	fs.StringVar(&f.psfSpec, "psf", "", "PSF: a file (PCAT .txt, FITS image, TinyTim, STDPSF grid) or a spec such as gaussian:fwhm=2.2 (default: psf.fits beside IMAGE)")
	fs.IntVar(&f.psfOversample, "psf-oversample", 0, "the FITS PSF image is sampled N times finer than the pixels (default: its OVERSAMP card, else 1)")
	fs.StringVar(&f.pix, "pix", "", "PCAT calibration file (*_pix.txt) when IMAGE is a PCAT text image")
	fs.StringVar(&f.sdssFrame, "sdss", "", "SDSS calibrated frame (frame-*.fits.bz2) to sample instead of IMAGE; needs --psfield")
	fs.StringVar(&f.psField, "psfield", "", "SDSS psField file giving the PSF (reconstructed at the cutout centre) for --sdss")
	fs.StringVar(&f.cutout, "cutout", "", "the pixel box X0,Y0,W,H of the FITS image or --sdss frame to sample, 0-based (default: the whole image); outputs keep the image's pixel frame")
	fs.StringVar(&f.radec, "radec", "", "with --sdss: a cutout centred on RA,DEC (degrees) of W×H pixels, as RA,DEC,W,H")
	fs.StringVar(&f.bands, "bands", "", "with --sdss: fit these bands jointly, e.g. r,i (one catalogue, a flux per band; the first is the reference band, in whose pixels --cutout and positions are); their frames and fpM masks are found beside FRAME")
	fs.StringVar(&f.colourPrior, "colour-prior", "0,1", "with --bands: MEAN,SIGMA of the Gaussian prior of every band's colour against the reference band, m_ref − m_band = 2.5 log10(counts_band / counts_ref), in instrumental magnitudes (of counts, without the zero points)")
	fs.Float64Var(&f.colourSpread, "colour-spread", 0, "with --bands: sample each band's mean colour under the hyperprior N(MEAN of --colour-prior, this width), in magnitudes; 0 fixes it")
	fs.IntVar(&f.tile, "tile", 0, "cut the image into tiles of this many pixels (plus margins), one per core at a time; 0 samples the image whole, or in tiles of 512 above 2 Mpx")
	fs.IntVar(&f.samples, "samples", d.Samples, "kept samples per chain")
	fs.IntVar(&f.burnIn, "burn-in", d.BurnIn, "least burn-in: samples discarded at the start of each chain before convergence is checked")
	fs.IntVar(&f.maxBurnIn, "max-burn-in", d.MaxBurnIn, "most burn-in: burn-in ends when the chains agree (R-hat < 1.01, ESS ≥ 100 for N, ln L, total flux and background), else after this many samples with a warning; equal to --burn-in for a fixed burn-in")
	fs.IntVar(&f.chains, "chains", d.Chains, "independent chains with different seeds")
	fs.IntVar(&f.threads, "threads", 0, "cores to use (0: all available); results do not depend on it")
	fs.IntVar(&f.proposals, "proposals", d.Proposals, "proposals (passes over the active regions) per kept sample")
	fs.IntVar(&f.regionSize, "region", d.RegionSize, "proposal region side in pixels (0: automatic)")
	fs.IntVar(&f.regionProposals, "region-proposals", d.RegionProposals, "proposals each active region makes per pass")
	fs.Uint64Var(&f.seed, "seed", d.Seed, "random seed")
	nan := math.NaN()
	f.gain, f.bias, f.background, f.readNoise, f.zp, f.fmin = nan, nan, nan, nan, nan, nan
	f.slopeBright, f.fluxBreak = nan, nan
	fs.Float64Var(&f.gain, "gain", nan, "gain in electrons per count (default: GAIN card)")
	fs.Float64Var(&f.bias, "bias", nan, "bias pedestal in counts (default: BIAS card, else 0)")
	fs.Float64Var(&f.background, "background", nan, "sky level above the bias in counts (default: BKG card, else the image median)")
	fs.Float64Var(&f.readNoise, "read-noise", nan, "read noise in counts (default: RDNOISE card, else 0)")
	fs.Float64Var(&f.zp, "zero-point", nan, "magnitude zero point, mag = zp − 2.5 log10(counts) (default: MAGZP card)")
	fs.StringVar(&f.noise, "noise", "", "noise model: data (PCAT: σ² = (data − bias)/gain) or model (σ² = (background + model)/gain + read noise²) (default: NOISE card, else model when the read noise is known and the sky is low, background/gain < read noise², else data)")
	fs.Float64Var(&f.fmin, "fmin", nan, "flux prior minimum f_min in counts (default: FMIN card, else 250)")
	fs.StringVar(&f.fluxPrior, "flux-prior", "powerlaw", "flux function above --fmin: powerlaw, p(f) ∝ f^-α, or broken, a power law of slope --slope below --break and --slope-bright above it")
	fs.Float64Var(&f.slope, "slope", 2, "flux prior power-law slope α, p(f) ∝ f^-α (below the break for --flux-prior broken); the starting value when sampled")
	fs.Float64Var(&f.slopeBright, "slope-bright", nan, "with --flux-prior broken: the slope above the break (default 2); the starting value when sampled")
	fs.Float64Var(&f.fluxBreak, "break", nan, "with --flux-prior broken: the break in counts, above --fmin (default 4 × --fmin); the starting value when sampled")
	fs.BoolVar(&f.sampleSlope, "sample-slope", d.SampleFluxPrior, "sample the flux function's parameters with the catalogue (the slope; for broken, both slopes and the break) under flat hyperpriors (see README); --sample-slope=false fixes them")
	fs.BoolVar(&f.fixBackground, "fix-background", false, "keep the background fixed instead of sampling it")
	fs.IntVar(&f.backgroundOrder, "background-order", 0, fmt.Sprintf("sample a background that varies across the image (each tile's own with --tile): Legendre polynomials in x and y of total degree up to K (0 to %d; 0: one sky level)", sampler.MaxBackgroundOrder))
	fs.StringVar(&f.countPrior, "count-prior", defaultCountPrior, "prior on the number of sources: penalty (PCAT: a fixed cost per source) or poisson (sources scattered at --density per pixel; hierarchical with --density auto)")
	fs.Float64Var(&f.penalty, "penalty", 1.5, "log-prior penalty per source for --count-prior penalty")
	fs.StringVar(&f.density, "density", "auto", "sources per pixel for --count-prior poisson: a number fixes it; auto samples it with the catalogue under a broad Gamma(1, 1) hyperprior")
	fs.BoolVar(&f.refit, "refit", false, "births and deaths refit their neighbours' fluxes, plus joint flux updates of neighbours (experimental: see experiments/m2-convergence)")
	fs.BoolVar(&f.psfRefine, "psf-refine", false, "refine the PSF from the image's bright stars before sampling (experimental: see README)")
	fs.StringVar(&f.kinds, "kinds", "star", "the kinds of source to fit, e.g. star,galaxy (experimental: see README); known: "+strings.Join(kinds.Names(), ", "))
	fs.StringVar(&f.kindWeights, "kind-weights", "", "prior probability of each of --kinds, e.g. 0.7,0.3 (default: 0.7 for star and the rest shared equally, or equal without star)")
	fs.StringVar(&f.galaxyRe, "galaxy-re", "0.5,4", "MIN,MAX of the galaxies' half-light radius prior (log-uniform), in pixels")
	fs.Float64Var(&f.modelError, "model-error", 0, "fractional model error ε: each pixel's variance grows by (ε × its signal above the sky)²")
	fs.IntVar(&f.modelErrorRadius, "model-error-radius", 0, "with --model-error: the signal is the data's largest within this many pixels, so pixels near a bright core get σ ≥ ε × the core's peak")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&f.resume, "resume", false, "continue an interrupted run from its checkpoints")
	fs.Float64Var(&f.condenseRadius, "condense-radius", 0.75, "radius in pixels linking sources across samples in the condensed catalogue")
	fs.Float64Var(&f.minPrevalence, "min-prevalence", 0.5, "catalogue.fits/.parquet keep the condensed sources present in at least this fraction of samples (condensed.fits/.parquet keep all)")
	fs.IntVar(&f.maxSources, "max-sources", d.MaxSources, "never hold more sources than this in a sample (of the image, or of each tile with --tile); a warning says when it binds")
	f.hst.register(fs)
}

func runSample(fs *flag.FlagSet, args []string, out io.Writer) error {
	var f sampleFlags
	f.register(fs)
	if err := parse(fs, args, 0, 1); err != nil {
		return err
	}
	planned := resultFlags(fs) // before building the job changes any flag's value
	defer limitThreads(f.threads)()
	var job *pipeline.Job
	var err error
	switch {
	case f.sdssFrame != "" && fs.NArg() == 0:
		job, err = f.sdssJob()
	case f.sdssFrame == "" && fs.NArg() == 1:
		job, err = f.job(fs.Arg(0))
	default:
		fs.Usage()
		return fmt.Errorf("give either IMAGE or --sdss FRAME --psfield PSFIELD")
	}
	if err != nil {
		return err
	}
	if !f.quiet {
		reportNoise(os.Stderr, job)
	}
	if f.tile == 0 && job.Image.Width*job.Image.Height > autoTilePixels {
		// Sampled whole, a frame this large would hold every kept sample of ~10⁵ sources in
		// memory (gigabytes); tiles keep memory bounded at a cost within a few per cent.
		f.tile = autoTileSize
		if !f.quiet {
			fmt.Fprintf(os.Stderr, "image of %d×%d pixels: sampling in tiles of %d (give --tile to choose)\n", job.Image.Width, job.Image.Height, f.tile)
		}
	}
	if f.tile > 0 && len(job.Bands) > 0 {
		return fmt.Errorf("--tile is not yet supported with --bands: sample a cutout of at most %d pixels whole", autoTilePixels)
	}
	if f.tile > 0 {
		return runTiled(job, &f, planned, out, fs.Output())
	}
	return runJob(job, f.quiet, out, fs.Output())
}

// limitThreads makes the process use at most threads cores (if threads > 0), so that
// --threads bounds the garbage collector and every helper goroutine too, not only the
// sampler's workers; the returned function restores the previous limit.
func limitThreads(threads int) (restore func()) {
	if threads <= 0 {
		return func() {}
	}
	prev := runtime.GOMAXPROCS(threads)
	return func() { runtime.GOMAXPROCS(prev) }
}

// rhatWarn is the R-hat of N above which sample warns that the chains have not converged.
const rhatWarn = 1.05

// Images above autoTilePixels are sampled in tiles of autoTileSize unless --tile says otherwise.
const (
	autoTilePixels = 2 << 20
	autoTileSize   = 512
)

// job builds the sampling job for an image file from the flags.
func (f *sampleFlags) job(imagePath string) (*pipeline.Job, error) {
	if err := f.checkInputFlags(imagePath); err != nil {
		return nil, err
	}
	var im *model.Image
	var hdr *fits.Header
	var err error
	if strings.HasSuffix(imagePath, ".txt") {
		if f.pix == "" {
			return nil, fmt.Errorf("%s: a PCAT text image needs --pix (its *_pix.txt calibration file)", imagePath)
		}
		im, err = survey.PCATImage(imagePath, f.pix)
	} else {
		im, hdr, err = f.readFITS(imagePath)
	}
	if err != nil {
		return nil, err
	}
	if f.out == "" {
		base := imagePath
		for _, ext := range []string{".gz", ".bz2", ".fits", ".fit", ".fts", ".txt"} {
			base = strings.TrimSuffix(base, ext)
		}
		f.out = base + ".probcat"
	}
	field, err := f.loadPSF(imagePath, im, hdr)
	if err != nil {
		return nil, err
	}
	fmin := 250.0
	if hdr != nil && hdr.Has("FMIN") {
		if fmin, err = hdr.Float("FMIN"); err != nil {
			return nil, err
		}
	}
	skyKnown := strings.HasSuffix(imagePath, ".txt") || hdr != nil && hdr.Has(survey.CardBkg)
	return f.hst.record(f.finish(imagePath, im, field, fmin, hdr != nil && hdr.Has(survey.CardNoise), skyKnown))
}

// sdssJob builds the job for a cutout of an SDSS frame.
func (f *sampleFlags) sdssJob() (*pipeline.Job, error) {
	if err := f.checkInputFlags(""); err != nil {
		return nil, err
	}
	if f.psField == "" {
		return nil, fmt.Errorf("--sdss needs --psfield (the frame's psField file)")
	}
	var bands []string
	frame := f.sdssFrame
	if f.bands != "" {
		var err error
		if bands, err = sdss.ParseBands(f.bands); err != nil {
			return nil, fmt.Errorf("--bands: %v", err)
		}
		files, err := sdss.FindBands(f.sdssFrame, bands[:1], false)
		if err != nil {
			return nil, err
		}
		frame = files[0].Frame // the reference band's, in whose pixels the cutout is
		if len(bands) == 1 && (f.colourPrior != "0,1" || f.colourSpread != 0) {
			return nil, errors.New("--colour-prior and --colour-spread apply to two bands or more")
		}
	} else if f.colourPrior != "0,1" || f.colourSpread != 0 {
		return nil, errors.New("--colour-prior and --colour-spread apply only to --bands")
	}
	fr, err := sdss.ReadFrame(frame)
	if err != nil {
		return nil, err
	}
	var opts sdss.Options
	switch {
	case f.cutout != "" && f.radec != "":
		return nil, fmt.Errorf("give --cutout or --radec, not both")
	case f.cutout != "":
		if opts.Box, err = sdss.ParseBox(f.cutout); err != nil {
			return nil, err
		}
	case f.radec != "":
		var ra, dec, w, h float64
		if n, _ := fmt.Sscanf(strings.ReplaceAll(f.radec, ",", " "), "%g %g %g %g", &ra, &dec, &w, &h); n != 4 {
			return nil, fmt.Errorf("--radec wants RA,DEC,W,H, got %q", f.radec)
		}
		if opts.Box, err = sdss.BoxAround(fr, ra, dec, int(w), int(h)); err != nil {
			return nil, err
		}
	}
	if len(bands) > 1 {
		return f.sdssBandsJob(frame, bands, opts)
	}
	c, err := fr.Cutout(f.psField, opts)
	if err != nil {
		return nil, err
	}
	if f.out == "" {
		f.out = "sdss-" + c.Box.String() + ".probcat"
	}
	field := c.Field
	if f.psfSpec != "" {
		if field, err = f.psfField(c.Image, nil); err != nil {
			return nil, err
		}
	} else {
		if f.psfOversample != 0 {
			return nil, errors.New("--psf-oversample applies to a FITS PSF given with --psf, not to the psField's PSF")
		}
		f.psfSpec = f.psField
	}
	return f.finish(frame, c.Image, field, 250, false, true)
}

// finish applies the flags to an image read from imagePath and assembles the job. noiseCard
// says that the image's header chose the noise model (a NOISE card).
func (f *sampleFlags) finish(imagePath string, im *model.Image, p *psf.Field, fmin float64, noiseCard, skyKnown bool) (*pipeline.Job, error) {
	set := func(dst *float64, v float64) {
		if !math.IsNaN(v) {
			*dst = v
		}
	}
	set(&im.Gain, f.gain)
	set(&im.Bias, f.bias)
	set(&im.Background, f.background)
	set(&im.ReadNoise, f.readNoise)
	if f.modelErrorRadius != 0 && f.modelError == 0 {
		return nil, errors.New("--model-error-radius applies to --model-error, which is 0")
	}
	im.ModelError = f.modelError
	im.ModelErrorRadius = f.modelErrorRadius
	set(&fmin, f.fmin)
	if !math.IsNaN(f.zp) {
		im.ZeroPoint, im.HasZeroPoint = f.zp, true
	}
	if im.Gain == 0 && math.IsNaN(f.gain) {
		return nil, fmt.Errorf("%s: no GAIN card; give --gain", imagePath)
	}
	if math.IsNaN(f.background) && !skyKnown {
		im.Background = skyEstimate(im)
	}
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", imagePath, err)
	}
	noiseChoice, err := f.chooseNoise(im, noiseCard)
	if err != nil {
		return nil, err
	}
	cfg := sampler.DefaultConfig()
	cfg.Samples, cfg.BurnIn, cfg.Chains, cfg.Threads = f.samples, f.burnIn, f.chains, f.threads
	cfg.MaxBurnIn = f.maxBurnIn
	cfg.Proposals, cfg.RegionSize, cfg.RegionProposals, cfg.Seed = f.proposals, f.regionSize, f.regionProposals, f.seed
	cfg.SampleFluxPrior, cfg.SampleBackground = f.sampleSlope, !f.fixBackground
	cfg.MaxSources = f.maxSources
	cfg.BackgroundOrder = f.backgroundOrder
	switch {
	case f.backgroundOrder < 0 || f.backgroundOrder > sampler.MaxBackgroundOrder:
		return nil, fmt.Errorf("--background-order must lie in [0, %d], got %d", sampler.MaxBackgroundOrder, f.backgroundOrder)
	case f.backgroundOrder > 0 && f.fixBackground:
		return nil, fmt.Errorf("--background-order %d samples the background; it does not go with --fix-background", f.backgroundOrder)
	}
	if f.refit {
		cfg.Weights.BirthDeath, cfg.Weights.Refit, cfg.Weights.FluxGroup = 0, cfg.Weights.BirthDeath, cfg.Weights.BirthDeath/2
	}
	if f.maxSources < 1 {
		return nil, fmt.Errorf("--max-sources must be at least 1, got %d", f.maxSources)
	}
	switch f.countPrior {
	case "penalty":
		if f.density != "auto" {
			return nil, fmt.Errorf("--density applies only to --count-prior poisson")
		}
		cfg.CountPrior = model.Penalty{PerSource: f.penalty}
	case "poisson":
		if f.density == "auto" {
			cfg.CountPrior = model.DefaultGammaPoisson
			break
		}
		d, err := strconv.ParseFloat(f.density, 64)
		if err != nil || !(d > 0) || math.IsInf(d, 0) {
			return nil, fmt.Errorf("--density must be auto or a positive number of sources per pixel, got %q", f.density)
		}
		cfg.CountPrior = model.Poisson{Density: d}
	default:
		return nil, fmt.Errorf("unknown --count-prior %q (want penalty or poisson)", f.countPrior)
	}
	flux := model.FluxPrior{Min: fmin, Slope: f.slope}
	switch f.fluxPrior {
	case "powerlaw":
		if !math.IsNaN(f.fluxBreak) || !math.IsNaN(f.slopeBright) {
			return nil, fmt.Errorf("--break and --slope-bright apply only to --flux-prior broken")
		}
	case "broken":
		flux.Break, flux.SlopeBright = 4*fmin, 2
		set(&flux.Break, f.fluxBreak)
		set(&flux.SlopeBright, f.slopeBright)
	default:
		return nil, fmt.Errorf("unknown --flux-prior %q (want powerlaw or broken)", f.fluxPrior)
	}
	if err := flux.Validate(); err != nil {
		return nil, fmt.Errorf("%v (--fmin, --slope, --break, --slope-bright)", err)
	}
	if f.sampleSlope && (f.slope > cfg.MaxSlope || flux.SlopeBright > cfg.MaxSlope) {
		return nil, fmt.Errorf("--slope and --slope-bright must not exceed %g when sampled", cfg.MaxSlope)
	}
	switch {
	case f.samples < 1:
		return nil, fmt.Errorf("--samples must be at least 1, got %d", f.samples)
	case f.burnIn < 0:
		return nil, fmt.Errorf("--burn-in must not be negative, got %d", f.burnIn)
	case f.maxBurnIn < 1:
		return nil, fmt.Errorf("--max-burn-in must be at least 1, got %d", f.maxBurnIn)
	case f.burnIn > f.maxBurnIn:
		return nil, fmt.Errorf("--burn-in %d exceeds --max-burn-in %d (burn-in lasts from --burn-in to --max-burn-in samples)", f.burnIn, f.maxBurnIn)
	}
	job := &pipeline.Job{
		Image: im, PSF: p, Flux: flux, Config: cfg,
		OutDir: f.out, Resume: f.resume,
		CondenseRadius: f.condenseRadius, MinPrevalence: f.minPrevalence,
		Settings: map[string]any{"image": imagePath, "psf": f.psfSpec, "args": os.Args[1:], "noise_choice": noiseChoice},
	}
	if f.psfNote != "" {
		job.Settings["psf_note"] = f.psfNote
	}
	if f.psfRefine {
		rc := sampler.DefaultRefineConfig()
		job.Refine = &rc
	}
	if f.kinds != "star" && f.kinds != "point" {
		spec, err := f.kindSpec()
		if err != nil {
			return nil, err
		}
		job.Kinds = spec
	}
	return job, nil
}

// kindSpec turns --kinds, --kind-weights and --galaxy-re into the job's kinds.
func (f *sampleFlags) kindSpec() (*pipeline.KindSpec, error) {
	spec := &pipeline.KindSpec{}
	for _, name := range strings.Split(f.kinds, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(kinds.Names(), name) {
			return nil, fmt.Errorf("--kinds: unknown kind %q (known: %s)", name, strings.Join(kinds.Names(), ", "))
		}
		if slices.Contains(spec.Names, name) {
			return nil, fmt.Errorf("--kinds: %q given twice", name)
		}
		spec.Names = append(spec.Names, name)
	}
	if f.kindWeights == "" {
		star := slices.IndexFunc(spec.Names, func(n string) bool { return n == "star" || n == "point" })
		for i := range spec.Names {
			w := 1 / float64(len(spec.Names))
			if star >= 0 {
				w = 0.3 / float64(len(spec.Names)-1)
				if i == star {
					w = 0.7
				}
			}
			spec.Weights = append(spec.Weights, w)
		}
	} else {
		for _, v := range strings.Split(f.kindWeights, ",") {
			w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("--kind-weights must be positive numbers, got %q", f.kindWeights)
			}
			spec.Weights = append(spec.Weights, w)
		}
		if len(spec.Weights) != len(spec.Names) {
			return nil, fmt.Errorf("--kind-weights gives %d weights for %d kinds", len(spec.Weights), len(spec.Names))
		}
	}
	var err error
	if spec.ReMin, spec.ReMax, err = parseRadii(f.galaxyRe); err != nil {
		return nil, err
	}
	return spec, nil
}

// loadPSF reads --psf, or psf.fits beside the image: one PSF, or for an STDPSF grid the field
// of PSFs over the image (hdr, the image's header, gives an HST chip's CCDCHIP).
func (f *sampleFlags) loadPSF(imagePath string, im *model.Image, hdr *fits.Header) (*psf.Field, error) {
	if f.psfSpec == "" {
		beside := filepath.Join(filepath.Dir(imagePath), "psf.fits")
		if _, err := os.Stat(beside); err != nil {
			return nil, fmt.Errorf("%s: no PSF given and no psf.fits beside the image; give --psf", imagePath)
		}
		f.psfSpec = beside
	}
	return f.psfField(im, hdr)
}

// psfField builds the PSF field that --psf (and --psf-oversample) describe for the image.
func (f *sampleFlags) psfField(im *model.Image, hdr *fits.Header) (*psf.Field, error) {
	if psf.IsSTDPSF(f.psfSpec) {
		if f.psfOversample != 0 {
			return nil, fmt.Errorf("--psf-oversample does not apply to the STDPSF grid %s (always 4×)", f.psfSpec)
		}
		field, note, err := stdpsfField(f.psfSpec, im, hdr)
		f.psfNote = note
		return field, err
	}
	spec := f.psfSpec
	if f.psfOversample != 0 {
		if f.psfOversample < 1 {
			return nil, fmt.Errorf("--psf-oversample must be a positive integer, got %d", f.psfOversample)
		}
		if !strings.Contains(strings.ToLower(spec), ".fit") {
			return nil, fmt.Errorf("--psf-oversample applies to FITS PSF images, not to %s", spec)
		}
		sep := "?"
		if strings.Contains(spec, "?") {
			sep = "&"
		}
		spec += fmt.Sprintf("%soversample=%d", sep, f.psfOversample)
	}
	p, err := psf.Parse(spec)
	if err != nil {
		return nil, err
	}
	return psf.Uniform(p), nil
}

// maxPSFCells bounds the cells of a PSF field built from an STDPSF grid (each holds a PSF of
// about 0.2 MB): cells grow beyond psf.Grid.CellFor's 0.5 % tolerance on images above
// about 500×500 pixels, and sample says so.
const maxPSFCells = 1024

// stdpsfField builds the PSF field of an image from an STDPSF grid: detector positions are the
// image's pixels plus its cutout offset (im.X0, im.Y0), on the chip its header's CCDCHIP
// names (0 without one, which two-chip grids refuse). note says when the cells had to be
// larger than the 0.5 % tolerance asks.
func stdpsfField(path string, im *model.Image, hdr *fits.Header) (field *psf.Field, note string, err error) {
	chip := 0
	if hdr != nil && hdr.Has("CCDCHIP") {
		c, err := hdr.Int("CCDCHIP")
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		chip = int(c)
	}
	g, err := psf.ReadSTDPSF(path, chip)
	if err != nil {
		return nil, "", err
	}
	cell := g.CellFor(0.005)
	if n := (im.Width + cell - 1) / cell * ((im.Height + cell - 1) / cell); n > maxPSFCells {
		cell = int(math.Ceil(math.Sqrt(float64(im.Width*im.Height) / maxPSFCells)))
		note = fmt.Sprintf("PSF cells of %d px (finer cells would exceed %d); the PSF may change by more than 0.5 %% of its peak between cells", cell, maxPSFCells)
	}
	if field, err = g.Field(im.X0, im.Y0, im.Width, im.Height, cell); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return field, note, nil
}

// skyEstimate estimates the sky above the bias of an image that does not give it (no BKG
// card, no --background): the mode of the unmasked pixels as SExtractor estimates it (Bertin &
// Arnouts 1996), 2.5·median − 1.5·mean of the pixels left after clipping at ±3σ about the
// median until nothing more is clipped, with σ = 1.4826·MAD (robust where stars cover much of
// the image); the clipped median when the mode estimate falls outside the clipped range. The
// sampler starts from it (and samples the sky unless --fix-background). The median alone sits
// far above the sky of a crowded field: on a simulated zero-sky field of 0.065 stars per pixel
// (read noise 10) it is 51 counts, this estimate 6.
func skyEstimate(im *model.Image) float64 {
	var v []float64
	for i, p := range im.Pix {
		if (im.Mask == nil || !im.Mask[i]) && !math.IsNaN(float64(p)) && !math.IsInf(float64(p), 0) {
			v = append(v, float64(p)-im.Bias)
		}
	}
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	lo, hi := 0, len(v) // v[lo:hi] are the pixels kept
	med := 0.0
	for range 50 {
		kept := v[lo:hi]
		med = order.UpperMedian(kept)
		dev := make([]float64, len(kept))
		for i, x := range kept {
			dev[i] = math.Abs(x - med)
		}
		sig := 1.4826 * order.UpperMedian(dev)
		if !(sig > 0) {
			return med
		}
		l := sort.SearchFloat64s(v, med-3*sig)
		h := sort.SearchFloat64s(v, math.Nextafter(med+3*sig, math.Inf(1)))
		if l == lo && h == hi {
			break
		}
		lo, hi = l, h
	}
	mean := 0.0
	for _, x := range v[lo:hi] {
		mean += x
	}
	mean /= float64(hi - lo)
	mode := 2.5*med - 1.5*mean
	if mode < v[lo] || mode > v[hi-1] {
		return med
	}
	return mode
}

// runJob runs a job with a progress display and prints a summary on out and any warning on
// errw.
func runJob(job *pipeline.Job, quiet bool, out, errw io.Writer) error {
	job.Warn, job.Note = warner(errw), noter(errw, quiet)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progress
	if !quiet {
		bar = newProgress(os.Stderr, "sampling")
		job.Progress = bar.update
	}
	sum, err := pipeline.Run(ctx, job)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted; run again with --resume to continue from the checkpoints in %s", job.OutDir)
		}
		return err
	}
	if !quiet {
		printSummary(out, job, sum, job.OutDir)
	}
	warnCap(errw, job, sum)
	warnConvergence(errw, sum, job.Config)
	return nil
}

// progress shows a bar on a terminal and a line every 10 % (or 30 s) otherwise.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	tty      bool
	start    time.Time
	last     time.Time
	lastFrac float64
}

func newProgress(w *os.File, label string) *progress {
	return &progress{w: w, label: label, tty: term.IsTerminal(int(w.Fd())), start: time.Now()}
}

func (p *progress) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	frac := float64(done) / float64(max(total, 1))
	now := time.Now()
	el := now.Sub(p.start)
	eta := "?"
	if frac > 0 {
		eta = (time.Duration(float64(el)/frac) - el).Round(time.Second).String()
	}
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond && done < total {
			return
		}
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %d/%d samples, ETA %s   ", p.label,
			strings.Repeat("#", n), strings.Repeat(" ", width-n), 100*frac, done, total, eta)
		p.last = now
		return
	}
	if frac-p.lastFrac >= 0.1 || now.Sub(p.last) >= 30*time.Second || done == total {
		fmt.Fprintf(p.w, "%s: %d/%d samples (%.0f%%), %s elapsed, ETA %s\n", p.label, done, total, 100*frac, el.Round(time.Second), eta)
		p.lastFrac, p.last = frac, now
	}
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
