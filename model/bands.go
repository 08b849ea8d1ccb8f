package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// AffineMap takes a position in the reference band's pixels (x, y) to another band's pixels:
// (X0 + J[0][0] x + J[0][1] y, Y0 + J[1][0] x + J[1][1] y). Both are the pixels of the images
// the sampler sees (cutouts), pixel centres at integers.
type AffineMap struct {
	X0, Y0 float64
	J      [2][2]float64
}

// Identity is the AffineMap of the reference band onto itself.
func Identity() AffineMap { return AffineMap{J: [2][2]float64{{1, 0}, {0, 1}}} }

// Apply maps (x, y).
func (a AffineMap) Apply(x, y float64) (float64, float64) {
	return a.X0 + a.J[0][0]*x + a.J[0][1]*y, a.Y0 + a.J[1][0]*x + a.J[1][1]*y
}

// InverseNorm returns ‖J⁻¹‖∞, the largest row sum of |J⁻¹|: two positions whose larger
// coordinate difference is d map to positions whose larger coordinate difference is at least
// d/‖J⁻¹‖∞. It is +Inf for a singular or non-finite map.
func (a AffineMap) InverseNorm() float64 {
	j := a.J
	det := j[0][0]*j[1][1] - j[0][1]*j[1][0]
	if !(det != 0) || math.IsInf(det, 0) || math.IsNaN(det) {
		return math.Inf(1)
	}
	r0 := (math.Abs(j[1][1]) + math.Abs(j[0][1])) / math.Abs(det)
	r1 := (math.Abs(j[1][0]) + math.Abs(j[0][0])) / math.Abs(det)
	n := math.Max(r0, r1)
	if math.IsNaN(n) || math.IsNaN(a.X0+a.Y0) || math.IsInf(a.X0+a.Y0, 0) {
		return math.Inf(1)
	}
	return n
}

// BandKind is a SourceKind whose sources shine in several bands, each band an image of its
// own. The sampler fits such a kind to one image per band (sampler.NewBandChain). Its
// parameters are the fluxes of the sources in the bands, in band order: Params()[0] = "flux"
// is the reference band's flux (the band positions live in), Params()[k] band k's flux; it
// has no other parameter. Render (of SourceKind) draws the reference band.
//
// Its prior factors as p(f₀) ∏ₖ p(fₖ | f₀): LogPrior is the sum of LogFluxPrior and of
// LogBandPrior over the other bands, and SamplePrior draws f₀ then every fₖ given it.
type BandKind interface {
	SourceKind
	// Bands is the number of bands, the reference band included.
	Bands() int
	// RenderBand adds sign × the source with these params at (x, y), in band k's pixels,
	// into b (band k's image): the light of params[k] through band k's PSF. It keeps
	// Render's contract with BandRadius(k).
	RenderBand(k int, b Box, x, y float64, params []float64, sign float64)
	// BandRadius is Radius for band k.
	BandRadius(k int) int
	// LogFluxPrior is the normalised log prior density of the reference flux f₀.
	LogFluxPrior(f float64) float64
	// MinFlux is the lower end of the reference flux prior's support.
	MinFlux() float64
	// LogBandPrior is the normalised log density of params[k] given params[0] (k ≥ 1).
	LogBandPrior(k int, params []float64) float64
	// SampleBand draws params[k] given params[0] (k ≥ 1).
	SampleBand(rng *rand.Rand, k int, params []float64)
}

// Colour is the prior of a band's colour against the reference band: the difference of
// instrumental magnitudes (of the fluxes in each image's own units, counts, without zero
// points) c = m_ref − m_band = 2.5 log₁₀(f_band / f_ref) is Gaussian with this mean and
// standard deviation, independently of the reference flux.
type Colour struct {
	Mean, Sigma float64
}

// MultiBand is a point source seen in several bands: a position, in the reference band's
// pixels, and one flux per band. Band k renders its flux through its own PSF. The prior is
// the reference flux's power law (Flux) times, for every other band, a Gaussian in the colour
// m_ref − m_k (Colours[k−1]); as a density in f_k that is
// N(c; μ, σ) · 2.5/(f_k ln 10).
type MultiBand struct {
	// Names are the bands, the reference band first.
	Names []string
	// PSFs are the bands' PSFs, each in its own band's pixels.
	PSFs []Profile
	// Flux is the reference band's flux prior.
	Flux FluxPrior
	// Colours are the colour priors of bands 1, 2, … against band 0.
	Colours []Colour
	// ColourSpread, when positive, makes the colour priors hierarchical: each band's mean
	// colour is then a parameter of the catalogue with the hyperprior
	// N(Colours[k].Mean, ColourSpread), which the sampler samples along with the sources
	// (Colours[k].Mean is its centre and the chains' starting value; the widths stay fixed).
	ColourSpread float64
}

