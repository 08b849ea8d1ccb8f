package sampler

import (
	"errors"
	"fmt"
	"math"

	"github.com/probcat/probcat/model"
)

// MoveWeights are the relative frequencies of the proposal types within a region. Births and
// deaths share BirthDeath equally, splits and merges SplitMerge, emits and absorbs Transfer,
// refit births and refit deaths Refit, refit splits and refit merges RefitSplitMerge (so the
// selection probabilities of each pair cancel in the acceptance ratios). FluxGroup is the
// joint flux update of a source and its neighbours. SplitMerge and Transfer apply to kinds
// whose only parameter is the flux, Refit, FluxGroup and RefitSplitMerge to point sources.
type MoveWeights struct {
	Move, BirthDeath, SplitMerge, Transfer, Refit, FluxGroup, RefitSplitMerge float64
}

// Config holds every setting of a sampling run.
type Config struct {
	// Proposals is the number of passes (PCAT's "proposals") between kept samples.
	Proposals int
	// BurnIn is the number of samples discarded at the start of each chain: all of the
	// burn-in for Run, the least of it for pipeline.Run when MaxBurnIn exceeds it.
	BurnIn int
	// MaxBurnIn, when above BurnIn, lets pipeline.Run end burn-in by itself: at the first
	// check, from BurnIn samples on, where the chains agree (see Convergence), and at the
	// latest after MaxBurnIn samples. 0 means a burn-in of exactly BurnIn samples. Run
	// ignores it.
	MaxBurnIn int
	// Samples is the number of kept samples per chain.
	Samples int
	// Chains is the number of independent chains.
	Chains int
	// Threads is the number of goroutines Run uses; results do not depend on it.
	Threads int
	// Seed seeds every random stream.
	Seed uint64
	// RegionSize is the side S of the proposal regions in pixels; 0 picks
	// max(20, 2R+1) for a source kind of radius R. It must exceed 2R.
	RegionSize int
	// RegionProposals is the number of proposals each active region makes per pass.
	RegionProposals int
	// Weights are the relative frequencies of the proposal types.
	Weights MoveWeights
	// CountPrior is the prior on the number of sources. A model.GammaPoisson makes the density
	// of a Poisson prior a parameter of the chain, drawn from its conditional posterior (an
	// exact Gibbs step) as often as the background is updated; within a pass the moves see
	// the Poisson prior at the current density.
	CountPrior model.CountPrior
	// MaxSources caps the number of sources (the count prior is truncated there). No sample
	// ever exceeds it, however many regions run at once: each pass shares the slack among its
	// regions before they run. While it does not bind (Sample.CapRefusals is 0) it changes
	// nothing; where it binds, the chain samples the posterior truncated at the cap (exactly
	// with one region per pass, approximately with several, since a region's share depends on
	// the count at the start of the pass).
	MaxSources int
	// SampleBackground adds a random-walk update of the background level (flat prior). It
	// sums over every pixel, so it runs once every max(1, W·H/(4S²)) passes (every pass on
	// small images), which keeps its cost near that of one region's proposals.
	SampleBackground bool
	// BackgroundOrder is the highest total degree of the background, a sum of products of
	// Legendre polynomials in x and y over the image (model.SkyBasis) sampled with the
	// catalogue (needs SampleBackground); 0, the default, is a single sky level. Its terms
	// must vary more slowly than a source's stamp (NewChain checks the image's size) and
	// it is at most MaxBackgroundOrder.
	BackgroundOrder int
	// SampleFluxPrior samples the flux function's parameters with the catalogue, once every
	// fluxPriorEvery background updates: the slope of a power law, or the break and both slopes of a
	// broken power law (fluxPriorStep gives their hyperpriors). f_min stays fixed. For a
	// *model.MultiBand it samples the reference flux's prior. Other kinds than these and
	// *model.PointSource hold their own priors and ignore it.
	SampleFluxPrior bool
	// MaxSlope bounds the sampled flux-prior slopes: a power law's slope lies in (1, MaxSlope]
	// (its hyperprior truncated there, see SlopeShape), a broken power law's bright slope is
	// flat on (1, MaxSlope] and its faint slope flat on [−MaxSlope, MaxSlope].
	MaxSlope float64
	// NoLikelihood switches the likelihood off so that the chain samples the prior (for
	// testing the acceptance ratios).
	NoLikelihood bool
	// WeightsFromBackground makes NoiseFromModel images use σ² = background/gain + read²
	// everywhere (no source term): a fixed Gaussian likelihood. Otherwise the likelihood of
	// a NoiseFromModel image is exact: σ² = (background + model)/gain + read² from the
	// current catalogue and background in every proposal, with its −½ Σ ln σ² term.
	WeightsFromBackground bool
	// ResidualBirths is the fraction ε of birth positions drawn from the positive residual
	// map rather than uniformly; the rest are uniform over the region.
	ResidualBirths float64
	// ResidualFluxes is the fraction η of point-source birth fluxes drawn from a lognormal
	// around the flux the residual suggests at the birth position; the rest come from the
	// flux prior.
	ResidualFluxes float64
	// StepScale multiplies the move step sizes, which are otherwise the Fisher-information
	// standard deviations of position and flux for a source of that flux.
	StepScale float64
	// ExactStamps renders every point source with its whole PSF stamp. By default a faint
	// source's stamp is cut where none of the omitted pixels exceeds 0.1 of the typical pixel
	// noise (psf.PSF.RadiusFor), which changes ln L by about 0.005 per source and makes the
	// hot loop several times faster; the model is the same function of the catalogue
	// everywhere (refreshes, proposals), so the chain stays exact for it.
	ExactStamps bool
	// SplitScale is the standard deviation in pixels of the split separation and the length
	// scale of the merge partner choice.
	SplitScale float64
	// RefitNeighbours is the largest number of neighbours (1 to 4) whose fluxes a refit birth,
	// death, split or merge or a flux-group update redraws: the nearest region sources within
	// RefitRadius pixels.
	RefitNeighbours int
	// RefitRadius is the distance in pixels within which sources count as neighbours for the
	// refit moves.
	RefitRadius float64
	// RefitScale (≥ 1) widens the Gaussian from which the refit moves draw fluxes: its
	// covariance is RefitScale² times the inverse of the stamps' weighted Gram matrix.
	RefitScale float64
}

