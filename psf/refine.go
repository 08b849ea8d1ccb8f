package psf

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Star is a source whose light a PSF refinement fits: its position in image pixels (0-based,
// pixel centres at integers) and its flux in the image's units.
type Star struct {
	X, Y, Flux float64
}

// RefineOptions tune Refine. The zero value is usable: every field has a default.
type RefineOptions struct {
	// CoreOrder and WingOrder are the highest orders of the two Gauss–Hermite (shapelet)
	// bases the correction is expanded in: one of the PSF's own width (default 8, 45
	// functions) and one three times wider for the wings (default 4, 15 functions).
	CoreOrder, WingOrder int
	// Amplitude is the prior standard deviation of each basis function's coefficient, as a
	// fraction of the PSF's peak (each function scaled to a largest sample of 1; default
	// 0.05), so that functions no star constrains stay at zero.
	Amplitude float64
}

func (o RefineOptions) withDefaults() RefineOptions {
	if o.CoreOrder <= 0 {
		o.CoreOrder = 8
	}
	if o.WingOrder <= 0 {
		o.WingOrder = 4
	}
	if o.Amplitude <= 0 {
		o.Amplitude = 0.05
	}
	return o
}

// Correction is an additive correction to a PSF's oversampled effective PSF (PSF.Fine's
// layout), fitted by FitCorrection; PSF.Corrected and Field.Corrected apply it.
type Correction struct {
	// Size and Factor are the stamp side and oversampling of the grid D lives on.
	Size, Factor int
	// D holds (Size·Factor)² samples.
	D []float64
}

// RefineStats describes a refinement.
type RefineStats struct {
	// Stars is the number of stars fitted and Pixels the number of pixels they cover.
	Stars, Pixels int
	// Chi2Before and Chi2After are Σ w r² over those pixels before and after the correction
	// (the stars' fluxes and positions held fixed, before the renormalisation of the result).
	Chi2Before, Chi2After float64
}

// FitCorrection fits a correction to the PSF from the residuals that the given stars leave
// in an image; Corrected applies it.
//
// resid and weight are w×h row-major: the data minus the current model (every source rendered
// with p, and the background), and the inverse variance (0 for masked pixels). The correction
// δ lives on the oversampled grid of p (PSF.Fine's layout) and is a combination of
// pixel-integrated Gauss–Hermite functions (shapelets, Refregier 2003) centred on the source:
// orders up to CoreOrder at the scale β of the PSF's core (its second moment) and up to
// WingOrder at 3β. The model of the residual is Σ_i f_i δ(pixel − star_i), δ interpolated as
// Reference interpolates Fine (Keys' bicubic), and the coefficients solve the weighted least
// squares problem with independent Gaussian priors of standard deviation Amplitude·peak
// (a small linear system, solved exactly). A smooth, low-dimensional basis is what a few
// dozen stars can constrain: a free correction of every oversampled sample (thousands of
// them, most sub-pixel phases seen by one star or none) overfits their noise.
//
// Two constraints keep the meaning of fluxes and positions: the correction is zero on the
// grid's outermost native pixel (so that the stamp does not grow), and its components along
// the PSF's x and y derivatives are projected out (so that it does not move the PSF's
// centre); its component along the PSF itself (a change of flux scale) is removed by the
// renormalisation.
//
// It fails when no star covers a pixel of positive weight or when the inputs do not agree in
// size; it never returns a non-finite correction.
func (p *PSF) FitCorrection(resid, weight []float32, w, h int, stars []Star, opt RefineOptions) (*Correction, RefineStats, error) {
	var st RefineStats
	if w <= 0 || h <= 0 || len(resid) != w*h || len(weight) != w*h {
		return nil, st, fmt.Errorf("psf: refine: residual of %d and weight of %d values for a %d×%d image", len(resid), len(weight), w, h)
	}
	opt = opt.withDefaults()
	f := p.Factor
	n := p.Size * f
	half := p.Size / 2
	peak := 0.0
	for _, v := range p.Fine {
		peak = math.Max(peak, v)
	}
	if !(peak > 0) {
		return nil, st, errors.New("psf: refine: PSF has no positive sample")
	}
	basis := p.shapelets(opt)
	nb := len(basis)

	// For every (star, pixel) pair, the 4×4 bicubic taps into the grid: a pixel at
	// displacement d from a star sits at grid coordinate (d + half)·f.
	type entry struct {
		pix  int32 // pixel index in the image
		a, b int32 // first tap row and column
		wy   [4]float32
		wx   [4]float32
		flux float32
		star int32 // index of the star's sky level among the unknowns after the basis
	}
	var entries []entry
	var wx, wy [4]float64
	for _, s := range stars {
		if !(s.Flux > 0) || math.IsNaN(s.X) || math.IsNaN(s.Y) {
			continue
		}
		cx, cy := int(math.Round(s.X)), int(math.Round(s.Y))
		used := false
		for py := max(cy-half, 0); py <= min(cy+half, h-1); py++ {
			for px := max(cx-half, 0); px <= min(cx+half, w-1); px++ {
				i := int32(py*w + px)
				if !(weight[i] > 0) {
					continue
				}
				gx := (float64(px) - s.X + float64(half)) * float64(f)
				gy := (float64(py) - s.Y + float64(half)) * float64(f)
				b0 := keys.taps(gx, wx[:])
				a0 := keys.taps(gy, wy[:])
				e := entry{pix: i, a: int32(a0), b: int32(b0), flux: float32(s.Flux), star: int32(st.Stars)}
				for j := range 4 {
					e.wx[j], e.wy[j] = float32(wx[j]), float32(wy[j])
				}
				entries = append(entries, e)
				used = true
			}
		}
		if used {
			st.Stars++
		}
	}
	if len(entries) == 0 {
		return nil, st, errors.New("psf: refine: no star covers a pixel of positive weight")
	}
	// group the entries by pixel: a pixel's design row sums its stars' contributions
	slices.SortStableFunc(entries, func(x, y entry) int { return int(x.pix) - int(y.pix) })
	// the basis sample-major, so that a tap's nb values are contiguous
	bt := make([]float64, n*n*nb)
	for k, g := range basis {
		for i, v := range g {
			bt[i*nb+k] = v
		}
	}
	// unknowns: the nb basis coefficients, then one sky level per star, constant over its
	// stamp: the light of faint neighbours the pilot has not separated, and any error of the
	// global sky near the star, which the wing functions would otherwise take for PSF light
	m := nb + st.Stars
	ata := make([]float64, m*m) // upper triangle, row-major
	atr := make([]float64, m)
	row := make([]float64, nb)
	var sky []int32
	for lo := 0; lo < len(entries); {
		hi := lo
		clear(row)
		sky = sky[:0]
		for ; hi < len(entries) && entries[hi].pix == entries[lo].pix; hi++ {
			e := &entries[hi]
			sky = append(sky, int32(nb)+e.star)
			for j := range 4 {
				a := int(e.a) + j
				if a < 0 || a >= n {
					continue
				}
				fy := float64(e.flux) * float64(e.wy[j])
				for i := range 4 {
					b := int(e.b) + i
					if b < 0 || b >= n {
						continue
					}
					wv := fy * float64(e.wx[i])
					tap := bt[(a*n+b)*nb : (a*n+b+1)*nb]
					for k, v := range tap {
						row[k] += wv * v
					}
				}
			}
		}
		pix := entries[lo].pix
		wv, rv := float64(weight[pix]), float64(resid[pix])
		for k, rk := range row {
			if rk == 0 {
				continue
			}
			wrk := wv * rk
			atr[k] += wrk * rv
			upper := ata[k*m+k : k*m+nb]
			for l, rl := range row[k:] {
				upper[l] += wrk * rl
			}
			for _, q := range sky {
				ata[k*m+int(q)] += wrk
			}
		}
		for x, q := range sky {
			atr[q] += wv * rv
			for _, r := range sky[x:] {
				lo, hi := min(q, r), max(q, r)
				ata[int(lo)*m+int(hi)] += wv
			}
		}
		st.Chi2Before += wv * rv * rv
		st.Pixels++
		lo = hi
	}
	lam := 1 / (opt.Amplitude * peak * opt.Amplitude * peak)
	sym := mat.NewSymDense(m, nil)
	for k := range m {
		for l := k; l < m; l++ {
			sym.SetSym(k, l, ata[k*m+l])
		}
	}
	// χ² after the fit is Σ w r² − 2 cᵀ(AᵀWr) + cᵀ(AᵀWA)c, from the unregularised matrix
	data := mat.NewSymDense(m, nil)
	data.CopySym(sym)
	for k := range m {
		l := lam
		if k >= nb {
			l = 1e-9 * sym.At(k, k) // the sky levels: a ridge only against degeneracy
		}
		sym.SetSym(k, k, sym.At(k, k)+l)
	}
	// solve with the unknowns scaled to a unit diagonal (basis coefficients and sky levels
	// differ in scale by many orders of magnitude)
	scale := make([]float64, m)
	for k := range m {
		scale[k] = 1 / math.Sqrt(sym.At(k, k))
	}
	for k := range m {
		for l := k; l < m; l++ {
			sym.SetSym(k, l, sym.At(k, l)*scale[k]*scale[l])
		}
	}
	bs := make([]float64, m)
	for k := range m {
		bs[k] = atr[k] * scale[k]
	}
	var chol mat.Cholesky
	if !chol.Factorize(sym) {
		return nil, st, errors.New("psf: refine: the normal equations are not positive definite")
	}
	var coef mat.VecDense
	if err := chol.SolveVecTo(&coef, mat.NewVecDense(m, bs)); err != nil {
		return nil, st, fmt.Errorf("psf: refine: %v", err)
	}
	for k := range m {
		coef.SetVec(k, coef.AtVec(k)*scale[k])
	}
	b := mat.NewVecDense(m, atr)
	st.Chi2After = st.Chi2Before - 2*mat.Dot(&coef, b) + mat.Inner(&coef, data, &coef)
	d := make([]float64, n*n)
	for k := range nb {
		c := coef.AtVec(k)
		for i, v := range basis[k] {
			d[i] += c * v
		}
	}
	// zero on the outermost native pixel, then project out the derivative directions
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a < f || b < f || a >= n-f || b >= n-f {
				d[a*n+b] = 0
			}
		}
	}
	for _, dir := range p.derivatives(f) {
		dot, nn := 0.0, 0.0
		for k, v := range dir {
			dot += v * d[k]
			nn += v * v
		}
		if nn > 0 {
			for k, v := range dir {
				d[k] -= dot / nn * v
			}
		}
	}
	for _, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, st, errors.New("psf: refine: the correction is not finite")
		}
	}
	c := &Correction{Size: p.Size, Factor: f, D: d}
	return c, st, nil
}

