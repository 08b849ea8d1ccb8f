package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
)

// Job is one sampling run: an image, a PSF, the sampler's settings and where to write.
type Job struct {
	Image *model.Image
	// PSF is the point-spread function, which may vary across the image (psf.Uniform for
	// one that does not).
	PSF *psf.Field
	// Flux is the flux prior of the point sources.
	Flux model.FluxPrior
	// Config holds the sampler settings; Threads 0 means runtime.GOMAXPROCS(0).
	Config sampler.Config
	// OutDir receives the output files.
	OutDir string
	// Resume continues from the checkpoints in OutDir instead of starting afresh.
	Resume bool
	// CondenseRadius links sources across samples (pixels). MinPrevalence is the prevalence
	// cut of catalogue.fits and catalogue.parquet (the condensed files keep every cluster).
	CondenseRadius, MinPrevalence float64
	// Settings are recorded verbatim in run.json (inputs and command-line flags).
	Settings map[string]any
	// Progress, if set, is told after every sample how many of the total are done; until
	// burn-in ends, the total counts the longest burn-in (Config.MaxBurnIn).
	Progress func(done, total int)
	// NoPlots skips diagnostics.png (used by tiles, whose plots nobody reads).
	NoPlots bool
	// Refine, if set, refines the PSF from the image before sampling (sampler.RefinePSF);
	// the chains then use the refined PSF, written to PSFFile beside the outputs.
	Refine *sampler.RefineConfig
	// Kinds, if set, fits several kinds of source together (stars and galaxies; see
	// KindSpec); nil fits point sources.
	Kinds *KindSpec
	// Bands, for a joint fit of several bands, holds every band, the reference band (Image
	// and PSF, where positions live) first: sources then have a flux per band (a
	// model.MultiBand with the reference band's Flux prior and each band's colour prior),
	// and the outputs name each band's columns (flux_<band>, mag_<band>). Empty for one band.
	Bands []Band
	// ColourSpread, when positive, samples each band's mean colour under the hyperprior
	// N(Band.Colour.Mean, ColourSpread) (model.MultiBand.ColourSpread); 0 fixes the colour
	// priors.
	ColourSpread float64
	// Warn, if set, receives warnings meant for the user, and Note what they may want to
	// know (a PSF refinement that kept the given PSF for want of bright stars, for example).
	Warn, Note func(msg string)

	refined *refinement // the refinement's outcome, once Run has made it
	// colourMeans holds every chain's sampled colour means at its last sample, for run.json
	colourMeans [][]float64
}

// Summary is what a finished job reports.
type Summary struct {
	Kept      int     // kept samples over all chains
	MeanN     float64 // posterior mean number of sources
	RHatN     float64 // split R-hat of N across chains
	Condensed int     // sources in the condensed catalogue
	Wall      time.Duration
	// Catalogue counts the condensed sources with prevalence ≥ Job.MinPrevalence (the
	// catalogue files).
	Catalogue int
	// CapRefusals counts the proposals of kept samples that Config.MaxSources refused: when
	// it is not zero the cap binds and the ensemble is truncated there.
	CapRefusals int64
	// BurnIn is the number of samples discarded per chain (for tiles, the most of any tile)
	// and Converged whether the chains agreed by then (for tiles, in every tile).
	BurnIn    int
	Converged bool
	// Check holds the diagnostics of the check that ended burn-in (unset for tiles);
	// Unconverged lists the tiles whose burn-in did not converge.
	Check       sampler.Convergence
	Unconverged []int
}

const checkpointDir = ".probcat-checkpoint"

// Run samples the job's image and writes its outputs. Burn-in ends by itself when the chains
// agree (see CheckEvery), between Config.BurnIn and Config.MaxBurnIn samples per chain, and
// Config.Samples samples per chain are kept after it. It is safe to kill at any moment: with
// Resume set, a later Run continues from the last checkpoint of every chain.
func Run(ctx context.Context, job *Job) (*Summary, error) {
	start := time.Now()
	if err := job.validate(); err != nil {
		return nil, err
	}
	created, err := makeDir(job.OutDir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok && created {
			os.RemoveAll(job.OutDir)
		}
	}()
	kind, err := job.sourceKind(job.PSF)
	if err != nil {
		return nil, err
	}
	cfg := job.Config
	threads := cfg.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Validate by building chain 0 before anything is written.
	if _, err := job.newChain(kind, withThreads(cfg, 1), 0); err != nil {
		return nil, err
	}
	ckdir := filepath.Join(job.OutDir, checkpointDir)
	if err := os.MkdirAll(ckdir, 0o755); err != nil {
		return nil, err
	}
	if err := recordKernelPath(ckdir, job.Resume); err != nil {
		return nil, err
	}
	// From here on a failure keeps the folder: its checkpoints let --resume continue.
	ok = true
	fp := fingerprint(job)
	if job.Refine != nil {
		r, err := job.refinePSF(ctx, ckdir, fp)
		if err != nil {
			return nil, err
		}
		if !r.Report.Refined && job.Note != nil {
			job.Note("PSF kept as given, not refined: " + r.Report.Reason)
		}
		job.refined = r
		if kind, err = job.sourceKind(r.psf); err != nil {
			return nil, err
		}
	}
	if !job.Resume {
		if err := os.Remove(filepath.Join(ckdir, decisionFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	// Chains run concurrently, each on threads/parallel goroutines; the sampler guarantees
	// that the split of threads does not change any chain's samples.
	parallel := min(threads, cfg.Chains)
	perChain := max(1, threads/parallel)
	runs := make([]*chainRun, cfg.Chains)
	defer func() {
		for _, r := range runs {
			if r != nil {
				r.close()
			}
		}
	}()
	for c := range runs {
		if runs[c], err = openChain(job, kind, withThreads(cfg, perChain), c, ckdir, fp); err != nil {
			return nil, err
		}
	}
	dec, err := runChains(ctx, job, runs, ckdir, fp, parallel)
	if err != nil {
		return nil, err
	}
	traces := make([]sampler.Trace, len(runs))
	job.colourMeans = nil
	for c, r := range runs {
		traces[c] = r.trace
		if m := r.ch.ColourMeans(); m != nil {
			job.colourMeans = append(job.colourMeans, m)
		}
	}
	sum, err := writeOutputs(job, kind, ckdir, start, dec, traces)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(ckdir); err != nil {
		return nil, err
	}
	sum.Wall = time.Since(start)
	return sum, nil
}

func withThreads(c sampler.Config, t int) sampler.Config {
	c.Threads = t
	return c
}

func (job *Job) validate() error {
	if job.Image == nil || job.PSF == nil {
		return errors.New("no image or PSF")
	}
	if job.OutDir == "" {
		return errors.New("no output folder given")
	}
	if err := job.Config.Validate(); err != nil {
		return err
	}
	if err := job.Flux.Validate(); err != nil {
		return err
	}
	if job.Refine != nil {
		if err := job.Refine.Validate(); err != nil {
			return err
		}
	}
	if err := job.validateBands(); err != nil {
		return err
	}
	if !(job.CondenseRadius > 0) {
		return fmt.Errorf("condense radius must be positive, got %g", job.CondenseRadius)
	}
	if job.MinPrevalence < 0 || job.MinPrevalence > 1 {
		return fmt.Errorf("minimum prevalence must lie in [0, 1], got %g", job.MinPrevalence)
	}
	return job.Image.Validate()
}

// makeDir creates dir if needed and reports whether it did.
func makeDir(dir string) (bool, error) {
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
