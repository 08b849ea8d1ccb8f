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
// parameters one at a time by Metropolis random walks. Hyperpriors:
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
// Broken power law: each proposal changes one parameter, φ → φ', and its target ratio is
// Π_i p(f_i | φ') / p(f_i | φ) times the hyperprior ratio. The slopes step in themselves and
// the break in ln f_b, each by a symmetric Gaussian whose hyperprior is flat in the stepped
// variable, so
//
//	ln a = Σ_i ln p(f_i | φ') − Σ_i ln p(f_i | φ)   inside the hyperprior's support (else rejected)
//
// for the acceptance probability a (each proposal's ratio is written beside it below).
//
// A slope's step is 1/√(n+1) with n the number of sources on its side of the break, about
// the posterior width of a slope fitted to n fluxes; n depends
// only on what the step conditions on (the fluxes and the break), so the walk stays
// symmetric. The break's step in ln f_b is 1/√(N+1) (N sources in all). Either update costs N
// logarithms and a few multiply-adds per source and proposal.
func (c *Chain) fluxPriorStep(rng *rand.Rand) {
	fp := *c.flux
	p := c.nparam
	n := len(c.xs)
	lnf := c.lnFlux[:0]
	below := 0
	for i := 0; i < n; i++ {
		lnf = append(lnf, math.Log(c.th[i*p]))
		if fp.Broken() && c.th[i*p] < fp.Break {
			below++
		}
	}
	c.lnFlux = lnf
	if !fp.Broken() {
		c.slopeGibbs(rng, lnf)
		return
	}
	sum := func(q model.FluxPrior) float64 { return q.SumLogDensity(lnf) } // Σ ln p(f_i | q)
	cur := sum(fp)
	propose := func(q model.FluxPrior, inside bool) {
		c.stats[FluxPriorStep].Proposed++
		if !inside {
			return
		}
		if next := sum(q); math.Log(rng.Float64()) < next-cur {
			fp, cur = q, next
			c.stats[FluxPriorStep].Accepted++
		}
	}
	maxS := c.cfg.MaxSlope
	q := fp
	// Z is the broken law's normalisation (model.FluxPrior), a function of all three.
	// α₁ → α₁': ln a = −(α₁'−α₁) Σ_{f_i<f_b} ln(f_i/f_b) − N ln(Z'/Z)
	q.Slope += rng.NormFloat64() / math.Sqrt(float64(below+1))
	propose(q, q.Slope >= -maxS && q.Slope <= maxS)
	// α₂ → α₂': ln a = −(α₂'−α₂) Σ_{f_i≥f_b} ln(f_i/f_b) − N ln(Z'/Z)
	q = fp
	q.SlopeBright += rng.NormFloat64() / math.Sqrt(float64(n-below+1))
	propose(q, q.SlopeBright > 1 && q.SlopeBright <= maxS)
	// f_b → f_b' = f_b·e^(σz): ln a = Σ_i [−α'_(i) ln(f_i/f_b') + α_(i) ln(f_i/f_b)] − N ln(Z'/Z),
	// α_(i) the slope on f_i's side of each break; the step is symmetric in ln f_b and the
	// hyperprior flat in ln f_b, so neither adds a term (viewed in f_b, the multiplicative
	// step's Hastings term ln(f_b'/f_b) and the log-uniform prior's ln(f_b/f_b') cancel)
	q = fp
	q.Break *= math.Exp(rng.NormFloat64() / math.Sqrt(float64(n+1)))
	propose(q, q.Break > fp.Min && q.Break <= MaxBreakRatio*fp.Min)
	*c.flux = fp
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
