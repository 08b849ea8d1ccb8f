package sampler

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/simulate"
	"gonum.org/v1/gonum/stat/distuv"
)

// ksPValue returns the p-value of the one-sample Kolmogorov–Smirnov test of xs against cdf
// (asymptotic Kolmogorov distribution with Stephens' small-sample correction).
func ksPValue(xs []float64, cdf func(float64) float64) (d, p float64) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := float64(len(s))
	for i, x := range s {
		f := cdf(x)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	en := math.Sqrt(n)
	lam := (en + 0.12 + 0.11/en) * d
	p = 0
	for j := 1; j <= 100; j++ {
		t := 2 * math.Exp(-2*float64(j*j)*lam*lam)
		if j%2 == 0 {
			p -= t
		} else {
			p += t
		}
	}
	return d, math.Min(math.Max(p, 0), 1)
}

// chiSquarePValue returns the p-value of Pearson's chi-square statistic of observed counts
// against expected counts (df = bins − 1).
func chiSquarePValue(obs []int, exp []float64) (chi2, p float64) {
	for i := range obs {
		d := float64(obs[i]) - exp[i]
		chi2 += d * d / exp[i]
	}
	return chi2, distuv.ChiSquared{K: float64(len(obs) - 1)}.Survival(chi2)
}

// testField simulates a small field with a Gaussian PSF of FWHM 2.2 px.
func testField(t testing.TB, w, h int, density float64, seed uint64) (*model.Image, *model.Catalogue, *model.PointSource) {
	t.Helper()
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	sc := simulate.Default()
	sc.Width, sc.Height, sc.Density, sc.Seed = w, h, density, seed
	img, truth, err := simulate.Field(sc, p)
	if err != nil {
		t.Fatal(err)
	}
	img.Background = sc.Background
	return img, truth, &model.PointSource{PSF: p, Flux: sc.FluxPrior}
}

// collect runs one chain for n samples and returns them.
func collect(t testing.TB, img *model.Image, kind model.SourceKind, cfg Config, n int) []Sample {
	t.Helper()
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Sample, 0, n)
	for i := 0; i < n; i++ {
		s, err := c.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
