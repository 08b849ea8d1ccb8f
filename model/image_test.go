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
	// data: σ² = max(d − bias, sky)/gain + rn² = 100 + 4, then the sky's 100/4.62 + 4 for the
	// pixel below the sky (its data would say 10 + 4); NaN pixels get weight 0.
	for i, want := range []float64{1.0 / 104, 1 / (100/4.62 + 4), 0} {
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
	im.Pix[0] = 0 // below the bias, no sky, no read noise: the floor of one electron applies
	im.Noise = NoiseFromData
	im.Background, im.ReadNoise = 0, 0
	if w := im.InverseVariance(nil); math.Abs(float64(w[0])-4.62) > 1e-5 {
		t.Errorf("floor: weight %g, want gain 4.62", w[0])
	}
}

// TestInverseVarianceZeroSky checks the data noise of an image with no sky and read noise 10:
// a pixel below the bias must not weigh more than one at the bias (the Poisson term never
// goes below zero), so that negative and positive fluctuations of the same size weigh within
// the Poisson term of each other, and model noise with a negative background is floored the
// same way.
func TestInverseVarianceZeroSky(t *testing.T) {
	im := NewImage(5, 1)
	im.Gain, im.Bias, im.ReadNoise, im.Background = 1, 1000, 10, 0
	im.Pix = []float32{1000 - 99, 1000 - 30, 1000, 1000 + 30, 1000 + 99}
	w := im.InverseVariance(nil)
	for i, want := range []float64{1.0 / 100, 1.0 / 100, 1.0 / 100, 1.0 / 130, 1.0 / 199} {
		if math.Abs(float64(w[i])-want) > 1e-6*want {
			t.Errorf("zero sky, pixel %d (d − bias = %g): weight %g, want %g", i, im.Pix[i]-1000, w[i], want)
		}
	}
	if r := w[0] / w[4]; r > 2 {
		t.Errorf("a −10σ pixel weighs %.2f× a +10σ one", r)
	}
	im.Noise = NoiseFromModel
	im.Background = -50 // a sampled background may wander below zero on such an image
	for i, v := range im.InverseVariance(nil) {
		if math.Abs(float64(v)-0.01) > 1e-8 {
			t.Errorf("model noise, negative background, pixel %d: weight %g, want 1/rn² = 0.01", i, v)
		}
	}
	if v := im.PixelVariance(-1e6); v != 100 {
		t.Errorf("PixelVariance(−1e6) = %g, want the read-noise variance 100", v)
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

// TestDefaultNoise checks the rule for the noise model nobody chose.
func TestDefaultNoise(t *testing.T) {
	for _, c := range []struct {
		bkg, gain, rn float64
		want          NoiseModel
	}{
		{0, 1, 10, NoiseFromModel},     // zero sky, read noise 10
		{50, 1, 10, NoiseFromModel},    // sky variance 50 < 100
		{-5, 1, 10, NoiseFromModel},    // a negative sky counts as none
		{179, 4.62, 2, NoiseFromData},  // sky dominated (38.7 > 4)
		{0, 1, 0, NoiseFromData},       // no read noise known
		{179, 4.62, 0, NoiseFromData},  // PCAT's M2 cutout
		{100, 4.7, 1.1, NoiseFromData}, // an SDSS frame
		{400, 1, 20, NoiseFromData},    // equal: sky variance 400 = read noise² 400
	} {
		im := NewImage(1, 1)
		im.Background, im.Gain, im.ReadNoise = c.bkg, c.gain, c.rn
		if got, why := DefaultNoise(im); got != c.want || why == "" {
			t.Errorf("sky %g, gain %g, read noise %g: %v (%q), want %v", c.bkg, c.gain, c.rn, got, why, c.want)
		}
	}
}

// TestVarianceMap checks NoiseFromMap: each pixel's variance comes from the map whatever the
// gain, read noise or model, the model error adds to it, pixels without a positive finite map
// variance get weight 0, and Validate refuses map noise without a map or with a map of
// another size.
func TestVarianceMap(t *testing.T) {
	im := NewImage(4, 1)
	im.Pix = []float32{10, 20, 30, 40}
	im.Gain, im.ReadNoise, im.Background = 2, 5, 10
	im.Noise = NoiseFromMap
	if err := im.Validate(); err == nil {
		t.Error("map noise without a map validated")
	}
	im.VarMap = []float32{4, 9, 0, float32(math.Inf(1))}
	if err := im.Validate(); err != nil {
		t.Fatal(err)
	}
	w := im.InverseVariance([]float32{1000, 1000, 1000, 1000})
	for i, want := range []float64{0.25, 1.0 / 9, 0, 0} {
		if math.Abs(float64(w[i])-want) > 1e-7 {
			t.Errorf("pixel %d: weight %g, want %g", i, w[i], want)
		}
	}
	if v := im.Variance(1, 1e6); v != 9 {
		t.Errorf("Variance ignores m for map noise: got %g, want 9", v)
	}
	im.ModelError = 0.1 // signal above the sky of pixel 1 is 10: +1
	if v := im.Variance(1, 0); math.Abs(v-10) > 1e-12 {
		t.Errorf("map noise with model error: variance %g, want 10", v)
	}
	if n, _ := DefaultNoise(im); n != NoiseFromMap {
		t.Errorf("default noise with a map is %v, want map", n)
	}
	if n, err := ParseNoiseModel(NoiseFromMap.String()); err != nil || n != NoiseFromMap {
		t.Errorf("ParseNoiseModel(%q) = %v, %v", NoiseFromMap.String(), n, err)
	}
	im.VarMap = im.VarMap[:3]
	if err := im.Validate(); err == nil {
		t.Error("a variance map of another size validated")
	}
}

// TestVarianceModel checks that VarianceModel.At is Image.Variance, with and without a model
// error, below, at and above the one-electron floor and at negative counts, and that Slope is
// At's derivative away from the kinks.
func TestVarianceModel(t *testing.T) {
	for _, eps := range []float64{0, 0.05} {
		im := NewImage(4, 3)
		im.Gain, im.ReadNoise, im.Background, im.ModelError = 0.5, 0.3, 20, eps
		for i := range im.Pix {
			im.Pix[i] = float32(10 * i)
		}
		vm := im.VarianceModel()
		for i := range im.Pix {
			for _, m := range []float64{-5, 0, 0.2, 1, 37.5, 1e4} {
				if got, want := vm.At(i, m), im.Variance(i, m); got != want {
					t.Errorf("model error %g, pixel %d, m %g: At %g, Variance %g", eps, i, m, got, want)
				}
				h := 1e-4
				if num := (vm.At(i, m+h) - vm.At(i, m-h)) / (2 * h); m > 1 && math.Abs(num-vm.Slope(m)) > 1e-6 {
					t.Errorf("m %g: Slope %g, numerical derivative %g", m, vm.Slope(m), num)
				}
			}
		}
		if vm.Slope(-1) != 0 {
			t.Errorf("Slope(−1) = %g, want 0 where the Poisson term is clipped", vm.Slope(-1))
		}
	}
}

// TestModelErrorRadius checks the local-peak model error: with a radius R every pixel within R
// (a square) of a bright pixel gets σ² += (ε·its signal)², masked pixels lend no signal, the
// pixel's own signal is used with R = 0, and a radius out of range does not validate.
func TestModelErrorRadius(t *testing.T) {
	im := NewImage(9, 7)
	im.Background, im.ReadNoise = 10, 1
	for i := range im.Pix {
		im.Pix[i] = 10
	}
	im.Pix[3*9+4] = 1010 // a bright pixel at (4, 3), signal 1000
	im.Pix[0] = 510      // a masked one at (0, 0)
	im.Mask = make([]bool, len(im.Pix))
	im.Mask[0] = true
	im.ModelError = 0.01
	base := im.PixelVariance(10)
	extra := func(x, y int) float64 { return im.Variance(y*9+x, 10) - base }
	if got := extra(5, 3); got != 0 {
		t.Errorf("radius 0: the bright pixel's neighbour gets %g, want 0", got)
	}
	if got := extra(4, 3); math.Abs(got-100) > 1e-9 {
		t.Errorf("radius 0: the bright pixel gets %g, want (0.01·1000)² = 100", got)
	}
	im.ModelErrorRadius = 2
	if err := im.Validate(); err != nil {
		t.Fatal(err)
	}
	for y := range 7 {
		for x := range 9 {
			want := 0.0
			if max(abs(x-4), abs(y-3)) <= 2 {
				want = 100
			}
			if got := extra(x, y); math.Abs(got-want) > 1e-9 {
				t.Errorf("radius 2: pixel (%d, %d) gets %g, want %g", x, y, got, want)
			}
		}
	}
	vm := im.VarianceModel()
	for i := range im.Pix {
		if got, want := vm.At(i, 10), im.Variance(i, 10); got != want {
			t.Errorf("pixel %d: VarianceModel.At %g, Variance %g", i, got, want)
		}
	}
	for _, r := range []int{-1, 51} {
		im.ModelErrorRadius = r
		if im.Validate() == nil {
			t.Errorf("model error radius %d validated", r)
		}
	}
}

func abs(v int) int { return max(v, -v) }
