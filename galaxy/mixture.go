package galaxy

import (
	"fmt"
	"math"
)

// Gaussian is one component of a two-dimensional Gaussian mixture: Amp·N(d | mean, cov) for a
// displacement d = (dx, dy) in pixels, with mean (MX, MY) and covariance [[XX, XY], [XY, YY]]
// in pixels². N is normalised, so Amp is the component's total light.
type Gaussian struct {
	Amp        float64
	MX, MY     float64
	XX, XY, YY float64
}

// Mixture is a sum of Gaussians: a PSF, a galaxy profile, or their convolution.
type Mixture []Gaussian

// At returns the mixture's value at displacement (dx, dy).
func (m Mixture) At(dx, dy float64) float64 {
	s := 0.0
	for _, g := range m {
		s += g.at(dx, dy)
	}
	return s
}

// Light returns the mixture's total light, the sum of its amplitudes.
func (m Mixture) Light() float64 {
	s := 0.0
	for _, g := range m {
		s += g.Amp
	}
	return s
}

// Convolve returns the convolution of m with o: a component for each pair, whose amplitude
// is the product, mean the sum of means and covariance the sum of covariances.
func (m Mixture) Convolve(o Mixture) Mixture {
	out := make(Mixture, 0, len(m)*len(o))
	for _, a := range m {
		for _, b := range o {
			out = append(out, Gaussian{
				Amp: a.Amp * b.Amp,
				MX:  a.MX + b.MX, MY: a.MY + b.MY,
				XX: a.XX + b.XX, XY: a.XY + b.XY, YY: a.YY + b.YY,
			})
		}
	}
	return out
}

// Validate reports whether every component has a finite amplitude and mean and a positive
// definite covariance.
func (m Mixture) Validate() error {
	if len(m) == 0 {
		return fmt.Errorf("empty Gaussian mixture")
	}
	for i, g := range m {
		for _, v := range []float64{g.Amp, g.MX, g.MY, g.XX, g.XY, g.YY} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("Gaussian mixture component %d is not finite", i)
			}
		}
		if !(g.XX > 0) || !(g.YY > 0) || !(g.det() > 0) {
			return fmt.Errorf("Gaussian mixture component %d has a covariance that is not positive definite", i)
		}
	}
	return nil
}

// det returns the determinant of the covariance.
func (g Gaussian) det() float64 { return g.XX*g.YY - g.XY*g.XY }

// maxVariance returns the larger eigenvalue of the covariance.
func (g Gaussian) maxVariance() float64 {
	h := (g.XX - g.YY) / 2
	return (g.XX+g.YY)/2 + math.Hypot(h, g.XY)
}

// at returns the component's value at displacement (dx, dy).
func (g Gaussian) at(dx, dy float64) float64 {
	d := g.det()
	x, y := dx-g.MX, dy-g.MY
	q := (g.YY*x*x - 2*g.XY*x*y + g.XX*y*y) / d
	return g.Amp / (2 * math.Pi * math.Sqrt(d)) * math.Exp(-q/2)
}
