package galaxy

import (
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// BenchmarkRender draws exponential galaxies of the sampler's typical sizes (r_e 0.5–4 px, any
// shape) through a 3-component fit of a Gaussian PSF of FWHM 2.5 px, adding and removing each
// on a 64×64 image, as a move's two renders do.
func BenchmarkRender(b *testing.B) {
	p, err := psf.Gaussian(2.5)
	if err != nil {
		b.Fatal(err)
	}
	fit, err := FitPSF(p, 3)
	if err != nil {
		b.Fatal(err)
	}
	k, err := NewKind(Exp, fit.Mixture, model.FluxPrior{Min: 250, Slope: 2}, 0.5, 4)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 64
	params := make([][]float64, n)
	pos := make([][2]float64, n)
	for i := range params {
		params[i] = make([]float64, 4)
		k.SamplePrior(rng, params[i])
		pos[i] = [2]float64{20 + 24*rng.Float64(), 20 + 24*rng.Float64()}
	}
	pix := make([]float32, 64*64)
	box := model.Box{Pix: pix, Stride: 64, W: 64, H: 64}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % n
		k.Render(box, pos[j][0], pos[j][1], params[j], 1)
		k.Render(box, pos[j][0], pos[j][1], params[j], -1)
	}
}
