package sampler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/render"
)

// MoveType names a kind of proposal, for acceptance statistics.
type MoveType int

// The proposal types.
const (
	MoveStep MoveType = iota // move one source's position and parameters
	Birth
	Death
	Split
	Merge
	Emit           // a source hands part of its flux to a new source
	Absorb         // a source hands all its flux to a neighbour and disappears
	BackgroundStep // global background update
	FluxPriorStep  // flux-function parameter updates (one proposal per parameter)
	DensityStep    // count-prior density update (Gibbs, always accepted)
	RefitBirth     // a birth that redraws its neighbours' fluxes
	RefitDeath     // a death that redraws its neighbours' fluxes
	FluxGroup      // a joint redraw of the fluxes of a source and its neighbours
	RefitSplit     // a split that redraws its neighbours' fluxes
	RefitMerge     // a merge that redraws its neighbours' fluxes
	NumMoveTypes
)

var moveNames = [NumMoveTypes]string{"move", "birth", "death", "split", "merge", "emit", "absorb", "background", "flux_prior", "density", "refit_birth", "refit_death", "flux_group", "refit_split", "refit_merge"}

// String returns the name used in output columns ("move", "birth", …).
func (m MoveType) String() string {
	if m >= 0 && m < NumMoveTypes {
		return moveNames[m]
	}
	return fmt.Sprintf("MoveType(%d)", int(m))
}

// MoveStats counts the proposals of one type and how many were accepted.
type MoveStats struct {
	Proposed, Accepted int64
}

// Rate returns the acceptance rate, NaN when nothing was proposed.
func (s MoveStats) Rate() float64 {
	if s.Proposed == 0 {
		return math.NaN()
	}
	return float64(s.Accepted) / float64(s.Proposed)
}

// Sample is one catalogue drawn by a chain, with its diagnostics.
type Sample struct {
	// Chain is the chain's index and Index the sample's, counting burn-in samples from 0.
	Chain, Index int
	// BurnIn is true for samples that should be discarded: before Config.BurnIn, or while
	// Chain.SetBurnIn(true) is in force.
	BurnIn bool
	// Catalogue holds the sources, positions in cutout pixels.
	Catalogue *model.Catalogue
	// LogLike is the Gaussian log-likelihood −½ Σ w r² (with exact model noise
	// −½ Σ (r²/σ² + ln σ²), σ² from the current model; see Config.WeightsFromBackground) and
	// LogPrior the log prior
	// ln P(N) + Σ [ln p(θ_i) − ln A] of the catalogue.
	LogLike, LogPrior float64
	// Background is the sky level in counts above the bias: with a background that varies
	// (Config.BackgroundOrder ≥ 1), its mean over the image.
	Background float64
	// ColourMeans holds the mean colour of every band after the reference one when they are
	// sampled (model.MultiBand.ColourSpread), nil otherwise.
	ColourMeans []float64
	// Backgrounds holds every band's sky level, the reference band's first, for a chain of
	// several bands (nil for one).
	Backgrounds []float64
	// Sky holds the coefficients of a background that varies, on the model.SkyBasis of order
	// Config.BackgroundOrder over the image (the constant term's first); nil for order 0,
	// whose one coefficient is Background.
	Sky []float64
	// Density is the Poisson count prior's density in sources per pixel (sampled for a
	// model.GammaPoisson prior, fixed for a model.Poisson one; 0 for other priors).
	Density float64
	// FluxPrior is the point sources' flux prior (a model.MultiBand's reference flux prior),
	// with its sampled parameters' current values (the zero FluxPrior for other kinds).
	FluxPrior model.FluxPrior
	// Moves holds the proposals tried and accepted per type since the previous sample.
	Moves [NumMoveTypes]MoveStats
	// Passes is the number of PCAT-style proposals (passes over the active regions) since
	// the previous sample; RegionProposals counts the proposals made inside regions.
	Passes, RegionProposals int64
	// CapRefusals counts the proposals that would have added a source but were refused
	// because of Config.MaxSources since the previous sample: when it is not zero the cap
	// binds, and the samples are those of a posterior truncated there.
	CapRefusals int64
}

