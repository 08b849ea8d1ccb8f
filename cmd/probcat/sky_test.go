package main

import (
	"math"
	"testing"

	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/simulate"
)

// TestSkyEstimate checks the starting sky of images that do not state one: within a few counts
// of the truth on a crowded zero-sky field, where the median is tens of counts high, and on an
// uncrowded sky-dominated one.
func TestSkyEstimate(t *testing.T) {
	p, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name               string
		bg, gain, rn, dens float64
		fmin               float64
		tol, medianAtLeast float64
	}{
		{"crowded, zero sky, read noise 10", 0, 0.1, 10, 0.065, 400, 10, 30},
		{"sparse, sky 179", 179, 4.62, 0, 0.01, 250, 1, 0},
	} {
		sc := simulate.Default()
		sc.Background, sc.Gain, sc.ReadNoise, sc.Density, sc.Bias = c.bg, c.gain, c.rn, c.dens, 0
		sc.FluxPrior = model.FluxPrior{Min: c.fmin, Slope: 2}
		im, _, err := simulate.Field(sc, p)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(im.Pix))
		for i, x := range im.Pix {
			v[i] = float64(x)
		}
		med, est := order.UpperMedian(v), skyEstimate(im)
		t.Logf("%s: median %.1f, estimate %.1f, truth %g", c.name, med, est, c.bg)
		if math.Abs(est-c.bg) > c.tol {
			t.Errorf("%s: sky estimate %.1f, truth %g (±%g)", c.name, est, c.bg, c.tol)
		}
		if med-c.bg < c.medianAtLeast {
			t.Errorf("%s: the median (%.1f) is already close to the sky: the field does not test the estimate", c.name, med)
		}
	}
}
