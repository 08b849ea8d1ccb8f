package psf

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
)

// kinds returns the PSFs every generic test runs on: the analytic ones, and PCAT's M2 r PSF
// when the real data is present.
func kinds(t *testing.T) map[string]*PSF {
	t.Helper()
	out := map[string]*PSF{}
	for _, spec := range []string{
		"gaussian:fwhm=2.2",
		"gaussian:fwhm=1.5",
		"doublegaussian:sigma1=0.88,sigma2=2.308,b=0.0588",
		"moffat:fwhm=2.5,beta=3",
		"moffat:fwhm=3,beta=4.765",
	} {
		p, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		out[spec] = p
	}
	for name, p := range realPSFs(t) {
		out[name] = p
	}
	return out
}

// offsets are sub-pixel offsets: the corners of [0, 1)² and seeded random ones.
func offsets(n int) [][2]float64 {
	out := [][2]float64{{0, 0}, {0.999999, 0}, {0, 0.999999}, {0.999999, 0.999999}, {0.5, 0.5}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		out = append(out, [2]float64{rng.Float64(), rng.Float64()})
	}
	return out
}

func peakOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func TestSumsToOne(t *testing.T) {
	for name, p := range kinds(t) {
		for _, off := range offsets(20) {
			if s := sum(p.Stamp(off[0], off[1])); math.Abs(s-1) > 1e-4 {
				t.Errorf("%s: stamp at offset %.3f sums to %.7f, want 1 within 1e-4", name, off, s)
			}
			if s := sum(p.Reference(off[0], off[1])); math.Abs(s-1) > 1e-4 {
				t.Errorf("%s: reference stamp at offset %.3f sums to %.7f, want 1 within 1e-4", name, off, s)
			}
		}
	}
}

func TestTableMatchesReference(t *testing.T) {
	for name, p := range kinds(t) {
		peak := peakOf(p.Fine)
		worst := 0.0
		for _, off := range offsets(200) {
			s, r := p.Stamp(off[0], off[1]), p.Reference(off[0], off[1])
			for i := range s {
				worst = math.Max(worst, math.Abs(s[i]-r[i])/peak)
			}
		}
		t.Logf("%s (%d×%d): cubic table vs bicubic interpolation of the fine grid: max |Δ| = %.2e of the peak", name, p.Size, p.Size, worst)
		if worst > 1e-3 {
			t.Errorf("%s: cubic table differs from the reference by %.2e of the peak, want ≤ 1e-3", name, worst)
		}
	}
}

// TestReferenceOnSamples checks that the reference reproduces the fine samples exactly at
// the offsets where they were taken (so it really interpolates the oversampled image).
func TestReferenceOnSamples(t *testing.T) {
	p, err := Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	n := p.Size * p.Factor
	for s := 0; s < p.Factor; s++ {
		for tt := 0; tt < p.Factor; tt++ {
			r := p.Reference(float64(s)/float64(p.Factor), float64(tt)/float64(p.Factor))
			for v := 0; v < p.Size; v++ {
				for u := 0; u < p.Size; u++ {
					want := p.Fine[(v*p.Factor+tt)*n+u*p.Factor+s]
					if math.Abs(r[v*p.Size+u]-want) > 1e-12 {
						t.Fatalf("phase (%d,%d) pixel (%d,%d): reference %g, fine sample %g", s, tt, u, v, r[v*p.Size+u], want)
					}
				}
			}
		}
	}
}

func centroid(st []float64, size int) (float64, float64) {
	s, sx, sy := 0.0, 0.0, 0.0
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			w := st[v*size+u]
			s += w
			sx += w * float64(u)
			sy += w * float64(v)
		}
	}
	return sx / s, sy / s
}

// TestCentroidFollowsSource checks that the light centroid of the stamp moves with the
// source: stamp pixel u lies at u − c + dx from the source, so the centroid sits at
// c0 − dx, where c0 is the centroid at offset 0 (c, the stamp centre, for the symmetric
// analytic PSFs).
func TestCentroidFollowsSource(t *testing.T) {
	for name, p := range kinds(t) {
		c := float64(p.Size / 2)
		x0, y0 := centroid(p.Stamp(0, 0), p.Size)
		if !isReal(name) && math.Hypot(x0-c, y0-c) > 1e-3 {
			t.Errorf("%s: centroid at offset 0 is (%.4f, %.4f), want the stamp centre %g", name, x0, y0, c)
		}
		worst := 0.0
		for _, off := range offsets(20) {
			x, y := centroid(p.Stamp(off[0], off[1]), p.Size)
			worst = math.Max(worst, math.Hypot(x-(x0-off[0]), y-(y0-off[1])))
		}
		t.Logf("%s: centroid offset (%.3f, %.3f) from the stamp centre; moves with the source within %.1e px", name, x0-c, y0-c, worst)
		if worst > 0.01 {
			t.Errorf("%s: stamp centroid strays %.3g px from the source's motion, want ≤ 0.01", name, worst)
		}
	}
}

// TestAddToPlacesSource renders through model.Profile into a box and checks that the
// light centroid lands on the source position x = ix − dx, including negative positions.
func TestAddToPlacesSource(t *testing.T) {
	p, err := Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	var _ model.Profile = p
	for _, pos := range [][2]float64{{20, 20}, {20.3, 19.8}, {17.01, 23.99}, {21.5, 18.25}} {
		b := model.Box{Pix: make([]float32, 40*40), Stride: 40, X0: -3, Y0: 2, W: 40, H: 40}
		x, y := pos[0]+float64(b.X0), pos[1]+float64(b.Y0)
		p.AddTo(b, x, y, 1000)
		s, sx, sy := 0.0, 0.0, 0.0
		for j := 0; j < b.H; j++ {
			for i := 0; i < b.W; i++ {
				w := float64(b.Pix[j*b.Stride+i])
				s += w
				sx += w * float64(i+b.X0)
				sy += w * float64(j+b.Y0)
			}
		}
		if math.Abs(s-1000) > 0.1 || math.Hypot(sx/s-x, sy/s-y) > 0.005 {
			t.Errorf("source at (%g, %g): flux %.3f at centroid (%.4f, %.4f)", x, y, s, sx/s, sy/s)
		}
	}
}