// Chain is one Markov chain over catalogues of an image.
type Chain struct {
	// *band is the reference band, bands[0], in whose pixels the sources' positions live: a
	// chain of one image has only it
	*band
	bands []*band
	// multi is the kind when its sources shine in several bands (a model.BandKind): their
	// parameters are then one flux per band, which every move changes in every band
	multi model.BandKind
	// fluxes is the number of flux parameters a source has: one per band for multi, else 1
	fluxes int
	kind   model.SourceKind
	point  *model.PointSource // this chain's own copy when the kind is a point source
	// flux is the flux prior of the reference flux that Config.SampleFluxPrior samples, in
	// this chain's own copy of the kind (a point source or a model.MultiBand); nil for other
	// kinds
	flux *model.FluxPrior
	// colours is the chain's own model.MultiBand; colourCentre, when its colour means are
	// sampled (model.MultiBand.ColourSpread), holds their hyperprior's centres
	colours      *model.MultiBand
	colourCentre []float64
	// splittable, for kinds of several parameters some of whose sources are described by their
	// flux alone (model.Mixed's stars), says which sources splits and merges act on
	splittable model.Splittable
	// sized, for kinds whose stamps differ by source, gives each proposal's box its sources'
	// own radii (otherwise every box reaches radius)
	sized model.SourceRadius
	cfg   Config
	index int

	size, radius, nparam int
	area                 float64
	key                  uint64 // stream key derived from (seed, chain)
	fp                   uint64 // checkpoint fingerprint, once fpDone
	fpDone               bool

	order                []int32 // sortSources' scratch
	sortX, sortY, sortTh []float64

	// state
	xs, ys, th []float64
	sky        *skyModel        // the reference band's background's other terms; nil for a scalar background
	density    float64          // the Poisson density, sampled when hier is set; 0 for other priors
	count      model.CountPrior // the count prior the moves see: Poisson at density when hier
	hier       *model.GammaPoisson
	lnFlux     []float64       // fluxPriorStep's scratch: ln f of every source
	logFluxes  model.LogFluxes // fluxPriorStep's scratch: the same, sorted, for a broken power law
	passes     uint64
	samples    int
	burnMode   burnMode // SetBurnIn's override of Config.BurnIn

	// statistics since the last sample
	stats                 [NumMoveTypes]MoveStats
	regionProps, passesNS int64
	capped                int64 // proposals refused by MaxSources

	// the reference flux prior's lower end
	fmin float64
	// the background and hyperparameter updates, which touch every pixel or source, run every
	// globalEvery passes, so that they cost about as much as one region's proposals
	globalEvery int

	// point sources with a tabulated PSF go through the fused kernels: table holds the PSF
	// (every cell's, for a field that varies), radii sizes their stamps, unit is the PSF of
	// the step sizes and the noise scale (a field's centre cell). In a chain of a
	// model.Mixed kind, mixed is the kind and star the index of its point-source member,
	// whose sources go through the kernels as a point-source chain's do (the others through
	// the kind's Render); mixed is nil for other kinds
	table *render.Table
	mixed *model.Mixed
	star  float64
	// stamps caches the stamps of the other sources when the kind sizes them by source
	// (model.SourceRadius); nil otherwise
	stamps *stampCache
	field  *psf.Field // nil unless the PSF varies across the image
	radii  interface {
		RadiusFor(flux, sigma float64) int
	}
	unit        *psf.PSF
	noiseSigma  float64 // typical pixel noise, for truncating faint sources' stamps
	guessRadius int     // stamp radius of the birth flux guess
	srcBuf      []render.Source

	// work
	threads  int
	workers  []*worker
	regions  []region
	cellReg  []int32
	colCell  []int32
	rowCell  []int32
	holes    []int32
	passRNG  *rand.Rand
	passPCG  *rand.PCG
	nextReg  atomic.Int64
	nRegions int
	passWG   sync.WaitGroup
}

// NewChain makes chain number index (0-based) for sampling img with sources of the given kind.
// The chain starts from an empty catalogue at the image's background level. Its randomness
// derives from (cfg.Seed, index) only; cfg.Threads goroutines (runtime.GOMAXPROCS(0) when 0) share its
// regions, without changing its results.
func NewChain(img *model.Image, kind model.SourceKind, cfg Config, index int) (*Chain, error) {
	return NewBandChain([]Band{{Image: img}}, kind, cfg, index)
}