// MaxChange returns the largest difference between the stamps of p and q at zero sub-pixel
// offset, as a fraction of p's peak (0 for PSFs of different stamp sizes, which have no common
// stamp pixels to compare).
func (p *PSF) MaxChange(q *PSF) float64 {
	if q.Size != p.Size {
		return 0
	}
	a, b := p.Reference(0, 0), q.Reference(0, 0)
	pk, d := 0.0, 0.0
	for i := range a {
		pk = math.Max(pk, a[i])
		d = math.Max(d, math.Abs(b[i]-a[i]))
	}
	return d / pk
}

// Corrected returns the PSF with the correction added to its oversampled samples, built like
// every other (FromEffective: each sub-pixel phase sums to one). The correction must have
// been fitted on a grid of the same size and oversampling.
func (p *PSF) Corrected(c *Correction) (*PSF, error) {
	if c.Size != p.Size || c.Factor != p.Factor || len(c.D) != len(p.Fine) {
		return nil, fmt.Errorf("psf: a correction for a %d-pixel stamp at %d× does not fit a %d-pixel stamp at %d×", c.Size, c.Factor, p.Size, p.Factor)
	}
	fine := make([]float64, len(p.Fine))
	for k, v := range p.Fine {
		fine[k] = v + c.D[k]
	}
	q, err := FromEffective(fine, p.Size, p.Factor)
	if err != nil {
		return nil, fmt.Errorf("psf: correcting: %v", err)
	}
	if q.Size != p.Size {
		return nil, errors.New("psf: the corrected PSF outgrows its stamp")
	}
	return q, nil
}

