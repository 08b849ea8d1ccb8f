package sampler

import (
	"math"
	"math/rand/v2"

	"github.com/probcat/probcat/model"
	"gonum.org/v1/gonum/stat/distuv"
)

// MaxBreakRatio bounds a sampled flux break: f_b is log-uniform on (f_min, MaxBreakRatio·f_min],
// up to ten magnitudes above the threshold, which covers any break a field's stars can show.
const MaxBreakRatio = 1e4

// densityStep is the Gibbs update of the Poisson count prior's density ρ under its
// model.GammaPoisson hyperprior. Given the catalogue, ρ enters the posterior only through
// P(N | ρ) p(ρ) ∝ ρ^N e^(−ρA) · ρ^(a−1) e^(−bρ), so its conditional is exactly
// Gamma(a + N, b + A); the step draws from it and is always accepted. It runs between
// passes, so the regions of a pass, which change N in parallel, all see the same ρ.
// (While Config.MaxSources binds, P(N | ρ) is truncated and the draw ignores the
// truncation's normalisation: exact only while Sample.CapRefusals is 0.)
func (c *Chain) densityStep(rng *rand.Rand) {
	c.stats[DensityStep].Proposed++
	c.density = c.hier.SampleDensity(rng, len(c.xs), c.area)
	c.count = c.hier.Conditional(c.density)
	c.stats[DensityStep].Accepted++
}

// fluxPriorStep updates the parameters φ of the flux function (the point sources' flux
// prior p(f | φ)): a power law's slope by an exact Gibbs draw, a broken power law's three
// parameters by slice sampling. Hyperpriors:
//
//   - power law: α − 1 ~ Gamma(SlopeShape, SlopeShape) truncated to (0, MaxSlope − 1], mean 1
//     (PCAT's α = 2) and standard deviation 0.32: weakly informative, so that a field with a
//     few sources cannot wander to slopes near 1, whose births draw fluxes of 10⁸⁰ (with
//     hundreds of sources the fluxes set the slope: its posterior shape is SlopeShape + N);
//   - broken power law: α₁ (below the break) flat on [−MaxSlope, MaxSlope], α₂ (above) flat
//     on (1, MaxSlope], and the break f_b log-uniform on (f_min, MaxBreakRatio·f_min].
//
// The broken power law's flat priors have broad bounds: the slopes of stellar luminosity
// functions, 1.5–3 in flux for most fields, lie well inside, and with the hundreds of sources
// of a crowded image the fluxes, not the hyperprior, set the posterior. f_min stays fixed (see model.FluxPrior).
//
// Power law: p(f_i | α) = (α−1)/f_min · (f_i/f_min)^−α, so Π_i p(f_i | α) ∝ (α−1)^N e^(−(α−1)S)
// with S = Σ_i ln(f_i/f_min) (the rest does not involve α): with the Gamma(a, a) hyperprior,
// α − 1 is Gamma(a + N, a + S) truncated to (0, MaxSlope − 1], drawn by inverting its
// distribution function, and always accepted.
//
// Broken power law: the conditional of φ = (α₁, α₂, ln f_b) given the fluxes is
// Π_i p(f_i | φ) times the hyperprior, which is flat in each of the three coordinates, so the
// target of each coordinate's update is g(φ) = Σ_i ln p(f_i | φ) inside the hyperprior's
// support and −∞ outside. It is often bimodal in (α₁, f_b) (a break just above f_min with a
// rising faint end against one well inside the fluxes), and its coordinates are strongly
// correlated, so random-walk steps crossed between such modes once in thousands of updates.
// Each update therefore makes BrokenSweeps sweeps of Neal's (2003) slice sampler over the
// three coordinates (sliceStep; it leaves the conditional invariant, needs no step size and
// steps out across a valley as wide as sliceOut × sliceWidth). g costs one binary search
// (model.LogFluxes), so a sweep costs about as much as a few dozen sources' logarithms.
func (c *Chain) fluxPriorStep(rng *rand.Rand) {
	fp := *c.flux
	p := c.nparam
	n := len(c.xs)
	lnf := c.lnFlux[:0]
	for i := 0; i < n; i++ {
		lnf = append(lnf, math.Log(c.th[i*p]))
	}
	c.lnFlux = lnf
	if !fp.Broken() {
		c.slopeGibbs(rng, lnf)
		return
	}
	c.logFluxes.Set(lnf)
	maxS := c.cfg.MaxSlope
	lnMin := math.Log(fp.Min)
	at := func(q model.FluxPrior) float64 {
		if q.Slope < -maxS || q.Slope > maxS || q.SlopeBright <= 1 || q.SlopeBright > maxS ||
			q.Break <= fp.Min || q.Break > MaxBreakRatio*fp.Min {
			return math.Inf(-1)
		}
		return c.logFluxes.SumLogDensity(q)
	}
	cur := at(fp)
	for range BrokenSweeps {
		c.stats[FluxPriorStep].Proposed++
		c.stats[FluxPriorStep].Accepted++
		fp.Slope, cur = sliceStep(rng, fp.Slope, cur, func(v float64) float64 {
			q := fp
			q.Slope = v
			return at(q)
		})
		fp.SlopeBright, cur = sliceStep(rng, fp.SlopeBright, cur, func(v float64) float64 {
			q := fp
			q.SlopeBright = v
			return at(q)
		})
		var lb float64
		lb, cur = sliceStep(rng, math.Log(fp.Break), cur, func(v float64) float64 {
			q := fp
			q.Break = math.Exp(v)
			if v <= lnMin {
				return math.Inf(-1)
			}
			return at(q)
		})
		fp.Break = math.Exp(lb)
	}
	*c.flux = fp
}