// NewBandChain makes chain number index for sampling one image per band jointly: bands[0] is
// the reference band, in whose pixels positions live, and each other band's Map takes those
// pixels to its own. With more than one band the kind must be a model.BandKind of as many
// bands; a chain of one band is NewChain's. Each band has its own noise, mask and background
// (a scalar one for the bands after the first; a background that varies is not supported
// with several bands yet). Regions are sized so that they stay disjoint in every band: the
// side S satisfies S ≥ (2R_k + 1)·‖J_k⁻¹‖∞ for each band's stamp radius R_k and map J_k.
func NewBandChain(bands []Band, kind model.SourceKind, cfg Config, index int) (*Chain, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(bands) == 0 || kind == nil {
		return nil, errors.New("no image or no source kind given")
	}
	for k, b := range bands {
		if b.Image == nil {
			return nil, fmt.Errorf("band %d has no image", k)
		}
		if err := b.Image.Validate(); err != nil {
			if len(bands) > 1 {
				return nil, fmt.Errorf("band %d: %v", k, err)
			}
			return nil, err
		}
	}
	if index < 0 {
		return nil, fmt.Errorf("chain index must not be negative, got %d", index)
	}
	img := bands[0].Image
	c := &Chain{kind: kind, cfg: cfg, index: index, fluxes: 1}
	if bk, ok := kind.(model.BandKind); ok {
		if bk.Bands() != len(bands) {
			return nil, fmt.Errorf("source kind %q has %d bands, but %d images are given", kind.Name(), bk.Bands(), len(bands))
		}
		c.multi, c.fluxes, c.fmin = bk, bk.Bands(), bk.MinFlux()
		if mb, ok := kind.(*model.MultiBand); ok {
			if err := mb.Validate(); err != nil {
				return nil, err
			}
			cp := *mb // the chain's own, whose flux prior and colour means it samples
			cp.Colours = slices.Clone(mb.Colours)
			c.kind, c.multi, c.flux, c.colours = &cp, &cp, &cp.Flux, &cp
			if mb.ColourSpread > 0 {
				for _, col := range mb.Colours {
					c.colourCentre = append(c.colourCentre, col.Mean)
				}
			}
		} else {
			c.cfg.SampleFluxPrior = false // the kind holds its own priors
		}
	} else if len(bands) > 1 {
		return nil, fmt.Errorf("source kind %q is not a multi-band kind, but %d images are given", kind.Name(), len(bands))
	}
	if len(bands) > 1 && cfg.BackgroundOrder > 0 {
		return nil, errors.New("a background that varies (background order above 0) is not supported with several bands yet")
	}
	for k, b := range bands {
		nb := &band{k: k, img: b.Image, w: b.Image.Width, h: b.Image.Height, mapping: model.Identity()}
		if k > 0 {
			nb.mapping = b.Map
			if n := b.Map.InverseNorm(); math.IsInf(n, 1) {
				return nil, fmt.Errorf("band %d: the map from the reference band is singular or not finite", k)
			}
		}
		c.bands = append(c.bands, nb)
	}
	c.band = c.bands[0]
	if ps, ok := kind.(*model.PointSource); ok {
		if err := ps.Flux.Validate(); err != nil {
			return nil, err
		}
		cp := *ps
		c.point = &cp
		c.kind = &cp
		c.flux = &cp.Flux
		c.fmin = cp.Flux.Min
	} else if c.multi == nil {
		c.cfg.SampleFluxPrior = false // other kinds hold their own priors
		if sp, ok := kind.(model.Splittable); ok {
			c.splittable = sp
			c.fmin = sp.MinFlux()
		}
		if c.sized, _ = kind.(model.SourceRadius); c.sized != nil {
			c.stamps = &stampCache{m: map[uint64]*stamp{}}
		}
	}
	c.count, c.density = cfg.CountPrior, 0
	switch cp := cfg.CountPrior.(type) {
	case model.Poisson:
		c.density = cp.Density
	case model.GammaPoisson:
		c.hier = &cp
		c.density = cp.Shape / (cp.Rate + float64(img.Width*img.Height)) // redrawn in the first pass
		c.count = cp.Conditional(c.density)
	}
	c.nparam = len(kind.Params())
	if c.nparam < 1 {
		return nil, fmt.Errorf("source kind %q has no flux parameter", kind.Name())
	}
	if c.multi != nil && c.nparam != c.fluxes {
		return nil, fmt.Errorf("multi-band kind %q has %d parameters, want one flux per band (%d)", kind.Name(), c.nparam, c.fluxes)
	}
	c.radius = kind.Radius()
	if c.radius < 0 {
		return nil, fmt.Errorf("source kind %q has negative radius", kind.Name())
	}
	minSize := 2*c.radius + 1
	for _, b := range c.bands {
		b.stamp = c.radius
		if b.k > 0 {
			if b.stamp = c.multi.BandRadius(b.k); b.stamp < 0 {
				return nil, fmt.Errorf("source kind %q has negative radius in band %d", kind.Name(), b.k)
			}
			minSize = max(minSize, int(math.Ceil(float64(2*b.stamp+1)*b.mapping.InverseNorm()*(1+1e-12))))
		}
	}
	c.size = cfg.RegionSize
	if c.size == 0 {
		c.size = max(20, minSize)
	}
	if c.size <= 2*c.radius {
		return nil, fmt.Errorf("region size %d must exceed twice the source radius %d", c.size, c.radius)
	}
	if c.size < minSize {
		return nil, fmt.Errorf("region size %d must be at least %d for regions to stay disjoint in every band", c.size, minSize)
	}
	if img.Width <= 2*c.radius || img.Height <= 2*c.radius {
		return nil, fmt.Errorf("image of %d×%d pixels is smaller than the PSF stamp (%d pixels wide)", img.Width, img.Height, 2*c.radius+1)
	}
	c.area = float64(c.w * c.h)
	c.globalEvery = max(1, c.w*c.h/(c.size*c.size*4))
	c.key = mix(cfg.Seed ^ mix(uint64(index)+0x9e37))
	for _, b := range c.bands {
		if err := b.init(cfg.WeightsFromBackground); err != nil {
			if len(c.bands) > 1 {
				return nil, fmt.Errorf("band %d: %v", b.k, err)
			}
			return nil, err
		}
	}
	if cfg.BackgroundOrder > 0 {
		if err := c.newSky(); err != nil {
			return nil, err
		}
	}
	c.computeWeights()
	if c.sky != nil {
		if err := c.checkSky(); err != nil {
			return nil, err
		}
	}
	for _, b := range c.bands {
		if err := c.stepConstants(b); err != nil {
			return nil, err
		}
	}
	if c.point != nil {
		if err := c.usePSF(c.point.PSF); err != nil {
			return nil, err
		}
		if c.table != nil && !cfg.ExactStamps {
			c.noiseSigma = math.Sqrt(c.sigF2 * sumSq(c.unit))
		}
	} else if m, ok := kind.(*model.Mixed); ok {
		if err := c.useStars(m); err != nil {
			return nil, err
		}
	}
	if c.table != nil {
		c.guessRadius = c.radiusFor(10 * c.fmin)
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	c.threads = threads
	c.workers = make([]*worker, threads)
	for i := range c.workers {
		c.workers[i] = newWorker(c)
	}
	c.passPCG = rand.NewPCG(0, 0)
	c.passRNG = rand.New(c.passPCG)
	c.refresh()
	return c, nil
}

// Index returns the chain's number.
func (c *Chain) Index() int { return c.index }

// SamplesDone returns how many samples (burn-in included) the chain has produced.
func (c *Chain) SamplesDone() int { return c.samples }

// computeWeights sets every band's inverse variance and its square root from its noise model
// and, for NoiseFromModel, the current source model (band.computeWeights).
func (c *Chain) computeWeights() {
	for _, b := range c.bands {
		var sky []float64
		if b.k == 0 && c.sky != nil && b.img.Noise == model.NoiseFromModel {
			sky = c.skyMap()
		}
		b.computeWeights(sky, c.cfg.WeightsFromBackground)
	}
	c.weightsChanged()
}

// weightsChanged derives what depends on the weights after they change: their square roots
// (the birth map's) and the background's Gram matrix.
func (c *Chain) weightsChanged() {
	for _, b := range c.bands {
		b.weightsChanged()
	}
	if c.sky != nil {
		c.sky.gramOK = false
	}
}

// stepConstants derives the Fisher-information step sizes from a unit source of the kind: the
// background-limited flux variance σ_F² = 1/(w̄ Σψ²) with w̄ the median weight, and
// posFac = sqrt(Σψ² / Σ(∂ψ/∂x)²), so that the position standard deviation of a source of flux
// f is sqrt(σ_F² + f/gain)·posFac/f (= 1/(f sqrt(w̄ Σ(∂ψ/∂x)²)) when background-limited).
// Each band gets its own, from its weights and its PSF (positions step by the reference
// band's posFac).
func (c *Chain) stepConstants(b *band) error {
	params := make([]float64, c.nparam)
	c.kind.SamplePrior(rand.New(rand.NewPCG(1, 2)), params)
	params[b.k] = 1
	var err error
	b.sigF2, b.posFac, err = c.unitConstants(b, params)
	return err
}

// unitConstants returns stepConstants' σ_F² and posFac in band b for the source with
// parameters params (its flux in band b being 1).
func (c *Chain) unitConstants(b *band, params []float64) (sigF2, posFac float64, err error) {
	ws := make([]float64, 0, len(b.weight))
	for _, w := range b.weight {
		if w > 0 {
			ws = append(ws, float64(w))
		}
	}
	if len(ws) == 0 {
		return 0, 0, errors.New("every pixel has zero weight")
	}
	wbar := order.UpperMedian(ws)
	s := 2*b.stamp + 3
	stamp := func(dx float64) []float32 {
		buf := make([]float32, s*s)
		c.renderBand(b.k, model.Box{Pix: buf, Stride: s, W: s, H: s}, float64(s/2)+dx, float64(s/2), params, 1)
		return buf
	}
	p0, pp, pm := stamp(0), stamp(0.05), stamp(-0.05)
	f2, g := 0.0, 0.0
	for i := range p0 {
		f2 += float64(p0[i]) * float64(p0[i])
		d := (float64(pp[i]) - float64(pm[i])) / 0.1
		g += d * d
	}
	if !(f2 > 0) || !(g > 0) {
		return 0, 0, fmt.Errorf("source kind %q renders no light", c.kind.Name())
	}
	return 1 / (wbar * f2), math.Sqrt(f2 / g), nil
}

// usePSF sets up the fused kernels for point sources seen through p (a psf.Field or psf.PSF;
// other profiles keep the kind's Render, leaving the table nil).
func (c *Chain) usePSF(p model.Profile) error {
	var field *psf.Field
	switch p := p.(type) {
	case *psf.Field:
		field = p
	case *psf.PSF:
		if p.Table() != nil {
			field = psf.Uniform(p)
		} else {
			// a PSF assembled by hand: render with its one-piece table
			t, err := render.NewTable(p.Coeffs, p.Size)
			if err != nil {
				return err
			}
			c.table, c.radii, c.unit = t, p, p
		}
	}
	if field != nil {
		t, err := field.Table()
		if err != nil {
			return err
		}
		c.table, c.radii, c.unit = t, field, field.Centre()
		if field.NX*field.NY > 1 {
			c.field = field
		}
	}
	return nil
}

// useStars gives the point-source member of a model.Mixed kind, when its PSF is tabulated,
// the point-source chain's kernels: its sources are drawn on the same stamps, truncated at the
// same noise scale (from the star's own step constants, whatever kind stepConstants drew), as
// in a chain of stars alone.
func (c *Chain) useStars(m *model.Mixed) error {
	for k, member := range m.Kinds {
		ps, ok := member.(*model.PointSource)
		if !ok {
			continue
		}
		if err := c.usePSF(ps.PSF); err != nil || c.table == nil {
			return err
		}
		c.mixed, c.star = m, float64(k)
		if !c.cfg.ExactStamps {
			params := make([]float64, c.nparam)
			params[0], params[1] = 1, c.star
			sigF2, _, err := c.unitConstants(c.band, params)
			if err != nil {
				return err
			}
			c.noiseSigma = math.Sqrt(sigF2 * sumSq(c.unit))
		}
		return nil
	}
	return nil
}

// isStar reports whether the source with parameters th goes through the point-source kernels:
// every source of a point-source chain with a render table, a model.Mixed chain's stars.
func (c *Chain) isStar(th []float64) bool {
	return c.table != nil && (c.mixed == nil || th[1] == c.star)
}

// starsOnly reports whether every source of the chain goes through the point-source kernels
// (a point-source chain with a render table): the moves that only point sources make
// (the birth flux guess, the refit moves) need it.
func (c *Chain) starsOnly() bool { return c.table != nil && c.mixed == nil }

// sumSq returns Σψ² of the PSF's centred stamp.
func sumSq(p *psf.PSF) float64 {
	s := 0.0
	for _, v := range p.Stamp(0, 0) {
		s += v * v
	}
	return s
}

// radiusFor is the stamp radius with which the model renders a point source of flux f: the
// whole stamp with Config.ExactStamps, otherwise the part outside which no pixel gets more
// than 0.1 of the typical pixel noise (psf.PSF.RadiusFor).
func (c *Chain) radiusFor(f float64) int {
	return c.radii.RadiusFor(math.Abs(f), c.noiseSigma)
}

// source places a point source on the render table, on its cell's PSF when the PSF varies.
func (c *Chain) source(x, y, flux float64, radius int) render.Source {
	if c.field != nil {
		return c.table.CellSource(c.field.CellOf(x, y), x, y, flux, radius)
	}
	return c.table.Source(x, y, flux, radius)
}

// fluxSigma is the reference band's flux step for a source of flux f.
func (c *Chain) fluxSigma(f float64) float64 { return c.bandFluxSigma(c.band, f) }

// bandFluxSigma is band b's flux step for a source of flux f there.
func (c *Chain) bandFluxSigma(b *band, f float64) float64 {
	return c.cfg.StepScale * math.Sqrt(b.sigF2+math.Max(f, 0)/b.img.Gain)
}

// posSigma is the position step for a source of flux f.
func (c *Chain) posSigma(f float64) float64 {
	f = math.Max(f, 1e-300)
	return math.Min(c.fluxSigma(f)*c.posFac/f, float64(c.size))
}

// refresh recomputes the model image and the residual from scratch.
func (c *Chain) refresh() {
	clear(c.modelImg)
	p := c.nparam
	if c.table != nil {
		c.srcBuf = c.srcBuf[:0]
		for i := range c.xs {
			if th := c.th[i*p : (i+1)*p]; c.isStar(th) {
				c.srcBuf = append(c.srcBuf, c.source(c.xs[i], c.ys[i], th[0], c.radiusFor(th[0])))
			}
		}
		render.Render(c.modelImg, c.w, c.w, c.h, c.table, c.srcBuf)
	}
	if c.stamps != nil {
		c.refreshStamps()
	} else if !c.starsOnly() {
		box := model.Box{Pix: c.modelImg, Stride: c.w, W: c.w, H: c.h}
		for i := range c.xs {
			if th := c.th[i*p : (i+1)*p]; !c.isStar(th) {
				c.kind.Render(box, c.xs[i], c.ys[i], th, 1)
			}
		}
	}
	for _, b := range c.bands[1:] {
		c.refreshBand(b)
	}
	if c.sky != nil {
		c.skyResidual()
		return
	}
	c.band.residual()
}

// modelNoise reports whether some band's weights follow the model (NoiseFromModel without
// WeightsFromBackground), to be refreshed during burn-in.
func (c *Chain) modelNoise() bool {
	for _, b := range c.bands {
		if b.img.Noise == model.NoiseFromModel && !c.cfg.WeightsFromBackground {
			return true
		}
	}
	return false
}

// backgrounds returns every band's sky level for a chain of several bands, nil for one.
func (c *Chain) backgrounds() []float64 {
	if len(c.bands) == 1 {
		return nil
	}
	bg := make([]float64, len(c.bands))
	for k, b := range c.bands {
		bg[k] = b.bg
	}
	bg[0] = c.meanSky()
	return bg
}

// logLike returns the sum over the bands of band.logLike.
func (c *Chain) logLike() float64 {
	if c.cfg.NoLikelihood {
		return 0
	}
	ll := c.band.logLike()
	for _, b := range c.bands[1:] {
		ll += b.logLike()
	}
	return ll
}

// deltaSum accumulates the change of the exact model-noise log-likelihood over pixels,
// −½ Σ [(r−d)²/σ²(m+d) − r²/σ²(m) + ln(σ²(m+d)/σ²(m))], with the logarithms summed as the
// logarithm of a running product of the variance ratios (taken whenever the product leaves
// [1e−200, 1e200]; each ratio lies within 1e±100 for any image), so that a whole stamp costs
// one or two logarithms instead of one per pixel.
type deltaSum struct {
	chi2, lnSum, prod float64
}

// add adds a pixel whose residual r and variance v become r − d and v2 as its model grows by d.
func (s *deltaSum) add(r, d, v, v2 float64) {
	iv := 1 / v
	s.chi2 += (r-d)*(r-d)/v2 - r*r*iv
	s.prod *= v2 * iv
	if s.prod > 1e200 || s.prod < 1e-200 {
		s.lnSum += math.Log(s.prod)
		s.prod = 1
	}
}

// value returns the change of ln L.
func (s *deltaSum) value() float64 {
	return -0.5 * (s.chi2 + s.lnSum + math.Log(s.prod))
}

// logPrior returns ln P(N) + Σ [ln p(θ_i) − ln A], plus the hyperpriors' log densities of
// sampled hyperparameters (for a model.GammaPoisson prior, ln P(N | ρ) + ln p(ρ), both
// normalised, in place of ln P(N)).
func (c *Chain) logPrior() float64 {
	n := len(c.xs)
	lp := c.count.LogPrior(n, c.area)
	if c.hier != nil {
		lp = c.hier.LogJoint(n, c.area, c.density)
	}
	lp += c.fluxHyperLogPrior() + c.colourHyperLogPrior() - float64(n)*math.Log(c.area)
	p := c.nparam
	for i := 0; i < n; i++ {
		lp += c.kind.LogPrior(c.th[i*p : (i+1)*p])
	}
	return lp
}

// Next advances the chain by Config.Proposals passes and returns the sample it reaches. When
// ctx is cancelled it returns ctx.Err(), and the chain must be restored from a checkpoint
// before further use.
func (c *Chain) Next(ctx context.Context) (Sample, error) {
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}
	c.stats = [NumMoveTypes]MoveStats{}
	c.regionProps, c.passesNS, c.capped = 0, 0, 0
	c.sortSources()
	stop := c.startHelpers()
	for k := 0; k < c.cfg.Proposals; k++ {
		if k&63 == 63 {
			if err := ctx.Err(); err != nil {
				stop()
				return Sample{}, err
			}
		}
		c.pass()
	}
	stop()
	c.refresh()
	burn := c.inBurnIn()
	if burn && c.modelNoise() {
		c.computeWeights()
	}
	s := Sample{
		Chain: c.index, Index: c.samples, BurnIn: burn,
		Catalogue:  c.catalogue(),
		LogLike:    c.logLike(),
		LogPrior:   c.logPrior(),
		Background: c.meanSky(), Sky: c.sampleSky(), Backgrounds: c.backgrounds(), Density: c.density,
		Moves:  c.stats,
		Passes: c.passesNS, RegionProposals: c.regionProps,
		CapRefusals: c.capped, FluxPrior: c.fluxPrior(), ColourMeans: c.ColourMeans(),
	}
	c.samples++
	return s, nil
}

