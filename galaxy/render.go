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
			addComponent(b, g, x+g.MX, y+g.MY, flux*g.Amp/(2*math.Pi*math.Sqrt(g.det())), x0, x1, y0, y1)
		}
	}
}

// addComponent adds w·exp(−½ dᵀC⁻¹d), d = (i − gx, j − gy), the component of covariance g
// centred at (gx, gy), to the pixels (i, j) of b with x0 ≤ i < x1 and y0 ≤ j < y1 that lie
// within cutSigma of its centre: in y, and then along each row about the row's centre.
//
// It walks the stamp by ratios rather than exponentials. With the precision matrix
// P = C⁻¹, G(i+1, j)/G(i, j) = exp(−P_xx(dx + ½) − P_xy dy) =: rx, and
// G(i, j+1)/G(i, j) = exp(−P_yy(dy + ½) − P_xy dx) =: ry; a step right multiplies rx by
// exp(−P_xx) and ry by exp(−P_xy), a step down ry by exp(−P_yy) and rx by exp(−P_xy). From the
// first row's pixel nearest the row's centre (three exponentials) the walk goes down the
// ridge, one row and a few columns at a time, so that it stays within a pixel of each row's
// peak and never starts from an underflowed value; each row is then drawn from there by
// gaussRow. Over a stamp's few dozen steps the products lose ~10⁻¹⁴ relative to exp.
func addComponent(b model.Box, g Gaussian, gx, gy, w float64, x0, x1, y0, y1 int) {
	d := g.det()
	pxx, pxy, pyy := g.YY/d, -g.XY/d, g.XX/d
	slope := g.XY / g.YY // a row's centre moves by slope per row
	sy := cutSigma * math.Sqrt(g.YY)
	ja, jb := max(y0, int(math.Floor(gy-sy))), min(y1, int(math.Ceil(gy+sy))+1)
	if ja >= jb {
		return
	}
	sx := cutSigma / math.Sqrt(pxx)
	ex, exy, ey := math.Exp(-pxx), math.Exp(-pxy), math.Exp(-pyy)
	// The walk's pixel (i, j), its value v and ratios rx, ry; seed sets them by exponentials.
	var i, j int
	var v, rx, ry float64
	seed := func() {
		dx, dy := float64(i)-gx, float64(j)-gy
		v = w * math.Exp(-0.5*(pxx*dx*dx+2*pxy*dx*dy+pyy*dy*dy))
		rx = math.Exp(-pxx*(dx+0.5) - pxy*dy)
		ry = math.Exp(-pyy*(dy+0.5) - pxy*dx)
	}
	// A component narrower than a fifth of a pixel (precision above maxWalkPrecision) changes
	// by more than e^−25 from one pixel to the next, and a walk through it would underflow:
	// each of its rows is seeded by exponentials instead.
	walk := pxx <= maxWalkPrecision && pyy <= maxWalkPrecision
	i, j = int(math.Round(gx+slope*(float64(ja)-gy))), ja
	seed()
	for {
		centre := gx + slope*(float64(j)-gy)
		ia, ib := max(x0, int(math.Floor(centre-sx))), min(x1, int(math.Ceil(centre+sx))+1)
		// walk along the row to the drawn pixel nearest the centre (to the centre itself on a
		// row with nothing to draw, so that the walk keeps to the ridge)
		to := int(math.Round(centre))
		if ia < ib {
			to = min(max(to, ia), ib-1)
		}
		if !walk {
			i = to
			seed()
		}
		for ; i < to; i++ {
			v *= rx
			rx *= ex
			ry *= exy
		}
		for ; i > to; i-- {
			rx /= ex
			ry /= exy
			v /= rx
		}
		if ia < ib {
			off := (j-b.Y0)*b.Stride - b.X0
			gaussRow(b.Pix[off+ia:off+ib], i-ia, v, rx, ex)
		}
		if j++; j >= jb {
			return
		}
		v *= ry
		ry *= ey
		rx *= exy
	}
}

// maxWalkPrecision is the largest precision (inverse variance, px⁻²) along x or y of a
// component that addComponent walks by ratios: its value changes by at most e^−25 per pixel
// near its ridge.
const maxWalkPrecision = 25

// cutSigma is how many standard deviations from its centre AddTo draws a component.
const cutSigma = 6