// BrokenSweeps is the number of slice-sampling sweeps over a broken power law's three
// parameters in each of its updates (fluxPriorStep).
const BrokenSweeps = 4

// sliceWidth and sliceOut are the slice sampler's initial interval width (in the slopes and
// in ln f_b) and its largest number of steps out.
const (
	sliceWidth = 0.5
	sliceOut   = 32
)

// sliceStep makes one update of a coordinate x0, whose log target is g (g(x0) = g0, −∞
// outside the support), by Neal's slice sampler (Ann. Statist. 31:705, 2003, §4, stepping
// out and shrinkage): a level y = g0 − E (E exponential) under the density; an interval of
// width sliceWidth placed at random about x0, stepped out by sliceWidth at most sliceOut
// times in all until both ends lie below the level; points drawn uniformly from it, the
// interval shrunk towards x0 after each that lies below the level, until one lies above.
// The update leaves the density ∝ e^g invariant. It returns the new value and g there.
func sliceStep(rng *rand.Rand, x0, g0 float64, g func(float64) float64) (float64, float64) {
	y := g0 - rng.ExpFloat64()
	l := x0 - sliceWidth*rng.Float64()
	r := l + sliceWidth
	j := rng.IntN(sliceOut)
	k := sliceOut - 1 - j
	for ; j > 0 && g(l) > y; j-- {
		l -= sliceWidth
	}
	for ; k > 0 && g(r) > y; k-- {
		r += sliceWidth
	}
	for r-l > 1e-12*max(1, math.Abs(x0)) {
		x := l + (r-l)*rng.Float64()
		if gx := g(x); gx > y {
			return x, gx
		}
		if x < x0 {
			l = x
		} else {
			r = x
		}
	}
	return x0, g0 // only if y = g0 exactly (E = 0): the interval shrinks onto x0
}

// SlopeShape is the shape a (and rate) of a sampled power-law slope's hyperprior,
// α − 1 ~ Gamma(a, a): mean 1, standard deviation 1/√a.
const SlopeShape = 10

// slopeGibbs draws a power law's slope from its conditional given the fluxes (ln f in lnf):
// α − 1 ~ Gamma(a + N, a + S) on (0, MaxSlope − 1] (see fluxPriorStep).
func (c *Chain) slopeGibbs(rng *rand.Rand, lnf []float64) {
	c.stats[FluxPriorStep].Proposed++
	c.stats[FluxPriorStep].Accepted++
	fp := c.flux
	s := -float64(len(lnf)) * math.Log(fp.Min)
	for _, l := range lnf {
		s += l
	}
	g := distuv.Gamma{Alpha: SlopeShape + float64(len(lnf)), Beta: SlopeShape + math.Max(s, 0)}
	u := rng.Float64() * g.CDF(c.cfg.MaxSlope-1)
	fp.Slope = 1 + g.Quantile(math.Max(u, math.SmallestNonzeroFloat64))
}

// fluxHyperLogPrior is ln p(φ) of the flux function's sampled parameters, up to a constant:
// (a − 1) ln(α − 1) − a(α − 1) for a power law's slope, 0 for a broken law's flat slopes and
// −ln f_b for its log-uniform break, and 0 when they are not sampled.
func (c *Chain) fluxHyperLogPrior() float64 {
	if !c.cfg.SampleFluxPrior || c.flux == nil {
		return 0
	}
	fp := *c.flux
	if !fp.Broken() {
		return (SlopeShape-1)*math.Log(fp.Slope-1) - SlopeShape*(fp.Slope-1)
	}
	return -math.Log(fp.Break)
}

// colourStep draws every band's colour mean from its conditional (a Gibbs step, always
// accepted; it is not counted in the move statistics). Band k's sources have colours
// cᵢ = 2.5 log₁₀(f_ik / f_i0) with the prior N(μ, σ) and μ the hyperprior N(μ₀, τ)
// (model.MultiBand.ColourSpread); the colour prior's Jacobian 2.5/(f ln 10) does not depend
// on μ, so μ | c ~ N(m, 1/P) with P = 1/τ² + N/σ² and m = (μ₀/τ² + Σcᵢ/σ²)/P.
func (c *Chain) colourStep(rng *rand.Rand) {
	tau := c.colours.ColourSpread
	p := c.nparam
	for k := 1; k < c.fluxes; k++ {
		col := &c.colours.Colours[k-1]
		sum := 0.0
		for i := range c.xs {
			sum += 2.5 * math.Log10(c.th[i*p+k]/c.th[i*p])
		}
		prec := 1/(tau*tau) + float64(len(c.xs))/(col.Sigma*col.Sigma)
		m := (c.colourCentre[k-1]/(tau*tau) + sum/(col.Sigma*col.Sigma)) / prec
		col.Mean = m + rng.NormFloat64()/math.Sqrt(prec)
	}
}

// colourHyperLogPrior is Σₖ ln N(μₖ; μ₀ₖ, τ), the normalised hyperprior of sampled colour
// means; 0 when they are not sampled.
func (c *Chain) colourHyperLogPrior() float64 {
	lp := 0.0
	for k, mu0 := range c.colourCentre {
		tau := c.colours.ColourSpread
		z := (c.colours.Colours[k].Mean - mu0) / tau
		lp += -0.5*z*z - math.Log(tau*math.Sqrt(2*math.Pi))
	}
	return lp
}

// ColourMeans returns the current mean colour of every band after the reference one when the
// chain samples them (model.MultiBand.ColourSpread), nil otherwise.
func (c *Chain) ColourMeans() []float64 {
	if c.colourCentre == nil {
		return nil
	}
	out := make([]float64, len(c.colourCentre))
	for k := range out {
		out[k] = c.colours.Colours[k].Mean
	}
	return out
}