// sortBand is the height in pixels of the bands sortSources orders sources by.
const sortBand = 4

// sortSources puts the sources in raster order of bands sortBand pixels high (by band, then x)
// at the start of every sample. Their order is only a labelling, so the posterior is
// unchanged; but each pass assigns every source to the region holding it, and in raster order
// consecutive sources mostly fall in the same region, which the processor's branch prediction
// and caches reward (a third of a pass went to that assignment in random order).
func (c *Chain) sortSources() {
	n := len(c.xs)
	if cap(c.order) < n {
		c.order = make([]int32, n)
	}
	order := c.order[:n]
	for i := range order {
		order[i] = int32(i)
	}
	band := func(i int32) int { return int(c.ys[i]+0.5) / sortBand }
	slices.SortFunc(order, func(a, b int32) int {
		if d := cmp.Compare(band(a), band(b)); d != 0 {
			return d
		}
		if d := cmp.Compare(c.xs[a], c.xs[b]); d != 0 {
			return d
		}
		return cmp.Compare(a, b)
	})
	p := c.nparam
	xs, ys, th := c.sortX[:0], c.sortY[:0], c.sortTh[:0]
	for _, i := range order {
		xs, ys = append(xs, c.xs[i]), append(ys, c.ys[i])
		th = append(th, c.th[int(i)*p:int(i+1)*p]...)
	}
	c.xs, c.sortX = xs, c.xs
	c.ys, c.sortY = ys, c.ys
	c.th, c.sortTh = th, c.th
}

