package galaxy

import (
	"math"

	"github.com/probcat/probcat/model"
)

// MaxDroppedLight bounds the fraction of a galaxy's light that falls outside its stamp (see
// Renderer.Radius).
const MaxDroppedLight = 1e-3

// Shape is a galaxy's elliptical shape.
type Shape struct {
	// Re is the half-light radius along the major axis in pixels (the circularised radius
	// is Re·√Q). It is the radius at which the untruncated exp or dev profile encloses half
	// its light, as in SDSS and The Tractor; the SDSS tapers at 3–4 and 7–8 r_e (see Exp and
	// Dev) remove 1.9 % and 7.3 % of that light, so the profiles drawn enclose half their
	// light within 0.982·Re (Exp) and 0.908·Re (Dev).
	Re float64
	// Q is the axis ratio b/a, minor over major axis, in (0, 1].
	Q float64
	// Phi is the position angle of the major axis in radians, measured from the +x axis
	// (along a row, increasing column) towards the +y axis (increasing row): Phi = 0 is a
	// galaxy extended along x, Phi = π/2 one extended along y. Phi and Phi + π are the same
	// shape.
	Phi float64
}

// covariance returns the covariance in pixels² of a profile component of variance v (in
// units of r_e²) stretched by the shape: R(φ)·diag(v·Re², v·(Q·Re)²)·R(φ)ᵀ.
func (s Shape) covariance(v float64) (xx, xy, yy float64) {
	c, sn := math.Cos(s.Phi), math.Sin(s.Phi)
	a2 := v * s.Re * s.Re
	b2 := a2 * s.Q * s.Q
	return a2*c*c + b2*sn*sn, (a2 - b2) * c * sn, a2*sn*sn + b2*c*c
}

// Renderer draws galaxies of one profile through one PSF.
//
// PSF is the pixel-convolved ("effective") PSF as a Gaussian mixture, normally FitPSF's fit to a
// psf.PSF. Because it already includes the integration over a pixel, the galaxy profile
// convolved with it and evaluated at a pixel centre is the light that falls in that pixel
// (Hogg & Lang 2013: "the pixelized image is the PSF-convolved true model evaluated at the
// pixel centers"), and both being mixtures, the convolution is exact and analytic: one
// Gaussian per pair of components, amplitudes multiplied, means and covariances added.
type Renderer struct {
	Profile Profile
	PSF     Mixture
}

// Image returns the unit-flux image of a galaxy of the given shape as a mixture in the
// displacement from the galaxy's centre: the profile's mixture stretched by the shape,
// convolved with PSF. Evaluated at pixel centres, it gives the light in each pixel.
func (r Renderer) Image(s Shape) Mixture {
	amp, vs := r.Profile.Mixture()
	gal := make(Mixture, len(amp))
	for i := range amp {
		xx, xy, yy := s.covariance(vs[i])
		gal[i] = Gaussian{Amp: amp[i], XX: xx, XY: xy, YY: yy}
	}
	return gal.Convolve(r.PSF)
}