// DefaultConfig returns PCAT-like settings: 250 passes per sample with 4 proposals per active
// region each (as many region proposals per sample as PCAT's 1000 passes of one, for 39 % less
// CPU on M2 with the same catalogue: every pass assigns all sources to the active regions, and
// four proposals share that cost; experiments/m2-convergence/README.md), 300 kept samples after a
// burn-in of 100 to 2000 samples (until the chains agree; Run burns in 100), 4 chains,
// move : birth/death : split/merge = 80 : 40 : 40 as PCAT (flux transfers, emit/absorb, are
// off: on M2 they are accepted 0.1 % of the time), residual-guided births, PCAT's penalty
// prior of 1.5 per source, and the power-law flux prior's slope sampled (α − 1 ~ Gamma(10, 10) on (0, 4]).
// The hierarchical count prior (model.DefaultGammaPoisson) is not the default: on the M2
// cutout it improves the condensed catalogue but worsens the ensemble's samples
// (experiments/m2/README.md, "Hierarchical priors").
func DefaultConfig() Config {
	return Config{
		Proposals:       250,
		BurnIn:          100,
		MaxBurnIn:       2000,
		Samples:         300,
		Chains:          4,
		Threads:         0,
		Seed:            1,
		RegionProposals: 4,
		Weights:         MoveWeights{Move: 80, BirthDeath: 40, SplitMerge: 40},
		CountPrior:      model.Penalty{PerSource: 1.5},
		MaxSources:      100000,
		SampleFluxPrior: true,
		MaxSlope:        5,
		ResidualBirths:  0.5,
		ResidualFluxes:  0.5,
		StepScale:       1,
		SplitScale:      1,
		RefitNeighbours: 3,
		RefitRadius:     4,
		RefitScale:      1,
	}
}

