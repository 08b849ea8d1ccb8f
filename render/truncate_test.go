package render_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/render"
)

// TestTruncationError renders sources with the stamp radius psf.PSF.RadiusFor chooses for
// their flux and the pixel noise, and checks the promise of that rule against the full stamp:
// no omitted pixel exceeds 0.1σ and the omitted light's Σ (δ/σ)² ≤ 0.01.
func TestTruncationError(t *testing.T) {
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := render.NewTable(p.Coeffs, p.Size)
	if err != nil {
		t.Fatal(err)
	}
	const n = 41
	rng := rand.New(rand.NewPCG(15, 16))
	saved := 0
	for _, sigma := range []float64{1, 6.2, 30} {
		for _, flux := range []float64{10, 100, 300, 1e3, 1e4, 1e5, 1e6} {
			r := p.RadiusFor(flux, sigma)
			saved += p.Size/2 - r
			for range 20 {
				x, y := 20+rng.Float64(), 20+rng.Float64()
				full := make([]float32, n*n)
				cut := make([]float32, n*n)
				render.Render(full, n, n, n, tab, []render.Source{render.NewSource(x, y, flux, render.FullStamp)})
				render.Render(cut, n, n, n, tab, []render.Source{render.NewSource(x, y, flux, r)})
				worst, chi2 := 0.0, 0.0
				for i := range full {
					d := math.Abs(float64(full[i]-cut[i])) / sigma
					worst = math.Max(worst, d)
					chi2 += d * d
				}
				if worst > 0.1 || chi2 > 0.01 {
					t.Fatalf("flux %g, σ %g: radius %d of %d leaves a pixel of %.3gσ and Σ(δ/σ)² = %.3g (want ≤ 0.1σ and ≤ 0.01)",
						flux, sigma, r, p.Size/2, worst, chi2)
				}
			}
		}
	}
	if saved == 0 {
		t.Fatal("RadiusFor never truncated: the test checks nothing")
	}
}