// Radius returns the stamp half-width R for a galaxy of half-light radius re pixels: the
// galaxy at (x, y) is drawn on the pixels (i, j) with |i − cx| ≤ R and |j − cy| ≤ R around
// the anchor pixel cx = ⌈x⌉, cy = ⌈y⌉ (model.Anchor, the pixel the sampler's proposal boxes
// are centred on), and no light is drawn beyond.
//
// R is the smallest for which the light outside the stamp is at most MaxDroppedLight of the
// total, by a bound that holds for every position, axis ratio and angle: the position lies in
// (cx − 1, cx] in each axis, so a component with covariance C and mean m has the disc of
// radius ρ = R − ½ − max(|m_x|, |m_y|) about its centre inside the stamp's area
// [cx − R − ½, cx + R + ½]², and the light of a Gaussian outside a disc of radius
// ρ is at most exp(−ρ²/2λ) with λ the larger eigenvalue of C, here at most
// v_m·re² + λ_PSF (the profile component's variance along the major axis plus the PSF
// component's). Summing over components weighted by |amplitude| bounds the dropped fraction.
func (r Renderer) Radius(re float64) int {
	amp, vs := r.Profile.Mixture()
	total := 0.0
	for _, p := range r.PSF {
		total += math.Abs(p.Amp)
	}
	dropped := func(rad float64) float64 {
		s := 0.0
		for _, p := range r.PSF {
			rho := math.Max(rad-0.5-math.Max(math.Abs(p.MX), math.Abs(p.MY)), 0)
			lp := p.maxVariance()
			for m, a := range amp {
				s += a * math.Abs(p.Amp) * math.Exp(-rho*rho/(2*(vs[m]*re*re+lp)))
			}
		}
		return s / total
	}
	// dropped falls with the radius: double an upper bound, then bisect.
	lo, hi := -1, 1 // dropped(lo) > MaxDroppedLight ≥ dropped(hi), once hi is found
	for dropped(float64(hi)) > MaxDroppedLight {
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if dropped(float64(mid)) > MaxDroppedLight {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// AddTo adds flux × the galaxy of shape s centred at image position (x, y) into b, on the
// stamp described by Radius (light outside b is dropped). A negative flux removes it.
func (r Renderer) AddTo(b model.Box, x, y, flux float64, s Shape) {
	r.addTo(b, x, y, flux, s, r.Radius(s.Re))
}

// addTo is AddTo on a stamp of radius rad.
func (r Renderer) addTo(b model.Box, x, y, flux float64, s Shape, rad int) {
	cx, cy := model.Anchor(x), model.Anchor(y)
	x0, x1 := max(cx-rad, b.X0), min(cx+rad+1, b.X0+b.W)
	y0, y1 := max(cy-rad, b.Y0), min(cy+rad+1, b.Y0+b.H)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	// The image is the profile's mixture stretched by the shape and convolved with the PSF's
	// (Image, without building it): one Gaussian per pair of components. Each, with precision
	// matrix P = C⁻¹, restricted to a row at vertical displacement dy is a 1-D Gaussian in dx of
	// precision P_xx = C_yy/det C, centred at dx = C_xy·dy/C_yy, and scaled by the component's
	// marginal in y, exp(−dy²/2C_yy). A component is drawn only within cutSigma standard
	// deviations of its centre, in y and then along each row: beyond, it is below
	// e^{−cutSigma²/2} = 1.5·10⁻⁸ of its peak, and the compact components of a mixture then cost
	// a few rows instead of the whole stamp.
	amp, vs := r.Profile.unit()
	for m, am := range amp {
		sxx, sxy, syy := s.covariance(vs[m])
		for _, p := range r.PSF {
			g := Gaussian{Amp: am * p.Amp, MX: p.MX, MY: p.MY, XX: sxx + p.XX, XY: sxy + p.XY, YY: syy + p.YY}
			d := g.det()
			w := flux * g.Amp / (2 * math.Pi * math.Sqrt(d))
			gx, gy := x+g.MX, y+g.MY
			halfA, slope := g.YY/(2*d), g.XY/g.YY
			c2 := math.Exp(-2 * halfA) // the change of a row's ratio per pixel
			sy := cutSigma * math.Sqrt(g.YY)
			ja, jb := max(y0, int(math.Floor(gy-sy))), min(y1, int(math.Ceil(gy+sy))+1)
			sx := cutSigma / math.Sqrt(2*halfA)
			for j := ja; j < jb; j++ {
				dy := float64(j) - gy
				centre := gx + slope*dy
				ia, ib := max(x0, int(math.Floor(centre-sx))), min(x1, int(math.Ceil(centre+sx))+1)
				if ia >= ib {
					continue
				}
				off := (j-b.Y0)*b.Stride - b.X0
				gaussRow(b.Pix[off+ia:off+ib], float64(ia)-centre, halfA, c2, w, -dy*dy/(2*g.YY))
			}
		}
	}
}

// cutSigma is how many standard deviations from its centre AddTo draws a component.
const cutSigma = 6

// gaussRow adds w·exp(e − halfA·t²) at t = t0, t0 + 1, … to the pixels of dst, c being
// exp(−2·halfA): the inner loop of AddTo. It takes two exponentials per row instead of one per
// pixel: from the pixel i* nearest the peak, consecutive values differ by the factor
// q = exp(−halfA(2t + 1)), which itself changes by c per pixel, so g(t+1) = g(t)·q, q ← q·c
// walks right, and the mirror walks left from the ratio exp(halfA(2t − 1)) = c/q (float64: over
// a stamp's few dozen pixels the products lose ~10⁻¹⁴). Starting at the peak, the walk never
// starts from an underflowed value.
func gaussRow(dst []float32, t0, halfA, c, w, e float64) {
	n := len(dst)
	if n == 0 {
		return
	}
	i0 := min(max(int(math.Round(-t0)), 0), n-1)
	t := t0 + float64(i0)
	g0 := w * math.Exp(e-halfA*t*t)
	q0 := math.Exp(-halfA * (2*t + 1))
	g, q := g0, q0
	for i := i0; i < n; i++ {
		dst[i] += float32(g)
		g *= q
		q *= c
	}
	g, q = g0, c/q0
	for i := i0 - 1; i >= 0; i-- {
		g *= q
		q *= c
		dst[i] += float32(g)
	}
}
