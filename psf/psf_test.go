package psf

import (
	"math"
	"testing"
)

func TestGaussianSumsToOne(t *testing.T) {
	p, err := Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range [][2]float64{{0, 0}, {0.3, 0.7}, {0.99, 0.5}} {
		s := 0.0
		for _, v := range p.Stamp(off[0], off[1]) {
			s += v
		}
		if math.Abs(s-1) > 1e-4 {
			t.Errorf("offset %v: stamp sums to %.6f, want 1 within 1e-4", off, s)
		}
	}
}
