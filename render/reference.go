package render

import "math"

// NumCoeffs is the number of polynomial terms per stamp pixel in the sub-pixel table.
const NumCoeffs = 10

// Basis fills b with the ten cubic terms of the sub-pixel offset (dx, dy).
func Basis(dx, dy float64, b *[NumCoeffs]float64) {
	*b = [NumCoeffs]float64{1, dx, dy, dx * dx, dx * dy, dy * dy, dx * dx * dx, dx * dx * dy, dx * dy * dy, dy * dy * dy}
}

// Place splits a position into the integer pixel that holds the stamp anchor and the
// sub-pixel offset used by the polynomial table: i = ⌈x⌉, d = i − x ∈ [0, 1).
func Place(x float64) (i int, d float64) {
	f := math.Ceil(x)
	return int(f), f - x
}

// AddSourcesRef is the obviously-correct renderer that the fast kernels are tested against:
// it adds flux_k × PSF(x_k, y_k) for every source into the box, in float64 arithmetic, one
// stamp pixel at a time. Light falling outside the box is dropped.
func AddSourcesRef(dst []float32, stride, w, h int, coeffs []float32, size int, xs, ys, fluxes []float32) {
	AddPiecesRef(dst, stride, w, h, coeffs, size, 1, xs, ys, fluxes)
}

// AddPiecesRef is AddSourcesRef for a piecewise table of k×k pieces laid out as for
// NewPieceTable: a source whose sub-pixel offset is (dx, dy) takes piece q = qy·k + qx,
// qx = ⌊k·dx⌋ and qy = ⌊k·dy⌋ (at most k − 1), evaluated at the local offset
// (k·dx − qx, k·dy − qy).
func AddPiecesRef(dst []float32, stride, w, h int, pieces []float32, size, k int, xs, ys, fluxes []float32) {
	c := size / 2
	np := size * size
	var b [NumCoeffs]float64
	for s := range xs {
		ix, dx := Place(float64(xs[s]))
		iy, dy := Place(float64(ys[s]))
		qx := min(int(math.Floor(float64(k)*dx)), k-1)
		qy := min(int(math.Floor(float64(k)*dy)), k-1)
		Basis(float64(k)*dx-float64(qx), float64(k)*dy-float64(qy), &b)
		coeffs := pieces[(qy*k+qx)*NumCoeffs*np:]
		f := float64(fluxes[s])
		for v := 0; v < size; v++ {
			y := iy - c + v
			if y < 0 || y >= h {
				continue
			}
			for u := 0; u < size; u++ {
				x := ix - c + u
				if x < 0 || x >= w {
					continue
				}
				p := v*size + u
				sum := 0.0
				for t := 0; t < NumCoeffs; t++ {
					sum += b[t] * float64(coeffs[t*np+p])
				}
				dst[y*stride+x] += float32(f * sum)
			}
		}
	}
}

// DeltaLogLikeRef returns the change in Gaussian log-likelihood over a box when the model
// grows by delta, given the current residual r = data − model and the inverse variance:
// ΔlnL = −½ Σ w[(r − δ)² − r²] = Σ w·δ·(r − δ/2), summed in float64.
func DeltaLogLikeRef(resid, delta, weight []float32, stride, w, h int) float64 {
	s := 0.0
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			p := j*stride + i
			d := float64(delta[p])
			s += float64(weight[p]) * d * (float64(resid[p]) - d/2)
		}
	}
	return s
}

// LogLike returns the Gaussian log-likelihood −½ Σ w r² over a box (up to the constant that
// does not depend on the model), summed in float64.
func LogLike(resid, weight []float32, stride, w, h int) float64 {
	s := 0.0
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			p := j*stride + i
			r := float64(resid[p])
			s += float64(weight[p]) * r * r
		}
	}
	return -s / 2
}
