package galaxy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/probcat/probcat/model"
)

// MinAxisRatio is the smallest axis ratio q of the prior: q is uniform on [MinAxisRatio, 1].
const MinAxisRatio = 0.1

// Kind is the galaxy source kind, a model.SourceKind with parameters flux (counts), r_e
// (pixels), q and phi (radians) — see Shape — and a profile fixed at construction. Build it
// with NewKind.
//
// Its prior is a normalised density, the product of four independent parts:
//   - flux: Flux, the point-source kind's flux prior (model.FluxPrior);
//   - r_e: log-uniform on [ReMin, ReMax], p(r) = 1/(r·ln(ReMax/ReMin)). Sizes at a given
//     luminosity are log-normal with a dispersion of 0.3–0.5 in ln r (Shen et al. 2003, MNRAS
//     343:978), and apparent sizes also scale with distance, so a flat density in ln r over the
//     range the survey resolves is a weakly informative choice, not a fit to a population;
//   - q: uniform on [MinAxisRatio, 1]: apparent axis ratios of SDSS galaxies cover about
//     0.1–1, spirals flatter than ellipticals (Alam & Ryden 2002, ApJ 570:610; Padilla &
//     Strauss 2008, MNRAS 388:1321); the uniform density covering them is weakly informative;
//   - phi: uniform on [0, π), as for randomly oriented galaxies (phi and phi + π are the
//     same shape).
type Kind struct {
	Renderer
	Flux         model.FluxPrior
	ReMin, ReMax float64

	radius int // Renderer.Radius(ReMax)
	// reLimit[i] is the largest half-light radius drawn on a stamp of radius rmin + i
	// (Renderer.Radius is monotonic in r_e): RadiusOf and Render look the stamp up instead of
	// solving for it every time
	rmin    int
	reLimit []float64
}

// NewKind returns the galaxy kind of the given profile, drawn through psf (a pixel-convolved
// PSF as a mixture, e.g. FitPSF's), with the flux prior flux and half-light radii log-uniform
// on [reMin, reMax] pixels. It fails on an unknown profile, an invalid mixture or flux prior,
// or a radius range that is not 0 < reMin < reMax < ∞.
func NewKind(profile Profile, psf Mixture, flux model.FluxPrior, reMin, reMax float64) (*Kind, error) {
	if !profile.valid() {
		return nil, fmt.Errorf("galaxy: unknown profile %d", int(profile))
	}
	if err := psf.Validate(); err != nil {
		return nil, fmt.Errorf("galaxy: PSF: %w", err)
	}
	if err := flux.Validate(); err != nil {
		return nil, fmt.Errorf("galaxy: %w", err)
	}
	if !(reMin > 0) || !(reMax > reMin) || math.IsInf(reMax, 0) {
		return nil, fmt.Errorf("galaxy: half-light radius range must be 0 < min < max < ∞, got [%g, %g]", reMin, reMax)
	}
	k := &Kind{Renderer: Renderer{Profile: profile, PSF: psf}, Flux: flux, ReMin: reMin, ReMax: reMax}
	k.radius = k.Renderer.Radius(reMax)
	k.rmin = k.Renderer.Radius(reMin)
	for r := k.rmin; r < k.radius; r++ {
		// the largest re in [reMin, reMax] with Radius(re) ≤ r, by bisection
		lo, hi := reMin, reMax
		for range 60 {
			mid := 0.5 * (lo + hi)
			if k.Renderer.Radius(mid) <= r {
				lo = mid
			} else {
				hi = mid
			}
		}
		k.reLimit = append(k.reLimit, lo)
	}
	k.reLimit = append(k.reLimit, math.Inf(1))
	return k, nil
}

// stampRadius is the radius of the stamp a galaxy of half-light radius re is drawn on: the
// smallest of the table whose limit holds re (at least Renderer.Radius(re), up to the
// bisection's precision, and never beyond Radius()).
func (k *Kind) stampRadius(re float64) int {
	return k.rmin + sort.SearchFloat64s(k.reLimit, re)
}

// Name implements model.SourceKind: "galaxy-exp" or "galaxy-dev".
func (k *Kind) Name() string { return "galaxy-" + k.Profile.String() }

// Params implements model.SourceKind.
func (k *Kind) Params() []string { return []string{"flux", "r_e", "q", "phi"} }

// LogPrior implements model.SourceKind: the log of the normalised prior density documented
// on Kind, −Inf outside its support.
func (k *Kind) LogPrior(params []float64) float64 {
	re, q, phi := params[1], params[2], params[3]
	if !(re >= k.ReMin && re <= k.ReMax) || !(q >= MinAxisRatio && q <= 1) || !(phi >= 0 && phi < math.Pi) {
		return math.Inf(-1)
	}
	return k.Flux.LogDensity(params[0]) - math.Log(re*math.Log(k.ReMax/k.ReMin)) -
		math.Log(1-MinAxisRatio) - math.Log(math.Pi)
}

// SamplePrior implements model.SourceKind.
func (k *Kind) SamplePrior(rng *rand.Rand, dst []float64) {
	dst[0] = k.Flux.Sample(rng)
	dst[1] = k.ReMin * math.Pow(k.ReMax/k.ReMin, rng.Float64())
	dst[2] = MinAxisRatio + (1-MinAxisRatio)*rng.Float64()
	dst[3] = math.Pi * rng.Float64()
}

// Perturb implements model.SourceKind: a joint random walk of all four parameters, with
// standard deviations 0.1·scale in ln(flux), 0.1·scale in ln(r_e) (reflected at ln ReMin and
// ln ReMax), 0.05·scale in q (reflected at MinAxisRatio and 1) and 0.1·scale rad in phi
// (wrapped modulo π). Reflection and wrapping keep each walk symmetric in the variable it
// steps, so the ratio is the Jacobian of the two logarithmic walks:
// ln q(old|new) − ln q(new|old) = ln(f'/f) + ln(r'/r).
func (k *Kind) Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64 {
	dst[0] = old[0] * math.Exp(0.1*scale*rng.NormFloat64())
	dst[1] = math.Exp(model.Reflect(math.Log(old[1])+0.1*scale*rng.NormFloat64(), math.Log(k.ReMin), math.Log(k.ReMax)))
	dst[2] = model.Reflect(old[2]+0.05*scale*rng.NormFloat64(), MinAxisRatio, 1)
	dst[3] = model.Wrap(old[3]+0.1*scale*rng.NormFloat64(), math.Pi)
	return math.Log(dst[0]/old[0]) + math.Log(dst[1]/old[1])
}

// Render implements model.SourceKind: Renderer.AddTo with flux sign·params[0] and the shape
// params[1:4].
func (k *Kind) Render(b model.Box, x, y float64, params []float64, sign float64) {
	k.addTo(b, x, y, sign*params[0], Shape{Re: params[1], Q: params[2], Phi: params[3]}, k.stampRadius(params[1]))
}

// Radius implements model.SourceKind: the stamp half-width of the largest galaxy of the
// prior, Renderer.Radius(ReMax), measured like it from the anchor pixel (⌈x⌉, ⌈y⌉). Each
// galaxy is drawn on its own stamp (RadiusOf), no larger.
func (k *Kind) Radius() int { return k.radius }

// RadiusOf implements model.SourceRadius: the stamp of the galaxy's own half-light radius on
// which Render draws it.
func (k *Kind) RadiusOf(params []float64) int { return k.stampRadius(params[1]) }