// shapelets returns the correction's basis on the PSF's oversampled grid: products of 1-D
// Gauss–Hermite functions φ_j(x/β)·φ_k(y/β) with j + k ≤ order, integrated over a native
// pixel centred at each sample's displacement (8-point Gauss–Legendre), for β the PSF's
// core scale (order CoreOrder) and 3β (order WingOrder); each scaled to a largest |sample| of 1.
func (p *PSF) shapelets(opt RefineOptions) [][]float64 {
	n := p.Size * p.Factor
	half := float64(p.Size / 2)
	beta := p.coreScale()
	var out [][]float64
	for _, sc := range []struct {
		beta  float64
		order int
	}{{beta, opt.CoreOrder}, {3 * beta, opt.WingOrder}} {
		// one[j][b]: order j integrated over the pixel centred at displacement b/f − half
		disp := make([]float64, n)
		for b := range disp {
			disp[b] = float64(b)/float64(p.Factor) - half
		}
		one := pixelHermite(disp, sc.beta, sc.order)
		for j := 0; j <= sc.order; j++ {
			for k := 0; j+k <= sc.order; k++ {
				g := make([]float64, n*n)
				m := 0.0
				for a := 0; a < n; a++ {
					for b := 0; b < n; b++ {
						g[a*n+b] = one[k][a] * one[j][b]
						m = math.Max(m, math.Abs(g[a*n+b]))
					}
				}
				if m > 0 {
					for i := range g {
						g[i] /= m
					}
				}
				out = append(out, g)
			}
		}
	}
	return out
}

