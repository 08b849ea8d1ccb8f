package psf

import (
	"fmt"
	"math"
)

// Oversample is the oversampling factor of the effective PSFs this package builds from
// analytic profiles and native-sampled images (PCAT's choice).
const Oversample = 5

// MaxTruncatedLight is the largest fraction of a point source's light that an automatically
// sized stamp may leave out, wherever the source falls within its pixel. The PSF is then
// normalised to unit sum on its stamp (see FromEffective), so the omitted wing light is
// redistributed in proportion to the stamp: a profile change below this fraction.
const MaxTruncatedLight = 1e-4

// MaxSize is the largest native stamp side this package builds automatically.
const MaxSize = 255

// sigmaPerFWHM converts a Gaussian FWHM into its standard deviation.
var sigmaPerFWHM = 1 / (2 * math.Sqrt(2*math.Ln2))

// profile is an analytic, circularly symmetric PSF of unit total light.
type profile struct {
	name string
	// cell returns the light falling in the square [x0, x1] × [y0, y1] (pixels, source at 0).
	cell func(x0, x1, y0, y1 float64) float64
	// outside returns the light beyond radius r.
	outside func(r float64) float64
}

// Gaussian returns a circular Gaussian PSF of the given full width at half maximum in
// pixels, integrated over pixels (exactly, with erf), 5× oversampled, on the smallest stamp
// that leaves out less than MaxTruncatedLight of the light.
func Gaussian(fwhm float64) (*PSF, error) { return gaussian(fwhm, 0) }

func gaussian(fwhm float64, size int) (*PSF, error) {
	if !(fwhm > 0) || math.IsInf(fwhm, 0) {
		return nil, fmt.Errorf("gaussian: fwhm must be positive and finite, got %g", fwhm)
	}
	s := fwhm * sigmaPerFWHM
	return fromProfile(profile{
		name: "gaussian",
		cell: func(x0, x1, y0, y1 float64) float64 {
			return gaussLight(x0, x1, s) * gaussLight(y0, y1, s)
		},
		outside: func(r float64) float64 { return math.Exp(-r * r / (2 * s * s)) },
	}, size)
}

// gaussLight is the light of a unit 1-D Gaussian of standard deviation s between x0 and x1.
func gaussLight(x0, x1, s float64) float64 {
	k := 1 / (s * math.Sqrt2)
	if x0 > 0 { // use the upper tail for accuracy far from the centre
		return 0.5 * (math.Erfc(x0*k) - math.Erfc(x1*k))
	}
	if x1 < 0 {
		return 0.5 * (math.Erfc(-x1*k) - math.Erfc(-x0*k))
	}
	return 0.5 * (math.Erf(x1*k) - math.Erf(x0*k))
}

// DoubleGaussian returns the SDSS double-Gaussian PSF, the sum of two concentric circular
// Gaussians of standard deviations sigma1 and sigma2 pixels whose surface brightness at the
// centre is in the ratio b (second to first), as in the psField columns psf_sigma1,
// psf_sigma2 and psf_b: PSF(r) ∝ exp(−r²/2σ₁²) + b·exp(−r²/2σ₂²). The second component
// thus holds the fraction b·σ₂²/(σ₁² + b·σ₂²) of the light (0.288 for SDSS r of field
// 2583-2-136: σ₁ = 0.880, σ₂ = 2.308, b = 0.0588). Pixel-integrated exactly, 5× oversampled,
// on the smallest stamp that leaves out less than MaxTruncatedLight.
func DoubleGaussian(sigma1, sigma2, b float64) (*PSF, error) {
	return doubleGaussian(sigma1, sigma2, b, 0)
}

func doubleGaussian(s1, s2, b float64, size int) (*PSF, error) {
	for _, v := range []float64{s1, s2} {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("doublegaussian: sigmas must be positive and finite, got %g and %g", s1, s2)
		}
	}
	if !(b >= 0) || math.IsInf(b, 0) {
		return nil, fmt.Errorf("doublegaussian: b must be non-negative and finite, got %g", b)
	}
	w2 := b * s2 * s2 / (s1*s1 + b*s2*s2)
	w1 := 1 - w2
	return fromProfile(profile{
		name: "doublegaussian",
		cell: func(x0, x1, y0, y1 float64) float64 {
			return w1*gaussLight(x0, x1, s1)*gaussLight(y0, y1, s1) +
				w2*gaussLight(x0, x1, s2)*gaussLight(y0, y1, s2)
		},
		outside: func(r float64) float64 {
			return w1*math.Exp(-r*r/(2*s1*s1)) + w2*math.Exp(-r*r/(2*s2*s2))
		},
	}, size)
}