// catalogue copies the current sources into a new Catalogue.
func (c *Chain) catalogue() *model.Catalogue {
	n := len(c.xs)
	cat := &model.Catalogue{
		X:    append(make([]float64, 0, n), c.xs...),
		Y:    append(make([]float64, 0, n), c.ys...),
		Flux: make([]float64, n),
	}
	p := c.nparam
	if p > 1 {
		cat.Extra = make([][]float64, p-1)
		for k := range cat.Extra {
			cat.Extra[k] = make([]float64, n)
		}
	}
	for i := 0; i < n; i++ {
		cat.Flux[i] = c.th[i*p]
		for k := 1; k < p; k++ {
			cat.Extra[k-1][i] = c.th[i*p+k]
		}
	}
	return cat
}

// startHelpers starts the extra region workers for one call of Next and returns the function
// that stops them.
func (c *Chain) startHelpers() func() {
	if len(c.workers) == 1 {
		return func() {}
	}
	var wg sync.WaitGroup
	for _, w := range c.workers[1:] {
		w.start = make(chan bool)
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for range w.start {
				c.drainRegions(w)
				c.passWG.Done()
			}
		}(w)
	}
	return func() {
		for _, w := range c.workers[1:] {
			close(w.start)
		}
		wg.Wait()
	}
}

