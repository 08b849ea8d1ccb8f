package model

import "fmt"

// SkyBasis is the basis of a smooth sky background b(x, y) = Σ_k a_k B_k(x, y) over a W×H
// image: the products B_k = P_i(u)·P_j(v) of Legendre polynomials of total degree i + j ≤
// Order, in the scaled pixel coordinates u = 2x/(W−1) − 1 and v = 2y/(H−1) − 1, which run
// over [−1, 1] from the first pixel centre to the last (u = 0 on an image one pixel wide).
// Terms go by total degree, then by the degree in v: 1, P1(u), P1(v), P2(u), P1(u)P1(v),
// P2(v), …; term 0 is the constant 1, so that order 0 is a scalar sky level. The Legendre
// polynomials are nearly orthogonal over the pixel grid, which keeps the coefficients'
// covariance well conditioned.
type SkyBasis struct {
	// Order is the highest total degree.
	Order int
	// Width and Height are the image's.
	Width, Height int

	terms  [][2]int    // (i, j): the degrees in u and v
	pu, pv [][]float64 // P_i(u(x)) for every x, P_j(v(y)) for every y
}

// SkyTerms returns the number of terms of a SkyBasis of the given order, (K+1)(K+2)/2.
func SkyTerms(order int) int { return (order + 1) * (order + 2) / 2 }

// NewSkyBasis returns the basis of the given order over a w×h image. The order must not be
// negative and the image must be more than order pixels wide and high, else the terms are
// not linearly independent over the pixels.
func NewSkyBasis(order, w, h int) (*SkyBasis, error) {
	if order < 0 {
		return nil, fmt.Errorf("background order must not be negative, got %d", order)
	}
	if w <= order || h <= order {
		return nil, fmt.Errorf("background order %d needs an image more than %d pixels wide and high, got %d×%d", order, order, w, h)
	}
	b := &SkyBasis{Order: order, Width: w, Height: h}
	for d := 0; d <= order; d++ {
		for j := 0; j <= d; j++ {
			b.terms = append(b.terms, [2]int{d - j, j})
		}
	}
	b.pu, b.pv = legendreTable(order, w), legendreTable(order, h)
	return b, nil
}

// legendreTable returns P_0 … P_order at the n scaled coordinates 2x/(n−1) − 1.
func legendreTable(order, n int) [][]float64 {
	t := make([][]float64, order+1)
	for i := range t {
		t[i] = make([]float64, n)
	}
	for x := 0; x < n; x++ {
		u := 0.0
		if n > 1 {
			u = 2*float64(x)/float64(n-1) - 1
		}
		t[0][x] = 1
		if order >= 1 {
			t[1][x] = u
		}
		for k := 2; k <= order; k++ { // Bonnet's recursion
			t[k][x] = (float64(2*k-1)*u*t[k-1][x] - float64(k-1)*t[k-2][x]) / float64(k)
		}
	}
	return t
}

// Len returns the number of terms.
func (b *SkyBasis) Len() int { return len(b.terms) }

// Degrees returns the degrees in u and v of term k.
func (b *SkyBasis) Degrees(k int) (i, j int) { return b.terms[k][0], b.terms[k][1] }

// Name returns term k as written in run.json: "1", "P1(u)", "P2(v)", "P1(u)P1(v)", ….
func (b *SkyBasis) Name(k int) string {
	i, j := b.Degrees(k)
	switch {
	case i == 0 && j == 0:
		return "1"
	case j == 0:
		return fmt.Sprintf("P%d(u)", i)
	case i == 0:
		return fmt.Sprintf("P%d(v)", j)
	}
	return fmt.Sprintf("P%d(u)P%d(v)", i, j)
}

// PU returns P_i at every column's u, PU(i)[x] (shared: not to be modified).
func (b *SkyBasis) PU(i int) []float64 { return b.pu[i] }

// PV returns P_j at every row's v, PV(j)[y] (shared: not to be modified).
func (b *SkyBasis) PV(j int) []float64 { return b.pv[j] }

// At returns B_k at pixel (x, y).
func (b *SkyBasis) At(k, x, y int) float64 {
	t := b.terms[k]
	return b.pu[t[0]][x] * b.pv[t[1]][y]
}

// Eval fills dst (of length Len) with every term at pixel (x, y) and returns it.
func (b *SkyBasis) Eval(dst []float64, x, y int) []float64 {
	for k, t := range b.terms {
		dst[k] = b.pu[t[0]][x] * b.pv[t[1]][y]
	}
	return dst
}

// Map returns the background Σ_k coef[k]·B_k at every pixel, row-major.
func (b *SkyBasis) Map(coef []float64) []float64 {
	out := make([]float64, b.Width*b.Height)
	v := make([]float64, b.Len())
	for y := 0; y < b.Height; y++ {
		for x := 0; x < b.Width; x++ {
			s := 0.0
			for k, bk := range b.Eval(v, x, y) {
				s += coef[k] * bk
			}
			out[y*b.Width+x] = s
		}
	}
	return out
}

// Means returns the mean of every term over the image's pixels: the mean background over
// the image is Σ_k coef[k]·Means()[k]. (The mean of P_i over the pixel grid is 1 for i = 0,
// 0 for odd i, and small but not 0 for even i > 0.)
func (b *SkyBasis) Means() []float64 {
	m := make([]float64, b.Len())
	for k, t := range b.terms {
		su, sv := 0.0, 0.0
		for _, p := range b.pu[t[0]] {
			su += p
		}
		for _, p := range b.pv[t[1]] {
			sv += p
		}
		m[k] = su / float64(b.Width) * sv / float64(b.Height)
	}
	return m
}