// Moffat returns a circular Moffat PSF, surface brightness ∝ (1 + r²/α²)^(−β) with
// α = fwhm / (2·√(2^(1/β) − 1)), for fwhm in pixels and β > 1. It is integrated over pixels
// by 4×4-point Gauss–Legendre quadrature on each fifth of a pixel (relative error below
// 1e−6 for fwhm ≥ 1), 5× oversampled, on the smallest stamp that leaves out less than
// MaxTruncatedLight: the light beyond radius R is (1 + R²/α²)^(1−β), so the stamp grows
// quickly as β approaches 1 (51×51 for fwhm 2.5, β = 3) and building fails beyond MaxSize.
func Moffat(fwhm, beta float64) (*PSF, error) { return moffat(fwhm, beta, 0) }

func moffat(fwhm, beta float64, size int) (*PSF, error) {
	if !(fwhm > 0) || math.IsInf(fwhm, 0) {
		return nil, fmt.Errorf("moffat: fwhm must be positive and finite, got %g", fwhm)
	}
	if !(beta > 1) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("moffat: beta must be finite and greater than 1 (the light diverges otherwise), got %g", beta)
	}
	alpha := fwhm / (2 * math.Sqrt(math.Pow(2, 1/beta)-1))
	a2 := alpha * alpha
	norm := (beta - 1) / (math.Pi * a2)
	sb := func(x, y float64) float64 { return norm * math.Pow(1+(x*x+y*y)/a2, -beta) }
	return fromProfile(profile{
		name: "moffat",
		cell: func(x0, x1, y0, y1 float64) float64 {
			hx, hy := (x1-x0)/2, (y1-y0)/2
			mx, my := (x1+x0)/2, (y1+y0)/2
			s := 0.0
			for i, xi := range gl4x {
				for j, yj := range gl4x {
					s += gl4w[i] * gl4w[j] * sb(mx+hx*xi, my+hy*yj)
				}
			}
			return s * hx * hy
		},
		outside: func(r float64) float64 { return math.Pow(1+r*r/a2, 1-beta) },
	}, size)
}

// Four-point Gauss–Legendre nodes and weights on [−1, 1].
var (
	gl4x = [4]float64{-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526}
	gl4w = [4]float64{0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538}
)

// autoSize returns the smallest odd stamp side whose light loss, for a source anywhere in
// its central pixel, is below MaxTruncatedLight: a source at sub-pixel offset up to one
// pixel from the stamp centre lies at least c − ½ from every edge, and the light outside
// that square is at most the light outside the inscribed circle.
func autoSize(name string, outside func(r float64) float64) (int, error) {
	for c := 1; 2*c+1 <= MaxSize; c++ {
		if outside(float64(c)-0.5) < MaxTruncatedLight {
			return 2*c + 1, nil
		}
	}
	return 0, fmt.Errorf("%s: a stamp of %d pixels would leave out more than %g of the light; give size= explicitly", name, MaxSize, MaxTruncatedLight)
}

// fromProfile integrates p over pixels on a 5× oversampled grid: the light of a native
// pixel whose centre is at each fine displacement is the sum of the 5×5 fifth-of-a-pixel
// cells it covers (the fine grid spacing equals the cell side because the factor is odd).
// size 0 chooses the stamp with autoSize.
func fromProfile(p profile, size int) (*PSF, error) {
	if size == 0 {
		var err error
		if size, err = autoSize(p.name, p.outside); err != nil {
			return nil, err
		}
	}
	if size < 1 || size%2 == 0 {
		return nil, fmt.Errorf("%s: stamp size must be odd and positive, got %d", p.name, size)
	}
	const f = Oversample
	h := f / 2
	n := size * f
	m := n + 2*h // cells, with a margin of h on each side
	c := float64(size / 2)
	step := 1 / float64(f)
	cells := make([]float64, m*m)
	for a := 0; a < m; a++ {
		y := float64(a-h)*step - c
		for b := 0; b < m; b++ {
			x := float64(b-h)*step - c
			cells[a*m+b] = p.cell(x-step/2, x+step/2, y-step/2, y+step/2)
		}
	}
	// box sums of f cells along rows, then along columns
	rows := make([]float64, m*n)
	for a := 0; a < m; a++ {
		for b := 0; b < n; b++ {
			s := 0.0
			for k := 0; k < f; k++ {
				s += cells[a*m+b+k]
			}
			rows[a*n+b] = s
		}
	}
	fine := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			s := 0.0
			for k := 0; k < f; k++ {
				s += rows[(a+k)*n+b]
			}
			fine[a*n+b] = s
		}
	}
	return FromEffective(fine, size, f)
}
