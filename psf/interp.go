package psf

import (
	"math"
	"strconv"
)

// kernel is a separable interpolation kernel: weight(t) for a sample at distance t, zero for
// |t| ≥ radius.
type kernel struct {
	name   string
	radius int
	weight func(t float64) float64
}

// keys is the Keys (1981) cubic convolution kernel with a = −½: exact for quadratics.
var keys = kernel{name: "bicubic", radius: 2, weight: func(t float64) float64 {
	t = math.Abs(t)
	switch {
	case t < 1:
		return (1.5*t-2.5)*t*t + 1
	case t < 2:
		return ((-0.5*t+2.5)*t-4)*t + 2
	}
	return 0
}}

// taps fills w with the kernel weights for the samples i0, i0+1, … around coordinate x and
// returns i0.
func (k kernel) taps(x float64, w []float64) int {
	i0 := int(math.Floor(x)) - k.radius + 1
	for j := range w {
		w[j] = k.weight(x - float64(i0+j))
	}
	return i0
}

// interpolate evaluates the w×h row-major image img at column x, row y (pixel centres at
// integers) with kernel k, taking samples beyond the image as zero.
func interpolate(k kernel, img []float64, w, h int, x, y float64) float64 {
	var wxb, wyb [16]float64
	wx, wy := wxb[:2*k.radius], wyb[:2*k.radius]
	i0 := k.taps(x, wx)
	j0 := k.taps(y, wy)
	s := 0.0
	for jj, vy := range wy {
		j := j0 + jj
		if j < 0 || j >= h || vy == 0 {
			continue
		}
		row := 0.0
		for ii, vx := range wx {
			i := i0 + ii
			if i < 0 || i >= w {
				continue
			}
			row += vx * img[j*w+i]
		}
		s += vy * row
	}
	return s
}

// lanczos returns the Lanczos kernel of half-width a: the sinc windowed by a wider sinc,
// sinc(t)·sinc(t/a) for |t| < a.
func lanczos(a int) kernel {
	fa := float64(a)
	return kernel{name: "lanczos" + strconv.Itoa(a), radius: a, weight: func(t float64) float64 {
		t = math.Abs(t)
		switch {
		case t == 0:
			return 1
		case t < fa:
			pt := math.Pi * t
			return fa * math.Sin(pt) * math.Sin(pt/fa) / (pt * pt)
		}
		return 0
	}}
}

// resample evaluates the w×h image at the columns xs and rows ys with kernel k (samples
// beyond the image are zero), returning a len(ys)×len(xs) row-major grid. It is separable:
// out = Wy · img · Wxᵀ with Wx[b][i] = k(xs[b] − i).
func resample(k kernel, img []float64, w, h int, xs, ys []float64) []float64 {
	weights := func(pos []float64, m int) []float64 {
		out := make([]float64, len(pos)*m)
		for b, x := range pos {
			lo := int(math.Floor(x)) - k.radius + 1
			for i := max(0, lo); i < min(m, lo+2*k.radius); i++ {
				out[b*m+i] = k.weight(x - float64(i))
			}
		}
		return out
	}
	wx, wy := weights(xs, w), weights(ys, h)
	// tmp = img · Wxᵀ: h × len(xs)
	nx := len(xs)
	tmp := make([]float64, h*nx)
	for j := 0; j < h; j++ {
		row := img[j*w : (j+1)*w]
		for b := 0; b < nx; b++ {
			s := 0.0
			for i, v := range wx[b*w : (b+1)*w] {
				s += v * row[i]
			}
			tmp[j*nx+b] = s
		}
	}
	out := make([]float64, len(ys)*nx)
	for a := range ys {
		o := out[a*nx : (a+1)*nx]
		for j, v := range wy[a*h : (a+1)*h] {
			if v == 0 {
				continue
			}
			for b, t := range tmp[j*nx : (j+1)*nx] {
				o[b] += v * t
			}
		}
	}
	return out
}