// gaussRow adds to dst the values g_k of a 1-D Gaussian that are g_{i0} = g at k = i0, with
// g_{k+1} = g_k·q_k and q_{k+1} = q_k·c (c = exp(−2a) for a Gaussian exp(−a t²)), walking right
// from i0, and left by the mirror recurrence g_{k−1} = g_k·q'_k, q'_{k−1} = q'_k·c from
// q'_{i0} = c/q: the inner loop of AddTo, with no exponential. Starting near the peak, the
// walk never starts from an underflowed value.
//
// Each direction runs as four interleaved walks, one per pixel mod 4 (walk), so that the
// multiplications of consecutive pixels do not wait on each other.
func gaussRow(dst []float32, i0 int, g, q, c float64) {
	walk(dst[i0:], g, q, c)
	if i0 > 0 {
		// the left walk, mirrored: pixel i0 − 1 − k is the right walk's pixel k from
		// g_{i0−1} = g·q'_{i0}
		ql := c / q
		left := dst[:i0]
		gl := g * ql
		ql *= c
		n := len(left)
		if n < 4 {
			for k := n - 1; k >= 0; k-- {
				left[k] += float32(gl)
				gl *= ql
				ql *= c
			}
			return
		}
		walkLeft(left, gl, ql, c)
	}
}

// walk adds g_k to dst[k], k = 0, 1, …, for g_0 = g, g_{k+1} = g_k·q_k, q_{k+1} = q_k·c, as four
// walks of stride 4: the first four values in sequence, then each lane j steps by
// R_j = q_j q_{j+1} q_{j+2} q_{j+3} = q_j⁴c⁶, which steps by c¹⁶.
func walk(dst []float32, g, q, c float64) {
	n := len(dst)
	if n < 8 {
		for k := range dst {
			dst[k] += float32(g)
			g *= q
			q *= c
		}
		return
	}
	c2 := c * c
	c4 := c2 * c2
	c16 := c4 * c4
	c16 *= c16
	g0 := g
	g1 := g0 * q
	g2 := g1 * (q * c)
	g3 := g2 * (q * c2)
	q2 := q * q
	r0 := q2 * q2 * (c4 * c2)
	r1 := r0 * c4
	r2 := r1 * c4
	r3 := r2 * c4
	k := 0
	for ; k+4 <= n; k += 4 {
		d := dst[k : k+4 : k+4]
		f0, f1, f2, f3 := float32(g0), float32(g1), float32(g2), float32(g3)
		d[0] += f0
		d[1] += f1
		d[2] += f2
		d[3] += f3
		g0, g1, g2, g3 = g0*r0, g1*r1, g2*r2, g3*r3
		r0, r1, r2, r3 = r0*c16, r1*c16, r2*c16, r3*c16
	}
	d := dst[k:]
	if len(d) > 0 {
		d[0] += float32(g0)
	}
	if len(d) > 1 {
		d[1] += float32(g1)
	}
	if len(d) > 2 {
		d[2] += float32(g2)
	}
}

// walkLeft is walk from the right end of dst leftwards: g is added to dst[len−1].
func walkLeft(dst []float32, g, q, c float64) {
	n := len(dst)
	c2 := c * c
	c4 := c2 * c2
	c16 := c4 * c4
	c16 *= c16
	g0 := g
	g1 := g0 * q
	g2 := g1 * (q * c)
	g3 := g2 * (q * c2)
	q2 := q * q
	r0 := q2 * q2 * (c4 * c2)
	r1 := r0 * c4
	r2 := r1 * c4
	r3 := r2 * c4
	k := n
	for ; k-4 >= 0; k -= 4 {
		d := dst[k-4 : k : k]
		f0, f1, f2, f3 := float32(g0), float32(g1), float32(g2), float32(g3)
		d[3] += f0
		d[2] += f1
		d[1] += f2
		d[0] += f3
		g0, g1, g2, g3 = g0*r0, g1*r1, g2*r2, g3*r3
		r0, r1, r2, r3 = r0*c16, r1*c16, r2*c16, r3*c16
	}
	d := dst[:k]
	if len(d) > 0 {
		d[len(d)-1] += float32(g0)
	}
	if len(d) > 1 {
		d[len(d)-2] += float32(g1)
	}
	if len(d) > 2 {
		d[len(d)-3] += float32(g2)
	}
}