// drainRegions runs active regions until none is left.
func (c *Chain) drainRegions(w *worker) {
	for {
		ri := int(c.nextReg.Add(1) - 1)
		if ri >= c.nRegions {
			return
		}
		w.runRegion(&c.regions[ri], ri)
	}
}

// mix is the splitmix64 finaliser, used to derive independent stream seeds.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// streamSeeds returns the PCG seeds of the stream for (pass, sub) of this chain; sub 0 is the
// pass-level stream, sub r+1 the stream of active region r.
func (c *Chain) streamSeeds(pass uint64, sub int) (uint64, uint64) {
	return c.key, mix(mix(pass) ^ uint64(sub))
}

// fluxPriorEvery is how many global updates pass per update of the flux function: it sums a
// logarithm per source (14 µs for 1413 sources on M2, BenchmarkM2HyperSteps), about a third
// of a default pass (35–48 µs), so one in sixteen keeps it to a few per cent of a run; the
// slope's exact Gibbs draw mixes in one update, and a sample of 250 default passes (global
// updates every 4–6 passes on M2) holds about three of them.
const fluxPriorEvery = 16

// pass makes one PCAT-style proposal: global updates, then one sweep over the active regions.
func (c *Chain) pass() {
	c.passPCG.Seed(c.streamSeeds(c.passes, 0))
	rng := c.passRNG
	if c.passes%uint64(c.globalEvery) == 0 {
		if c.cfg.SampleBackground {
			if c.sky != nil {
				c.skyStep(rng)
			} else {
				c.backgroundStep(rng)
			}
		}
		if c.hier != nil {
			c.densityStep(rng)
		}
		if c.cfg.SampleFluxPrior && c.passes%uint64(fluxPriorEvery*c.globalEvery) == 0 {
			c.fluxPriorStep(rng)
		}
		if c.colourCentre != nil && c.passes%uint64(fluxPriorEvery*c.globalEvery) == 0 {
			c.colourStep(rng)
		}
	}
	S := c.size
	ox, oy := rng.IntN(S), rng.IntN(S)
	parx, pary := rng.IntN(2), rng.IntN(2)
	na := (c.w-ox+S-1)/S + 1
	nb := (c.h-oy+S-1)/S + 1
	if cap(c.cellReg) < na*nb {
		c.cellReg = make([]int32, na*nb)
	}
	cells := c.cellReg[:na*nb]
	nreg := 0
	for b := 0; b < nb; b++ {
		for a := 0; a < na; a++ {
			cells[b*na+a] = -1
			if a%2 != parx || b%2 != pary {
				continue
			}
			x0, x1 := max(ox+(a-1)*S, 0), min(ox+a*S, c.w)
			y0, y1 := max(oy+(b-1)*S, 0), min(oy+b*S, c.h)
			if x0 >= x1 || y0 >= y1 {
				continue
			}
			if nreg == len(c.regions) {
				c.regions = append(c.regions, region{})
			}
			c.regions[nreg].reset(x0, y0, x1, y1, c.nparam)
			cells[b*na+a] = int32(nreg)
			nreg++
		}
	}
	// assign sources to the active regions through per-pass lookup tables of cell columns and
	// rows (positions are ≥ −½, so int(x+½) is the pixel)
	if cap(c.colCell) < c.w {
		c.colCell = make([]int32, c.w)
	}
	if cap(c.rowCell) < c.h {
		c.rowCell = make([]int32, c.h)
	}
	colCell, rowCell := c.colCell[:c.w], c.rowCell[:c.h]
	for px := range colCell {
		colCell[px] = int32((px - ox + S) / S)
	}
	for py := range rowCell {
		rowCell[py] = int32(((py - oy + S) / S) * na)
	}
	n := len(c.xs)
	p := c.nparam
	for i := 0; i < n; i++ {
		px := min(int(c.xs[i]+0.5), c.w-1)
		py := min(int(c.ys[i]+0.5), c.h-1)
		if ri := cells[rowCell[py]+colCell[px]]; ri >= 0 {
			r := &c.regions[ri]
			r.add(c.xs[i], c.ys[i], c.th[i*p:(i+1)*p])
			r.slots = append(r.slots, int32(i))
		}
	}
	for ri := 0; ri < nreg; ri++ {
		c.regions[ri].n0 = c.regions[ri].n
		c.regions[ri].nStart = n
	}
	c.setBudgets(nreg, n)
	// run them
	c.nRegions = nreg
	c.nextReg.Store(0)
	helpers := c.workers[1:]
	if nreg > 1 && len(helpers) > 0 {
		k := min(len(helpers), nreg-1)
		c.passWG.Add(k)
		for _, w := range helpers[:k] {
			w.start <- true
		}
		c.drainRegions(c.workers[0])
		c.passWG.Wait()
	} else {
		c.drainRegions(c.workers[0])
	}
	// write the regions' sources back into their slots, in region order; extra sources go
	// to the end, and slots left empty are filled from the end
	holes := c.holes[:0]
	for ri := 0; ri < nreg; ri++ {
		r := &c.regions[ri]
		m := min(r.n, len(r.slots))
		for k := 0; k < m; k++ {
			i := int(r.slots[k])
			c.xs[i], c.ys[i] = r.x[k], r.y[k]
			copy(c.th[i*p:(i+1)*p], r.th[k*p:(k+1)*p])
		}
		if r.n > m {
			c.xs = append(c.xs, r.x[m:]...)
			c.ys = append(c.ys, r.y[m:]...)
			c.th = append(c.th, r.th[m*p:]...)
		} else {
			holes = append(holes, r.slots[m:]...)
		}
		for t := range r.stats {
			c.stats[t].Proposed += r.stats[t].Proposed
			c.stats[t].Accepted += r.stats[t].Accepted
		}
		c.capped += r.capped
		c.regionProps += int64(c.cfg.RegionProposals)
	}
	if len(holes) > 0 {
		slices.Sort(holes)
		for len(holes) > 0 {
			last := len(c.xs) - 1
			if int(holes[len(holes)-1]) == last {
				holes = holes[:len(holes)-1]
			} else {
				i := int(holes[0])
				holes = holes[1:]
				c.xs[i], c.ys[i] = c.xs[last], c.ys[last]
				copy(c.th[i*p:(i+1)*p], c.th[last*p:])
			}
			c.xs, c.ys, c.th = c.xs[:last], c.ys[:last], c.th[:last*p]
		}
	}
	c.holes = holes
	c.passes++
	c.passesNS++
}