// resolvedOrder is the highest order of Gauss–Hermite function of scale beta (pixels) that
// native pixels resolve from one image: the function of order n oscillates with a wavelength
// of about 2πβ/√(2n), which must exceed two pixels, so n ≤ (πβ)²/2 (at least 1). (Stars at
// many sub-pixel positions constrain higher orders: the refinement does not cap them.)
func resolvedOrder(beta float64) int {
	return max(1, int(math.Pi*math.Pi*beta*beta/2))
}

// pixelHermite returns the Hermite functions φ_j(u/β), j ≤ order, integrated over a native
// pixel centred at each displacement d (8-point Gauss–Legendre over [d − ½, d + ½]): out[j][i]
// for displacement d[i]. Both the PSF correction's basis and FromImage's smooth part are
// products of two of them.
func pixelHermite(d []float64, beta float64, order int) [][]float64 {
	out := make([][]float64, order+1)
	for j := range out {
		out[j] = make([]float64, len(d))
	}
	var herm []float64
	for i, di := range d {
		for q, x := range gl8x {
			herm = hermiteFunctions((di+0.5*x)/beta, order, herm)
			for j, v := range herm {
				out[j][i] += 0.5 * gl8w[q] * v
			}
		}
	}
	return out
}

// hermiteFunctions returns φ_0(u) … φ_order(u), the Hermite functions
// φ_j(u) = H_j(u) e^(−u²/2) / sqrt(2^j j! √π), by their stable recurrence.
func hermiteFunctions(u float64, order int, dst []float64) []float64 {
	dst = dst[:0]
	p0 := math.Exp(-u*u/2) / math.Sqrt(math.Sqrt(math.Pi))
	dst = append(dst, p0)
	if order == 0 {
		return dst
	}
	p1 := math.Sqrt2 * u * p0
	dst = append(dst, p1)
	for j := 2; j <= order; j++ {
		p2 := math.Sqrt(2/float64(j))*u*p1 - math.Sqrt(float64(j-1)/float64(j))*p0
		dst = append(dst, p2)
		p0, p1 = p1, p2
	}
	return dst
}

// coreScale returns the standard deviation of a Gaussian with the PSF's peak value (in
// native pixels: a unit-light Gaussian of standard deviation s peaks at 1/(2π s²) per
// pixel), clamped to [0.5, Size/6]: the scale of the core, robust to extended wings.
func (p *PSF) coreScale() float64 {
	pk := 0.0
	for _, v := range p.Fine {
		pk = math.Max(pk, v)
	}
	s := math.Sqrt(1 / (2 * math.Pi * pk))
	return math.Min(math.Max(s, 0.5), float64(p.Size)/6)
}

// Eight-point Gauss–Legendre nodes and weights on [−1, 1].
var (
	gl8x = [8]float64{-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498, 0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363}
	gl8w = [8]float64{0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620, 0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763}
)

// derivatives returns the PSF's oversampled x and y derivatives (central differences on the
// grid), zero on the outermost native pixel (the first and last f samples of each axis).
func (p *PSF) derivatives(f int) [2][]float64 {
	n := p.Size * p.Factor
	dx, dy := make([]float64, n*n), make([]float64, n*n)
	for a := f; a < n-f; a++ {
		for b := f; b < n-f; b++ {
			k := a*n + b
			dx[k] = fineAt(p.Fine, n, a, b+1) - fineAt(p.Fine, n, a, b-1)
			dy[k] = fineAt(p.Fine, n, a+1, b) - fineAt(p.Fine, n, a-1, b)
		}
	}
	return [2][]float64{dx, dy}
}
