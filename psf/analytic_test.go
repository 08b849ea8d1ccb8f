package psf

import (
	"math"
	"testing"
)

// halfMaxRadius measures the radius at which the effective PSF along +x through the centre
// falls to half its central value, by linear interpolation between fine samples.
func halfMaxRadius(p *PSF) float64 {
	step := 1 / float64(p.Factor)
	c0 := at(p, 0, 0)
	prev := c0
	for k := 1; float64(k)*step < float64(p.Size/2); k++ {
		v := at(p, float64(k)*step, 0)
		if v <= c0/2 {
			return step * (float64(k-1) + (prev-c0/2)/(prev-v))
		}
		prev = v
	}
	return math.NaN()
}

// TestFWHM measures the FWHM back from the effective PSF. Pixel integration broadens a
// profile, so wide PSFs (where it adds < 0.5 %) are measured at half maximum, and the
// Gaussian of FWHM 2.2 through its second moment, which pixel integration raises by
// exactly 1/12 px².
func TestFWHM(t *testing.T) {
	for _, tc := range []struct {
		spec string
		fwhm float64
	}{
		{"gaussian:fwhm=8", 8},
		{"moffat:fwhm=8,beta=3", 8},
		{"moffat:fwhm=10,beta=6", 10},
	} {
		p, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		got := 2 * halfMaxRadius(p)
		t.Logf("%s: measured FWHM %.4f", tc.spec, got)
		if math.Abs(got/tc.fwhm-1) > 0.02 {
			t.Errorf("%s: measured FWHM %.3f, want %g within 2%%", tc.spec, got, tc.fwhm)
		}
	}
	for _, fwhm := range []float64{1.5, 2.2, 3} {
		p, err := Gaussian(fwhm)
		if err != nil {
			t.Fatal(err)
		}
		v := variance(p.Stamp(0, 0), p.Size) - 1.0/12
		got := math.Sqrt(v) / sigmaPerFWHM
		t.Logf("Gaussian %g: FWHM from the second moment %.4f", fwhm, got)
		if math.Abs(got/fwhm-1) > 0.02 {
			t.Errorf("Gaussian %g: FWHM from the second moment %.4f, want within 2%%", fwhm, got)
		}
	}
}

// variance returns the second central moment along x of a stamp.
func variance(st []float64, size int) float64 {
	x0, _ := centroid(st, size)
	s, sxx := 0.0, 0.0
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			w := st[v*size+u]
			s += w
			sxx += w * (float64(u) - x0) * (float64(u) - x0)
		}
	}
	return sxx / s
}

// TestDoubleGaussianRatio checks the meaning of b (ratio of central surface brightness):
// the second moment is w₁σ₁² + w₂σ₂² + 1/12 with w₂ = bσ₂²/(σ₁² + bσ₂²), and the centre
// holds the light of both components in the stated ratio.
func TestDoubleGaussianRatio(t *testing.T) {
	s1, s2, b := 0.88, 2.308, 0.0588
	p, err := DoubleGaussian(s1, s2, b)
	if err != nil {
		t.Fatal(err)
	}
	w2 := b * s2 * s2 / (s1*s1 + b*s2*s2)
	want := (1-w2)*s1*s1 + w2*s2*s2 + 1.0/12
	got := variance(p.Stamp(0, 0), p.Size)
	if math.Abs(got/want-1) > 1e-3 {
		t.Errorf("second moment %.5f, want %.5f (flux fraction of the second Gaussian %.3f)", got, want, w2)
	}
	// the fraction read as a flux ratio instead would give a much smaller moment
	if alt := (1-b)*s1*s1 + b*s2*s2 + 1.0/12; math.Abs(got/alt-1) < 0.1 {
		t.Errorf("second moment %.4f cannot tell b as a peak ratio from b as a flux fraction (%.4f)", got, alt)
	}
}

