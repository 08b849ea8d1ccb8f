package model

import (
	"math"
	"testing"
)

func TestInverseVariance(t *testing.T) {
	im := NewImage(3, 1)
	im.Pix = []float32{1044 + 462, 1044 + 46.2, float32(math.NaN())}
	im.Gain, im.Bias, im.ReadNoise, im.Background = 4.62, 1044, 2, 100
	w := im.InverseVariance(nil)
	// data: σ² = (d − bias)/gain + rn² = 100 + 4, 10 + 4; NaN pixels get weight 0.
	for i, want := range []float64{1.0 / 104, 1.0 / 14, 0} {
		if math.Abs(float64(w[i])-want) > 1e-6*want {
			t.Errorf("data noise, pixel %d: weight %g, want %g", i, w[i], want)
		}
	}
	im.Noise = NoiseFromModel
	w = im.InverseVariance([]float32{362, 0, 0})
	// model: σ² = (background + model)/gain + rn² = 462/4.62 + 4, 100/4.62 + 4.
	for i, want := range []float64{1.0 / 104, 1 / (100/4.62 + 4)} {
		if math.Abs(float64(w[i])-want) > 1e-6*want {
			t.Errorf("model noise, pixel %d: weight %g, want %g", i, w[i], want)
		}
	}
	im.Pix[0] = 0 // below the bias: the variance floor of one electron applies
	im.Noise = NoiseFromData
	if w := im.InverseVariance(nil); math.Abs(float64(w[0])-4.62) > 1e-5 {
		t.Errorf("floor: weight %g, want gain 4.62", w[0])
	}
}

func TestValidate(t *testing.T) {
	good := func() *Image {
		im := NewImage(2, 2)
		im.Gain = 4
		return im
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Image){
		"zero gain":     func(im *Image) { im.Gain = 0 },
		"negative gain": func(im *Image) { im.Gain = -1 },
		"all masked":    func(im *Image) { im.Mask = []bool{true, true, true, true} },
		"all NaN": func(im *Image) {
			for i := range im.Pix {
				im.Pix[i] = float32(math.NaN())
			}
		},
		"short pixels": func(im *Image) { im.Pix = im.Pix[:3] },
	} {
		im := good()
		mut(im)
		if err := im.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFluxPrior(t *testing.T) {
	p := FluxPrior{Min: 250, Slope: 2}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// ∫ p = 1: CDF at infinity, and density consistent with the CDF's derivative.
	for _, f := range []float64{250, 400, 1e4} {
		h := f * 1e-6
		num := (p.CDF(f+h) - p.CDF(f)) / h
		if d := math.Exp(p.LogDensity(f + h/2)); math.Abs(num-d) > 1e-4*d {
			t.Errorf("f=%g: density %g, CDF slope %g", f, d, num)
		}
	}
	if !math.IsInf(p.LogDensity(249), -1) {
		t.Error("density below f_min is not zero")
	}
	for _, bad := range []FluxPrior{{Min: 0, Slope: 2}, {Min: 250, Slope: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
