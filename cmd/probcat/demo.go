package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/simulate"
)

func init() {
	register(&command{
		name: "demo",
		summary: `Simulate a small crowded field, sample it until its chains agree and score the result, in
seconds.
Writes the simulation (image.fits, psf.fits, truth.*) and the sampler's outputs into DIR and
prints completeness (TPR), purity (PPV) and F1 of the ensemble and of the condensed catalogue
under both scoring rules.`,
		usage: "[--out DIR] [flags]",
		run:   runDemo,
	})
}

func runDemo(fs *flag.FlagSet, args []string, out io.Writer) error {
	outDir := fs.String("out", "probcat-demo", "output folder")
	size := fs.Int("size", 48, "side of the simulated image in pixels")
	density := fs.Float64("density", 0.03, "sources per pixel above f_min")
	seed := fs.Uint64("seed", 1, "random seed")
	threads := fs.Int("threads", 0, "cores to use (0: all available)")
	samples := fs.Int("samples", 150, "kept samples per chain")
	burnIn := fs.Int("burn-in", 100, "least burn-in samples per chain")
	maxBurnIn := fs.Int("max-burn-in", 600, "most burn-in samples per chain (burn-in ends when the chains agree)")
	proposals := fs.Int("proposals", 1000, "proposals per kept sample")
	quiet := fs.Bool("quiet", false, "print only the scores")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	defer limitThreads(*threads)()
	cfg := simulate.Default()
	cfg.Width, cfg.Height, cfg.Density, cfg.Seed = *size, *size, *density, *seed
	p, err := psf.Gaussian(2.2)
	if err != nil {
		return err
	}
	im, truth, err := simulate.Field(cfg, p)
	if err != nil {
		return err
	}
	// An SDSS-like zero point (r band, 0.00547 nanomaggies per count) so that scores are
	// reported in magnitudes comparable with the M2 benchmark.
	im.ZeroPoint, im.HasZeroPoint = 28.154, true
	if err := writeSimulation(*outDir, im, truth, &model.PointSource{PSF: p, Flux: cfg.FluxPrior}, p, cfg); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(out, "simulated %d×%d field with %d sources (f_min %g, slope %g, FWHM 2.2 px) in %s\n",
			cfg.Width, cfg.Height, truth.Len(), cfg.FluxPrior.Min, cfg.FluxPrior.Slope, *outDir)
	}
	var f sampleFlags
	f.register(flag.NewFlagSet("demo", flag.ContinueOnError))
	f.out = filepath.Join(*outDir, "sample")
	f.psfSpec = filepath.Join(*outDir, "psf.fits")
	f.samples, f.burnIn, f.proposals, f.threads, f.seed, f.quiet = *samples, *burnIn, *proposals, *threads, *seed, *quiet
	f.maxBurnIn = *maxBurnIn
	job, err := f.job(filepath.Join(*outDir, "image.fits"))
	if err != nil {
		return err
	}
	if err := runJob(job, *quiet, out, fs.Output()); err != nil {
		return err
	}
	ref := score.NewReference(truth.X, truth.Y, truth.Flux, im.ZeroPoint)
	frame := score.Frame{W: im.Width, H: im.Height}
	ens, err := catalogue.ReadEnsemble(filepath.Join(job.OutDir, pipeline.EnsembleFile))
	if err != nil {
		return err
	}
	cond, err := catalogue.ReadCondensedParquet(filepath.Join(job.OutDir, pipeline.CondensedParq))
	if err != nil {
		return err
	}
	cat, err := catalogue.ReadCondensedParquet(filepath.Join(job.OutDir, pipeline.CatalogueParq))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nscores against the truth (catalogue: the condensed sources with prevalence ≥ %g, catalogue.parquet)\n", job.MinPrevalence)
	fmt.Fprintf(out, "%-10s %-9s %6s %6s %6s\n", "catalogue", "rule", "TPR", "PPV", "F1")
	for _, c := range []struct {
		name    string
		samples []catalogue.Sample
	}{{"ensemble", ens}, {"condensed", catalogue.SingleSample(cond)}, {"catalogue", catalogue.SingleSample(cat)}} {
		for _, rule := range []string{"pcat", "starnet"} {
			r, err := score.RuleByName(rule)
			if err != nil {
				return err
			}
			s, err := score.Ensemble(ref, c.samples, score.Options{Rule: r, Frame: frame, ZeroPoint: im.ZeroPoint})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%-10s %-9s %6.3f %6.3f %6.3f\n", c.name, rule, float64(s.TPR), float64(s.PPV), float64(s.F1))
		}
	}
	return nil
}