// TestAutoSize checks that the chosen stamps leave out less than MaxTruncatedLight of the
// light but not much less (one pixel smaller would leave out more), and that a stamp too
// large to build is an error.
func TestAutoSize(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		outside func(r float64) float64
	}{
		{"gaussian:fwhm=2.2", func(r float64) float64 { s := 2.2 * sigmaPerFWHM; return math.Exp(-r * r / (2 * s * s)) }},
		{"moffat:fwhm=2.5,beta=3", func(r float64) float64 {
			a := 2.5 / (2 * math.Sqrt(math.Pow(2, 1.0/3)-1))
			return math.Pow(1+r*r/(a*a), -2)
		}},
	} {
		p, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		c := float64(p.Size / 2)
		if tc.outside(c-0.5) >= MaxTruncatedLight || tc.outside(c-1.5) < MaxTruncatedLight {
			t.Errorf("%s: stamp %d leaves out %.2e (one smaller: %.2e)", tc.spec, p.Size, tc.outside(c-0.5), tc.outside(c-1.5))
		}
	}
	if _, err := Moffat(2.5, 1.2); err == nil {
		t.Error("Moffat with β = 1.2 built a stamp; its wings need one wider than MaxSize")
	}
	// an explicit size is honoured; the wings reaching its edge make FromEffective pad it
	p, err := Parse("moffat:fwhm=2.5,beta=1.2,size=31")
	if err != nil || p.Size != 33 {
		t.Errorf("explicit size 31 with light at the edge: got %v, want a 33-pixel stamp", err)
	}
	if p, err := Parse("gaussian:fwhm=2.2,size=25"); err != nil || p.Size != 25 {
		t.Errorf("explicit size 25: %v", err)
	}
}

func TestAnalyticErrors(t *testing.T) {
	for _, f := range []func() (*PSF, error){
		func() (*PSF, error) { return Gaussian(0) },
		func() (*PSF, error) { return Gaussian(math.NaN()) },
		func() (*PSF, error) { return Gaussian(math.Inf(1)) },
		func() (*PSF, error) { return DoubleGaussian(-1, 2, 0.1) },
		func() (*PSF, error) { return DoubleGaussian(1, 2, -0.1) },
		func() (*PSF, error) { return Moffat(2, 1) },
		func() (*PSF, error) { return Moffat(-2, 3) },
	} {
		if p, err := f(); err == nil {
			t.Errorf("built a PSF of size %d from invalid parameters", p.Size)
		}
	}
}

// TestRadiusFor checks the truncation bound against stamps rendered at many offsets: the
// pixels beyond the returned radius hold Σ (flux·psf)² ≤ (0.1σ)², and one pixel less would
// break it at some offset for some flux.
func TestRadiusFor(t *testing.T) {
	for name, p := range kinds(t) {
		c := p.Size / 2
		prev := -1
		for _, flux := range []float64{10, 300, 3e3, 3e4, 3e5, 3e6} {
			const sigma = 5.0
			r := p.RadiusFor(flux, sigma)
			if r < prev || r > c {
				t.Errorf("%s: radius %d for flux %g after %d", name, r, flux, prev)
			}
			prev = r
			for _, off := range offsets(10) {
				st := p.Reference(off[0], off[1])
				out := 0.0
				for v := 0; v < p.Size; v++ {
					for u := 0; u < p.Size; u++ {
						if max(abs(u-c), abs(v-c)) > r {
							out += flux * flux * st[v*p.Size+u] * st[v*p.Size+u]
						}
					}
				}
				if out > 0.01*sigma*sigma*(1+1e-9) {
					t.Errorf("%s: flux %g radius %d at offset %.2f leaves out Σ(flux·psf)² = %.3g > (0.1σ)² = %.3g", name, flux, r, off, out, 0.01*sigma*sigma)
				}
			}
		}
		if r := p.RadiusFor(1e12, 1); r != c {
			t.Errorf("%s: radius %d for a huge flux, want the whole stamp (%d)", name, r, c)
		}
		if r := p.RadiusFor(1e-6, 1); r != 0 {
			t.Errorf("%s: radius %d for a negligible flux, want 0", name, r)
		}
	}
	p, err := Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Gaussian 2.2 (stamp %d), σ = 5: radius %d, %d, %d, %d for fluxes 300, 3e3, 3e4, 3e5",
		p.Size, p.RadiusFor(300, 5), p.RadiusFor(3e3, 5), p.RadiusFor(3e4, 5), p.RadiusFor(3e5, 5))
}