// backgroundStep updates the background level, which has a flat prior. Given the catalogue
// and the weights, adding δ to the model changes ln L by Σ w δ (r − δ/2) = δ Σ w r − δ²/2 Σ w:
// the conditional posterior of the background is exactly Gaussian, with mean b + Σ w r / Σ w
// and standard deviation 1/sqrt(Σ w). The step is a Gibbs draw from it (always accepted), so
// a background that starts far from its posterior (an SDSS sky that leaves out a cluster's
// unresolved light) gets there in one step instead of a random walk of ~σ/sqrt(pixels)
// steps. With the likelihood switched off the conditional is the improper flat prior, and
// the step is a symmetric random walk b' = b + StepScale·z/sqrt(Σ w), always accepted.
//
// With exact model noise (band.exact) the variances change with the background, so the
// conditional is no longer Gaussian. The step is then two Metropolis–Hastings steps in turn,
// each of which keeps the conditional (so their composition does), with g the exact ln L's
// derivative in b and H its Fisher information Σ (1/σ² + ½ (σ²)′²/σ⁴):
//
//   - (every fourth update) an independence proposal b' = b* + τz, z standard Cauchy, about the mode b*
//     (backgroundMode: Newton–Fisher steps), τ = 1/√H(b*); neither depends on the current b, so
//     ln α = ΔlnL + ln q(b) − ln q(b') with ln q(x) = −ln(1 + ((x − b*)/τ)²) + const. Its tails
//     are heavier than the conditional's, so it reaches the mode in one step from however far
//     away: from a start 15 posterior widths above it (TestModelNoiseBackground), or on a NICMOS
//     cutout whose starting sky was 300 widths too high, the second step alone never moved (its
//     reverse proposal was e^−4000 too unlikely);
//   - a Fisher-scoring proposal from b, b' = b + g/H + z/√H, the reverse built the same way at
//     b', so ln α = ΔlnL + ln N(b − b'; g'/H', 1/H') − ln N(b' − b; g/H, 1/H): it accepts nearly
//     every step when the conditional is close to Gaussian, and mixes locally between the
//     independence steps.
//
// The background is held at its starting value for the first half of Config.BurnIn, while births find the
// sources: from an empty catalogue the exact conditional explains the stars' light as noise
// with a high background (σ² grows with it), a state births then hardly leave; and the
// weighted-mean Gibbs draw, which ignores how σ² follows the model, let one field in six of the
// issue-11 design run away to a background of −100 to −4700 filled with false sources (a log
// posterior thousands below the truth's). Held, then exact: calibrated (experiments/sbc).
//
// With several bands each band's background is updated in turn, in band order.
func (c *Chain) backgroundStep(rng *rand.Rand) {
	for _, b := range c.bands {
		c.stats[BackgroundStep].Proposed++
		if c.bandBackgroundStep(b, rng) {
			c.stats[BackgroundStep].Accepted++
		}
	}
}

