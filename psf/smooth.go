package psf

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Orders of the smooth part that FromImage fits to a native-sampled PSF image before
// resampling it: Gauss–Hermite functions at the core's scale β up to the order native
// pixels resolve (resolvedOrder), at most smoothCoreOrder; and up to smoothWingOrder at 3β.
const (
	smoothCoreOrder = 6
	smoothWingOrder = 4
	// smoothRidge is the ridge of the fit, relative to the mean diagonal of its normal matrix.
	smoothRidge = 1e-6
)

// upsample resamples a native-sampled PSF image (w×h, source at (cx, cy)) at the image
// positions xs (columns) and ys (rows), as resample does, but in two parts: a smooth part,
// pixel-integrated Gauss–Hermite functions centred on the source fitted to the image by least
// squares and evaluated exactly at the new positions, plus the Lanczos resampling of what the
// smooth part leaves. A PSF that native pixels undersample has a core too sharp for any
// interpolating kernel: a sinc-like kernel rings, with tails that fall as 1/distance
// (alternating ±1 % of the peak five pixels out at half-pixel phases for the SDSS r KL PSF of
// M2, enough to split every bright star), and a short kernel blurs the core. The smooth part
// carries the core and leaves a residual that is small and smooth, so its resampling error
// is small too.
func upsample(img []float64, w, h int, cx, cy float64, xs, ys []float64) []float64 {
	total, peak := 0.0, 0.0
	for _, v := range img {
		total += v
		peak = math.Max(peak, v)
	}
	beta := math.Sqrt(total / (2 * math.Pi * peak)) // the core's Gaussian scale
	scales := []struct {
		beta  float64
		order int
	}{{beta, min(smoothCoreOrder, resolvedOrder(beta))}, {3 * beta, smoothWingOrder}}
	// 1-D pixel-integrated Hermite functions at the displacements of the image's columns
	// and rows and of the new positions
	oneD := func(pos []float64, c float64) [][][]float64 {
		d := make([]float64, len(pos))
		for i, p := range pos {
			d[i] = p - c
		}
		out := make([][][]float64, len(scales))
		for s, sc := range scales {
			out[s] = pixelHermite(d, sc.beta, sc.order)
		}
		return out
	}
	cols, rows := make([]float64, w), make([]float64, h)
	for i := range cols {
		cols[i] = float64(i)
	}
	for j := range rows {
		rows[j] = float64(j)
	}
	ix, iy := oneD(cols, cx), oneD(rows, cy)
	ox, oy := oneD(xs, cx), oneD(ys, cy)
	type term struct{ s, j, k int } // scale, x order, y order
	var terms []term
	for s, sc := range scales {
		for j := 0; j <= sc.order; j++ {
			for k := 0; j+k <= sc.order; k++ {
				terms = append(terms, term{s, j, k})
			}
		}
	}
	a := mat.NewDense(w*h, len(terms), nil)
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			for t, tm := range terms {
				a.Set(r*w+c, t, ix[tm.s][tm.j][c]*iy[tm.s][tm.k][r])
			}
		}
	}
	// ridge-regularised normal equations: functions the native samples barely see (high
	// orders on a core narrower than a pixel) would otherwise take large coefficients that
	// cancel on the samples and oscillate between them
	var ata mat.SymDense
	ata.SymOuterK(1, a.T())
	tr := 0.0
	for t := range terms {
		tr += ata.At(t, t)
	}
	for t := range terms {
		ata.SetSym(t, t, ata.At(t, t)+smoothRidge*tr/float64(len(terms)))
	}
	var atb mat.VecDense
	atb.MulVec(a.T(), mat.NewVecDense(w*h, append([]float64(nil), img...)))
	var chol mat.Cholesky
	var coefv mat.VecDense
	if !chol.Factorize(&ata) || chol.SolveVecTo(&coefv, &atb) != nil {
		return resample(resampling, img, w, h, xs, ys) // a degenerate fit: resample plainly
	}
	coef := mat.NewDense(len(terms), 1, coefv.RawVector().Data)
	resid := make([]float64, w*h)
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			m := 0.0
			for t, tm := range terms {
				m += coef.At(t, 0) * ix[tm.s][tm.j][c] * iy[tm.s][tm.k][r]
			}
			resid[r*w+c] = img[r*w+c] - m
		}
	}
	out := resample(resampling, resid, w, h, xs, ys)
	nx := len(xs)
	for r := range ys {
		for c := range xs {
			m := 0.0
			for t, tm := range terms {
				m += coef.At(t, 0) * ox[tm.s][tm.j][c] * oy[tm.s][tm.k][r]
			}
			out[r*nx+c] += m
		}
	}
	return out
}
