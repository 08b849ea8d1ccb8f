package model_test

import (
	"math"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/model/kindtest"
	"github.com/probcat/probcat/psf"
)

// TestMultiBandKind checks the two-band kind against the SourceKind contract: a normalised
// prior (power law times a Gaussian colour), SamplePrior drawing from it, Perturb's Hastings
// term and the reference band's rendering.
func TestMultiBandKind(t *testing.T) {
	r, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	i, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewMultiBand([]string{"r", "i"}, []model.Profile{r, i}, model.FluxPrior{Min: 100, Slope: 2}, []model.Colour{{Mean: 0.3, Sigma: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	kindtest.Test(t, m)
	if got := m.Params(); len(got) != 2 || got[1] != "flux_i" {
		t.Errorf("params %v, want [flux flux_i]", got)
	}
	// the colour density integrates to 1 over f_i for a fixed f_r
	sum := 0.0
	for c := -5.0; c < 5.6; c += 0.001 {
		f := 1000 * math.Pow(10, 0.4*c)
		sum += math.Exp(m.LogBandPrior(1, []float64{1000, f})) * f * math.Ln10 / 2.5 * 0.001
	}
	if math.Abs(sum-1) > 1e-4 {
		t.Errorf("colour density integrates to %g, want 1", sum)
	}
}

// TestMultiBandBad checks NewMultiBand's refusals and the affine map's inverse norm.
func TestMultiBandBad(t *testing.T) {
	p, _ := psf.Gaussian(2.5)
	fp := model.FluxPrior{Min: 100, Slope: 2}
	for _, c := range []struct {
		names []string
		psfs  []model.Profile
		cols  []model.Colour
	}{
		{nil, nil, nil},
		{[]string{"r", "i"}, []model.Profile{p}, []model.Colour{{0, 1}}},
		{[]string{"r", "i"}, []model.Profile{p, p}, nil},
		{[]string{"r", "i"}, []model.Profile{p, p}, []model.Colour{{0, 0}}},
		{[]string{"r", "i"}, []model.Profile{p, nil}, []model.Colour{{0, 1}}},
	} {
		if _, err := model.NewMultiBand(c.names, c.psfs, fp, c.cols); err == nil {
			t.Errorf("NewMultiBand(%v, %d PSFs, %v) succeeded", c.names, len(c.psfs), c.cols)
		}
	}
	m, err := model.NewMultiBand([]string{"r", "i"}, []model.Profile{p, p}, fp, []model.Colour{{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if m.ColourSpread = -1; m.Validate() == nil {
		t.Error("a negative colour spread validated")
	}
	a := model.AffineMap{X0: 3, Y0: -1, J: [2][2]float64{{math.Cos(0.01), -math.Sin(0.01)}, {math.Sin(0.01), math.Cos(0.01)}}}
	if n := a.InverseNorm(); math.Abs(n-(math.Cos(0.01)+math.Sin(0.01))) > 1e-12 {
		t.Errorf("inverse norm of a rotation by 0.01 is %g", n)
	}
	if n := (model.AffineMap{}).InverseNorm(); !math.IsInf(n, 1) {
		t.Errorf("inverse norm of a singular map is %g", n)
	}
}