// bandBackgroundStep is backgroundStep's update of band b's background; it reports whether
// the background changed.
func (c *Chain) bandBackgroundStep(b *band, rng *rand.Rand) bool {
	var d float64
	if b.exact && !c.cfg.NoLikelihood {
		if c.backgroundHeld() {
			return false
		}
		moved := false
		// the independence step about the conditional's mode, every independenceEvery updates
		// (it costs a few passes over the pixels; the schedule depends on the pass count only)
		if c.passes%uint64(independenceEvery*c.globalEvery) == 0 {
			if mode, h := b.backgroundMode(); h > 0 {
				tau := 1 / math.Sqrt(h)
				z := math.Tan(math.Pi * (rng.Float64() - 0.5)) // Cauchy
				d := mode + tau*z
				_, _, dll := b.backgroundScore(d)
				if math.Log(rng.Float64()) < dll-math.Log1p((mode/tau)*(mode/tau))+math.Log1p(z*z) {
					b.shiftBackground(d)
					moved = true
				}
			}
		}
		// the Fisher-scoring step
		g, h, _ := b.backgroundScore(0)
		if !(h > 0) {
			return moved
		}
		d = g/h + rng.NormFloat64()/math.Sqrt(h)
		g2, h2, dll := b.backgroundScore(d)
		e, e2 := d-g/h, -d-g2/h2
		la := dll + 0.5*math.Log(h2/h) - 0.5*h2*e2*e2 + 0.5*h*e*e
		if !(math.Log(rng.Float64()) < la) {
			return moved
		}
	} else {
		sw, swr := b.weightedResidual()
		if sw == 0 {
			return false
		}
		d = rng.NormFloat64() / math.Sqrt(sw)
		if c.cfg.NoLikelihood {
			d *= c.cfg.StepScale
		} else {
			d += swr / sw
		}
	}
	b.shiftBackground(d)
	return true
}

// shiftBackground raises the band's background by d.
func (b *band) shiftBackground(d float64) {
	b.bg += d
	fd := float32(d)
	for i := range b.resid {
		b.resid[i] -= fd
	}
}

// weightedResidual returns Σ w and Σ w r over the band's pixels.
func (b *band) weightedResidual() (sw, swr float64) {
	for i, w := range b.weight {
		sw += float64(w)
		swr += float64(w) * float64(b.resid[i])
	}
	return sw, swr
}

// independenceEvery is how many exact background updates make one independence step (see
// backgroundStep).
const independenceEvery = 4

// backgroundMode returns the mode of the band's exact model-noise conditional of the
// background, as its offset from the current background, and the Fisher information there
// (0 when it cannot be found): Newton–Fisher steps d ← d + g(d)/H(d), at most four and until one
// is below a tenth of 1/√H (the proposal needs a centre, not an exact one), from the weighted
// mean Σ w r / Σ w. Neither the start nor the steps depend on the current background
// (only on b + d, the data and the model; the weights are fixed while samples are kept), so an
// independence proposal centred there is a valid Metropolis–Hastings proposal.
func (b *band) backgroundMode() (d, h float64) {
	sw, swr := b.weightedResidual()
	if sw == 0 {
		return 0, 0
	}
	d = swr / sw
	for range 4 {
		g, hd, _ := b.backgroundScore(d)
		if !(hd > 0) {
			return 0, 0
		}
		step := g / hd
		d, h = d+step, hd
		if math.Abs(step)*math.Sqrt(hd) < 0.1 {
			break
		}
	}
	return d, h
}

// backgroundHeld reports whether the background is held: with exact model noise, for the
// first half of Config.BurnIn (see backgroundStep for why).
func (c *Chain) backgroundHeld() bool { return c.samples < c.cfg.BurnIn/2 }

// backgroundScore returns, for the exact model-noise likelihood with the background raised by
// d, its derivative g in the background and Fisher information h, and (for d ≠ 0) the change
// of ln L from the current state. Per pixel, with r the residual and σ² = v(m), v′ = dv/dm:
// ∂ℓ/∂b = r/σ² + ½ v′ (r²/σ² − 1)/σ², and the expected −∂²ℓ/∂b² = 1/σ² + ½ v′²/σ⁴.
func (b *band) backgroundScore(d float64) (g, h, dll float64) {
	ds := deltaSum{prod: 1}
	for i, w := range b.weight {
		if w == 0 {
			continue
		}
		gi, hi := b.pixelScore(i, d, &ds)
		g += gi
		h += hi
	}
	if d != 0 {
		dll = ds.value()
	}
	return g, h, dll
}

// pixelScore returns pixel i's terms of the exact model-noise likelihood's derivative in the
// background and of its Fisher information (see backgroundScore) with the background there
// raised by d, and adds the pixel's change of ln L to ds when d ≠ 0.
func (b *band) pixelScore(i int, d float64, ds *deltaSum) (g, h float64) {
	r0 := float64(b.resid[i])
	m0 := float64(b.data[i]) - r0
	m, r := m0+d, r0-d
	v := b.vm.At(i, m)
	iv, dv := 1/v, b.vm.Slope(m)
	if d != 0 {
		ds.add(r0, d, b.vm.At(i, m0), v)
	}
	return r*iv + 0.5*dv*iv*(r*r*iv-1), iv + 0.5*dv*dv*iv*iv
}