// NewMultiBand checks and builds a MultiBand kind (ColourSpread 0: fixed colour priors).
func NewMultiBand(names []string, psfs []Profile, flux FluxPrior, colours []Colour) (*MultiBand, error) {
	m := &MultiBand{Names: names, PSFs: psfs, Flux: flux, Colours: colours}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate reports the first problem of the kind: bands without a PSF or colour prior, a
// bad flux prior, colour prior or colour spread.
func (m *MultiBand) Validate() error {
	switch {
	case len(m.Names) < 1:
		return errors.New("multi-band source: no band")
	case len(m.PSFs) != len(m.Names):
		return fmt.Errorf("multi-band source: %d bands but %d PSFs", len(m.Names), len(m.PSFs))
	case len(m.Colours) != len(m.Names)-1:
		return fmt.Errorf("multi-band source: %d bands need %d colour priors, got %d", len(m.Names), len(m.Names)-1, len(m.Colours))
	case !(m.ColourSpread >= 0) || math.IsInf(m.ColourSpread, 0):
		return fmt.Errorf("multi-band source: colour spread must be finite and not negative, got %g", m.ColourSpread)
	}
	if err := m.Flux.Validate(); err != nil {
		return err
	}
	for k, p := range m.PSFs {
		if p == nil {
			return fmt.Errorf("multi-band source: band %s has no PSF", m.Names[k])
		}
	}
	for k, c := range m.Colours {
		if !(c.Sigma > 0) || math.IsInf(c.Sigma, 0) || math.IsNaN(c.Mean) || math.IsInf(c.Mean, 0) {
			return fmt.Errorf("multi-band source: colour prior of band %s must have a finite mean and a positive width, got %+v", m.Names[k+1], c)
		}
	}
	return nil
}

// Name implements SourceKind.
func (m *MultiBand) Name() string { return "point-multiband" }

// Params implements SourceKind: "flux" (the reference band's) then "flux_<band>" for the
// other bands.
func (m *MultiBand) Params() []string {
	p := []string{"flux"}
	for _, n := range m.Names[1:] {
		p = append(p, "flux_"+n)
	}
	return p
}

// Bands implements BandKind.
func (m *MultiBand) Bands() int { return len(m.Names) }

// ln10Over25 is ln(10)/2.5: f = f₀·exp(ln10Over25·c) for colour c.
const ln10Over25 = math.Ln10 / 2.5

// colour returns 2.5 log₁₀(f/f₀).
func colour(f, f0 float64) float64 { return math.Log(f/f0) / ln10Over25 }

// LogBandPrior implements BandKind.
func (m *MultiBand) LogBandPrior(k int, params []float64) float64 {
	f, f0 := params[k], params[0]
	if !(f > 0) || !(f0 > 0) || math.IsInf(f, 0) {
		return math.Inf(-1)
	}
	c := m.Colours[k-1]
	z := (colour(f, f0) - c.Mean) / c.Sigma
	return -0.5*z*z - math.Log(c.Sigma*math.Sqrt(2*math.Pi)) - math.Log(f*ln10Over25)
}

// LogFluxPrior implements BandKind.
func (m *MultiBand) LogFluxPrior(f float64) float64 { return m.Flux.LogDensity(f) }

// MinFlux implements BandKind.
func (m *MultiBand) MinFlux() float64 { return m.Flux.Min }

// LogPrior implements SourceKind.
func (m *MultiBand) LogPrior(params []float64) float64 {
	lp := m.Flux.LogDensity(params[0])
	for k := 1; k < len(m.Names) && !math.IsInf(lp, -1); k++ {
		lp += m.LogBandPrior(k, params)
	}
	return lp
}

// SampleBand implements BandKind.
func (m *MultiBand) SampleBand(rng *rand.Rand, k int, params []float64) {
	c := m.Colours[k-1]
	params[k] = params[0] * math.Exp(ln10Over25*(c.Mean+c.Sigma*rng.NormFloat64()))
}

// SamplePrior implements SourceKind.
func (m *MultiBand) SamplePrior(rng *rand.Rand, dst []float64) {
	dst[0] = m.Flux.Sample(rng)
	for k := 1; k < len(m.Names); k++ {
		m.SampleBand(rng, k, dst)
	}
}

// Perturb implements SourceKind with a random walk in the logarithm of every flux, of
// standard deviation 0.3·scale each: ln q(old|new) − ln q(new|old) = Σₖ ln(fₖ'/fₖ).
func (m *MultiBand) Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64 {
	h := 0.0
	for k := range old {
		dst[k] = old[k] * math.Exp(0.3*scale*rng.NormFloat64())
		h += math.Log(dst[k]) - math.Log(old[k])
	}
	return h
}

// Render implements SourceKind: the reference band.
func (m *MultiBand) Render(b Box, x, y float64, params []float64, sign float64) {
	m.PSFs[0].AddTo(b, x, y, sign*params[0])
}

// RenderBand implements BandKind.
func (m *MultiBand) RenderBand(k int, b Box, x, y float64, params []float64, sign float64) {
	m.PSFs[k].AddTo(b, x, y, sign*params[k])
}

// Radius implements SourceKind: the reference band's.
func (m *MultiBand) Radius() int { return m.PSFs[0].Radius() }

// BandRadius implements BandKind.
func (m *MultiBand) BandRadius(k int) int { return m.PSFs[k].Radius() }
