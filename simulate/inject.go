package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/probcat/probcat/model"
	"gonum.org/v1/gonum/stat/distuv"
)

// Injection is a set of artificial stars for a completeness test: positions in the pixels of
// the image they are added to (0-based, pixel centres at integers), fluxes in its counts and
// magnitudes with its zero point.
type Injection struct {
	X, Y, Flux, Mag []float64
}

// InjectConfig says which artificial stars to draw: N stars with positions uniform over the
// pixels of the box X0, Y0, W, H of the image (x ∈ [X0 − ½, X0 + W − ½), y likewise) and
// magnitudes uniform in [Bright, Faint], fluxes 10^(−0.4 (mag − ZeroPoint)) (ZeroPoint NaN:
// unknown, refused).
type InjectConfig struct {
	N              int
	X0, Y0, W, H   int
	Bright, Faint  float64
	ZeroPoint      float64
	Seed           uint64
	PhotonNoise    bool    // add each star's Poisson noise (in electrons)
	Gain           float64 // electrons per count, for the photon noise
	ImageW, ImageH int     // the image the stars go into
}

// Validate reports the first problem with the configuration.
func (c InjectConfig) Validate() error {
	switch {
	case c.N < 1:
		return fmt.Errorf("the number of stars must be at least 1, got %d", c.N)
	case c.W < 1 || c.H < 1 || c.X0 < 0 || c.Y0 < 0 || c.X0+c.W > c.ImageW || c.Y0+c.H > c.ImageH:
		return fmt.Errorf("box %d,%d,%d,%d (x0,y0,w,h) does not lie inside the %d×%d image", c.X0, c.Y0, c.W, c.H, c.ImageW, c.ImageH)
	case math.IsNaN(c.Bright) || math.IsNaN(c.Faint) || math.IsInf(c.Bright, 0) || math.IsInf(c.Faint, 0) || c.Bright > c.Faint:
		return fmt.Errorf("magnitude range %g,%g: want finite BRIGHT ≤ FAINT", c.Bright, c.Faint)
	case math.IsNaN(c.ZeroPoint) || math.IsInf(c.ZeroPoint, 0):
		return fmt.Errorf("no zero point: magnitudes need one")
	case c.PhotonNoise && !(c.Gain > 0 && !math.IsInf(c.Gain, 0)):
		return fmt.Errorf("photon noise needs a positive gain, got %g", c.Gain)
	}
	return nil
}

// Inject draws the stars of c and renders them with the PSF into an image of c.ImageW ×
// c.ImageH pixels: the returned counts are Σ flux·PSF, with Poisson noise drawn in electrons
// (Poisson(gain·m)/gain per pixel) when c.PhotonNoise, to be added to the image's data;
// expected holds Σ flux·PSF without noise, whose variance expected/gain is the noise added.
// The same configuration and seed give the same stars and noise.
func Inject(c InjectConfig, psf model.Profile) (inj Injection, counts, expected []float32, err error) {
	if err := c.Validate(); err != nil {
		return Injection{}, nil, nil, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x1a7))
	for i := 0; i < c.N; i++ {
		x := float64(c.X0) - 0.5 + rng.Float64()*float64(c.W)
		y := float64(c.Y0) - 0.5 + rng.Float64()*float64(c.H)
		m := c.Bright + rng.Float64()*(c.Faint-c.Bright)
		inj.X, inj.Y, inj.Mag = append(inj.X, x), append(inj.Y, y), append(inj.Mag, m)
		inj.Flux = append(inj.Flux, math.Pow(10, -0.4*(m-c.ZeroPoint)))
	}
	n := c.ImageW * c.ImageH
	expected = make([]float32, n)
	box := model.Box{Pix: expected, Stride: c.ImageW, W: c.ImageW, H: c.ImageH}
	for i := range inj.X {
		psf.AddTo(box, inj.X[i], inj.Y[i], inj.Flux[i])
	}
	counts = append([]float32(nil), expected...)
	if c.PhotonNoise {
		for i, m := range expected {
			if e := c.Gain * float64(m); e > 0 { // a PSF's negative wing stays as rendered
				counts[i] = float32(distuv.Poisson{Lambda: e, Src: rng}.Rand() / c.Gain)
			}
		}
	}
	return inj, counts, expected, nil
}
