package psf

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
)

// refineField renders stars with truth on a w×w image with Gaussian noise of σ = 1 and
// returns the residual against model (both PSFs rendered with AddTo) and unit weights.
func box(pix []float32, w int) model.Box {
	return model.Box{Pix: pix, Stride: w, W: w, H: len(pix) / w}
}

func refineField(t *testing.T, truth, model *PSF, stars []Star, w int, rng *rand.Rand) ([]float32, []float32) {
	t.Helper()
	data := make([]float32, w*w)
	mod := make([]float32, w*w)
	for _, s := range stars {
		truth.AddTo(box(data, w), s.X, s.Y, s.Flux)
		model.AddTo(box(mod, w), s.X, s.Y, s.Flux)
	}
	resid := make([]float32, w*w)
	weight := make([]float32, w*w)
	for i := range data {
		resid[i] = data[i] + float32(rng.NormFloat64()) - mod[i]
		weight[i] = 1
	}
	return resid, weight
}

// stampDistance is the largest difference between two PSFs' rendered stamps over a few
// sub-pixel offsets, as a fraction of a's peak.
func stampDistance(a, b *PSF) float64 {
	worst, pk := 0.0, 0.0
	for _, o := range offsets(3) {
		sa, sb := a.Reference(o[0], o[1]), b.Reference(o[0], o[1])
		pk = math.Max(pk, peakOf(sa))
		for i := range sa {
			worst = math.Max(worst, math.Abs(sa[i]-sb[i]))
		}
	}
	return worst / pk
}

// refineTowards renders 60 bright stars (fluxes 2×10⁴–10⁵) with truth on a 200×200 image of
// unit noise and returns given corrected by the fit to their residual.
func refineTowards(t *testing.T, truth, given *PSF, seed uint64) (*PSF, RefineStats) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	const w = 200
	var stars []Star
	for range 60 {
		stars = append(stars, Star{X: 10 + 180*rng.Float64(), Y: 10 + 180*rng.Float64(), Flux: 2e4 + 8e4*rng.Float64()})
	}
	resid, weight := refineField(t, truth, given, stars, w, rng)
	corr, st, err := given.FitCorrection(resid, weight, w, w, stars, RefineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := given.Corrected(corr)
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func TestRefineRecoversPerturbation(t *testing.T) {
	given, err := gaussian(2.5, 21)
	if err != nil {
		t.Fatal(err)
	}
	// the truth: a core 5 % wider and 2 % of the light in a broad wing
	truth, err := doubleGaussian(1.05*2.5/2.3548, 3*2.5/2.3548, 0.02/(9*0.98), 21)
	if err != nil {
		t.Fatal(err)
	}
	got, st := refineTowards(t, truth, given, 3)
	before, after := stampDistance(truth, given), stampDistance(truth, got)
	t.Logf("stars %d pixels %d χ² %.0f → %.0f; max stamp error %.4f → %.4f of the peak", st.Stars, st.Pixels, st.Chi2Before, st.Chi2After, before, after)
	if !(after < 0.25*before) {
		t.Errorf("refinement left a stamp error of %.4f of the peak, %.4f before: want below a quarter", after, before)
	}
	if got.Size != given.Size {
		t.Errorf("refined PSF is %d pixels wide, given %d", got.Size, given.Size)
	}
	// the centre does not move: the first moments of the refined stamp stay at zero
	c := float64(got.Size / 2)
	cx, cy := centroid(got.Reference(0, 0), got.Size)
	cx, cy = cx-c, cy-c
	if math.Abs(cx) > 0.01 || math.Abs(cy) > 0.01 {
		t.Errorf("refined PSF's centroid is (%.4f, %.4f), want (0, 0)", cx, cy)
	}
}

func TestRefineWithoutStars(t *testing.T) {
	p, err := gaussian(2.5, 21)
	if err != nil {
		t.Fatal(err)
	}
	resid := make([]float32, 100)
	weight := make([]float32, 100) // every pixel masked
	if _, _, err := p.FitCorrection(resid, weight, 10, 10, []Star{{X: 5, Y: 5, Flux: 100}}, RefineOptions{}); err == nil {
		t.Error("refining on masked pixels: no error")
	}
	if _, _, err := p.FitCorrection(resid, weight[:5], 10, 10, nil, RefineOptions{}); err == nil {
		t.Error("refining with a weight map of another size: no error")
	}
}

// BenchmarkFitCorrection fits a correction of a 25-pixel PSF to 300 stars on a 512×512 image
// (the size of a whole-frame tile), the most a refinement round fits by default.
func BenchmarkFitCorrection(b *testing.B) {
	p, err := gaussian(2.5, 25)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const w = 512
	resid := make([]float32, w*w)
	weight := make([]float32, w*w)
	for i := range resid {
		resid[i], weight[i] = float32(rng.NormFloat64()), 1
	}
	stars := make([]Star, 300)
	for i := range stars {
		stars[i] = Star{X: rng.Float64() * w, Y: rng.Float64() * w, Flux: 1e4}
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := p.FitCorrection(resid, weight, w, w, stars, RefineOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// ellipticalPSF returns a 21-pixel PSF whose effective PSF is an elliptical Gaussian (σ 1.3 and
// 0.9 px, major axis at 30° from x, centred on the source, point-sampled on the 5× grid), to
// check that the refinement recovers an asymmetric perturbation the right way round.
func ellipticalPSF(t *testing.T) *PSF {
	t.Helper()
	const size, f = 21, 5
	n := size * f
	fine := make([]float64, n*n)
	c, s := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
	for a := range n {
		for b := range n {
			x, y := float64(b)/f-10, float64(a)/f-10
			u, v := c*x+s*y, -s*x+c*y
			fine[a*n+b] = math.Exp(-u*u/(2*1.3*1.3) - v*v/(2*0.9*0.9))
		}
	}
	p, err := FromEffective(fine, size, f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRefineRecoversAsymmetry(t *testing.T) {
	truth := ellipticalPSF(t)
	given, err := gaussian(2.5, 21)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := refineTowards(t, truth, given, 8)
	before, after := stampDistance(truth, given), stampDistance(truth, got)
	t.Logf("elliptical truth: max stamp error %.4f → %.4f of the peak", before, after)
	if !(after < 0.25*before) {
		t.Errorf("refinement towards an elliptical PSF left %.4f of the peak, %.4f before: want below a quarter", after, before)
	}
}