// Validate reports the first setting that makes a run impossible.
func (c Config) Validate() error {
	switch {
	case c.Proposals < 1:
		return fmt.Errorf("proposals per sample must be at least 1, got %d", c.Proposals)
	case c.BurnIn < 0:
		return fmt.Errorf("burn-in must not be negative, got %d", c.BurnIn)
	case c.MaxBurnIn < 0:
		return fmt.Errorf("maximum burn-in must not be negative, got %d", c.MaxBurnIn)
	case c.MaxBurnIn > 0 && c.MaxBurnIn < c.BurnIn:
		return fmt.Errorf("maximum burn-in %d is below the minimum burn-in %d", c.MaxBurnIn, c.BurnIn)
	case c.Samples < 1:
		return fmt.Errorf("samples must be at least 1, got %d", c.Samples)
	case c.Chains < 1:
		return fmt.Errorf("chains must be at least 1, got %d", c.Chains)
	case c.Threads < 0:
		return fmt.Errorf("threads must not be negative, got %d", c.Threads)
	case c.RegionSize < 0:
		return fmt.Errorf("region size must not be negative, got %d", c.RegionSize)
	case c.RegionProposals < 1:
		return fmt.Errorf("proposals per region must be at least 1, got %d", c.RegionProposals)
	case c.CountPrior == nil:
		return errors.New("no count prior given")
	case c.MaxSources < 1:
		return fmt.Errorf("maximum number of sources must be at least 1, got %d", c.MaxSources)
	case c.SampleFluxPrior && !(c.MaxSlope > 1):
		return fmt.Errorf("maximum flux-prior slope must exceed 1, got %g", c.MaxSlope)
	case !inUnit(c.ResidualBirths):
		return fmt.Errorf("residual birth fraction must lie in [0, 1], got %g", c.ResidualBirths)
	case !inUnit(c.ResidualFluxes):
		return fmt.Errorf("residual flux fraction must lie in [0, 1], got %g", c.ResidualFluxes)
	case c.BackgroundOrder < 0 || c.BackgroundOrder > MaxBackgroundOrder:
		return fmt.Errorf("background order must lie in [0, %d], got %d", MaxBackgroundOrder, c.BackgroundOrder)
	case c.BackgroundOrder > 0 && !c.SampleBackground:
		return fmt.Errorf("a background of order %d needs the background sampled", c.BackgroundOrder)
	case !(c.StepScale > 0) || math.IsInf(c.StepScale, 0):
		return fmt.Errorf("step scale must be positive, got %g", c.StepScale)
	case !(c.SplitScale > 0) || math.IsInf(c.SplitScale, 0):
		return fmt.Errorf("split scale must be positive, got %g", c.SplitScale)
	}
	if v, ok := c.CountPrior.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	w := c.Weights
	for _, v := range []float64{w.Move, w.BirthDeath, w.SplitMerge, w.Transfer, w.Refit, w.FluxGroup, w.RefitSplitMerge} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("move weights must be finite and not negative, got %+v", w)
		}
	}
	if w.Move+w.BirthDeath+w.SplitMerge+w.Transfer+w.Refit+w.FluxGroup+w.RefitSplitMerge <= 0 {
		return errors.New("move weights are all zero")
	}
	if w.Refit+w.FluxGroup+w.RefitSplitMerge > 0 {
		switch {
		case c.RefitNeighbours < 1 || c.RefitNeighbours > maxRefit:
			return fmt.Errorf("refit neighbours must lie in [1, %d], got %d", maxRefit, c.RefitNeighbours)
		case !(c.RefitRadius > 0) || math.IsInf(c.RefitRadius, 0):
			return fmt.Errorf("refit radius must be positive, got %g", c.RefitRadius)
		case !(c.RefitScale >= 1) || math.IsInf(c.RefitScale, 0):
			return fmt.Errorf("refit scale must be at least 1, got %g", c.RefitScale)
		}
	}
	return nil
}

func inUnit(v float64) bool { return v >= 0 && v <= 1 }
