// Package psf holds point-spread functions in the one form the renderer uses: a native-pixel
// stamp and PCAT's cubic sub-pixel coefficient table (see package render for the layout),
// built from an oversampled "effective" PSF image whose samples are pixel-integrated values.
package psf

import (
	"errors"
	"fmt"
	"math"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
	"gonum.org/v1/gonum/mat"
)

// PSF is a point-spread function ready for rendering.
type PSF struct {
	// Size is the side of the native stamp in pixels (odd); the centre is Size/2.
	Size int
	// Factor is the oversampling of Fine.
	Factor int
	// Fine is the oversampled effective PSF, (Size·Factor)² samples, row-major: sample (a, b)
	// is the light that falls in a native pixel whose centre is displaced by
	// (b/Factor − Size/2, a/Factor − Size/2) pixels from the source. It sums to Factor².
	Fine []float64
	// Coeffs is the cubic sub-pixel table, render.NumCoeffs × Size² float32 values.
	Coeffs []float32
}

// FromEffective builds a PSF from an oversampled effective PSF of side size·factor (as in
// PCAT's text format, header "25 5"). The samples are rescaled to sum to factor², so that a
// source renders with unit total flux.
func FromEffective(fine []float64, size, factor int) (*PSF, error) {
	if size < 1 || size%2 == 0 {
		return nil, fmt.Errorf("PSF stamp size must be odd and positive, got %d", size)
	}
	if factor < 1 {
		return nil, fmt.Errorf("PSF oversampling must be positive, got %d", factor)
	}
	n := size * factor
	if len(fine) != n*n {
		return nil, fmt.Errorf("oversampled PSF has %d samples, want %d×%d", len(fine), n, n)
	}
	sum := 0.0
	for _, v := range fine {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("PSF has non-finite values")
		}
		sum += v
	}
	if !(sum > 0) {
		return nil, fmt.Errorf("PSF sums to %g, must be positive", sum)
	}
	scale := float64(factor*factor) / sum
	p := &PSF{Size: size, Factor: factor, Fine: make([]float64, len(fine))}
	for i, v := range fine {
		p.Fine[i] = v * scale
	}
	p.Coeffs = fitCubic(p.Fine, size, factor)
	return p, nil
}

// fitCubic fits, for every stamp pixel, the ten-term cubic in the sub-pixel offset (dx, dy) ∈
// [0, 1]² to the (factor+1)² oversampled samples that cover it, by least squares (PCAT's
// construction; samples beyond the edge are zero).
func fitCubic(fine []float64, size, factor int) []float32 {
	n := size * factor
	m := factor + 1
	a := mat.NewDense(m*m, render.NumCoeffs, nil)
	var b [render.NumCoeffs]float64
	for t := 0; t < m; t++ {
		for s := 0; s < m; s++ {
			render.Basis(float64(s)/float64(factor), float64(t)/float64(factor), &b)
			a.SetRow(t*m+s, b[:])
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	np := size * size
	out := make([]float32, render.NumCoeffs*np)
	rhs := mat.NewDense(m*m, 1, nil)
	var sol mat.Dense
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			for t := 0; t < m; t++ {
				for s := 0; s < m; s++ {
					fa, fb := v*factor+t, u*factor+s
					val := 0.0
					if fa < n && fb < n {
						val = fine[fa*n+fb]
					}
					rhs.Set(t*m+s, 0, val)
				}
			}
			if err := qr.SolveTo(&sol, false, rhs); err != nil {
				panic(err) // the design matrix is fixed and full rank
			}
			for k := 0; k < render.NumCoeffs; k++ {
				out[k*np+v*size+u] = float32(sol.At(k, 0))
			}
		}
	}
	return out
}

// Gaussian returns a circular Gaussian PSF of the given full width at half maximum in pixels,
// integrated over pixels, on a stamp reaching 4 FWHM from the centre, 5× oversampled.
func Gaussian(fwhm float64) (*PSF, error) {
	if !(fwhm > 0) || math.IsInf(fwhm, 0) {
		return nil, fmt.Errorf("Gaussian FWHM must be positive, got %g", fwhm)
	}
	sigma := fwhm / (2 * math.Sqrt(2*math.Ln2))
	return fromProfile(func(d float64) float64 {
		// light of a 1-D Gaussian in a pixel centred at displacement d
		s := sigma * math.Sqrt2
		return 0.5 * (math.Erf((d+0.5)/s) - math.Erf((d-0.5)/s))
	}, 2*int(math.Ceil(4*fwhm))+1, 5)
}

// fromProfile builds a separable effective PSF from a 1-D pixel-integrated profile.
func fromProfile(f func(d float64) float64, size, factor int) (*PSF, error) {
	n := size * factor
	c := float64(size / 2)
	p1 := make([]float64, n)
	for a := range p1 {
		p1[a] = f(float64(a)/float64(factor) - c)
	}
	fine := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			fine[a*n+b] = p1[a] * p1[b]
		}
	}
	return FromEffective(fine, size, factor)
}

// Radius implements model.Profile: the stamp half-width.
func (p *PSF) Radius() int { return p.Size / 2 }

// AddTo implements model.Profile: it adds flux × PSF centred at image position (x, y) into b.
func (p *PSF) AddTo(b model.Box, x, y, flux float64) {
	xs := [1]float32{float32(x - float64(b.X0))}
	ys := [1]float32{float32(y - float64(b.Y0))}
	fs := [1]float32{float32(flux)}
	render.AddSources(b.Pix, b.Stride, b.W, b.H, p.Coeffs, p.Size, xs[:], ys[:], fs[:])
}

// Stamp returns the native-pixel image of a unit-flux source at sub-pixel offset (dx, dy) ∈
// [0, 1)² from the polynomial table (Size² values, row-major).
func (p *PSF) Stamp(dx, dy float64) []float64 {
	np := p.Size * p.Size
	var b [render.NumCoeffs]float64
	render.Basis(dx, dy, &b)
	out := make([]float64, np)
	for i := range out {
		for k := 0; k < render.NumCoeffs; k++ {
			out[i] += b[k] * float64(p.Coeffs[k*np+i])
		}
	}
	return out
}
