package model

import (
	"math"
	"testing"
)

// TestSkyBasis checks the terms against the Legendre polynomials written out, their order and
// names, the means over the grid, Map, and the sizes refused.
func TestSkyBasis(t *testing.T) {
	b, err := NewSkyBasis(3, 9, 5)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != SkyTerms(3) || b.Len() != 10 {
		t.Fatalf("%d terms, want 10", b.Len())
	}
	p := []func(float64) float64{
		func(float64) float64 { return 1 },
		func(u float64) float64 { return u },
		func(u float64) float64 { return (3*u*u - 1) / 2 },
		func(u float64) float64 { return (5*u*u*u - 3*u) / 2 },
	}
	names := []string{"1", "P1(u)", "P1(v)", "P2(u)", "P1(u)P1(v)", "P2(v)", "P3(u)", "P2(u)P1(v)", "P1(u)P2(v)", "P3(v)"}
	coef := make([]float64, b.Len())
	for k := range b.Len() {
		coef[k] = float64(k + 1)
		if b.Name(k) != names[k] {
			t.Errorf("term %d is %s, want %s", k, b.Name(k), names[k])
		}
	}
	m := b.Map(coef)
	means := b.Means()
	for y := range 5 {
		for x := range 9 {
			u, v := 2*float64(x)/8-1, 2*float64(y)/4-1
			sum := 0.0
			for k := range b.Len() {
				i, j := b.Degrees(k)
				want := p[i](u) * p[j](v)
				if got := b.At(k, x, y); math.Abs(got-want) > 1e-12 {
					t.Fatalf("%s at (%d, %d): %g, want %g", b.Name(k), x, y, got, want)
				}
				sum += coef[k] * want
			}
			if math.Abs(m[y*9+x]-sum) > 1e-12 {
				t.Fatalf("Map at (%d, %d): %g, want %g", x, y, m[y*9+x], sum)
			}
		}
	}
	for k, mk := range means {
		i, j := b.Degrees(k)
		if (i%2 == 1 || j%2 == 1) && math.Abs(mk) > 1e-12 || k == 0 && mk != 1 {
			t.Errorf("mean of %s over the grid: %g", b.Name(k), mk)
		}
	}
	for _, c := range [][3]int{{-1, 10, 10}, {3, 3, 10}, {2, 10, 2}} {
		if _, err := NewSkyBasis(c[0], c[1], c[2]); err == nil {
			t.Errorf("order %d over %d×%d accepted", c[0], c[1], c[2])
		}
	}
	if b0, err := NewSkyBasis(0, 1, 1); err != nil || b0.Len() != 1 || b0.At(0, 0, 0) != 1 {
		t.Errorf("order 0 over one pixel: %v", err)
	}
}
