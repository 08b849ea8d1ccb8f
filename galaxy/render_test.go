package galaxy

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// The optical PSF of the brute-force reference: SDSS's double Gaussian for r of field
// 2583-2-136 (psf.DoubleGaussian's example), as two circular Gaussians with their light
// fractions.
var (
	dgSigma = [2]float64{0.880, 2.308}
	dgLight = [2]float64{1 / (1 + 0.0588*2.308*2.308/(0.880*0.880)), 0}
)

func init() { dgLight[1] = 1 - dgLight[0] }

// dgRenderer returns the renderer of profile p through a 3-component mixture fitted to the
// pixel-integrated double Gaussian.
func dgRenderer(t *testing.T, p Profile) Renderer {
	t.Helper()
	dg, err := psf.DoubleGaussian(dgSigma[0], dgSigma[1], 0.0588)
	if err != nil {
		t.Fatal(err)
	}
	fit, err := FitPSF(dg, 3)
	if err != nil {
		t.Fatal(err)
	}
	return Renderer{Profile: p, PSF: fit.Mixture}
}

// ellipticalRadius returns the elliptical radius ξ (in r_e) of displacement (dx, dy).
func (s Shape) ellipticalRadius(dx, dy float64) float64 {
	c, sn := math.Cos(s.Phi), math.Sin(s.Phi)
	u := (dx*c + dy*sn) / s.Re
	v := (-dx*sn + dy*c) / (s.Q * s.Re)
	return math.Hypot(u, v)
}

// gaussCell returns the light of a unit 1-D Gaussian of standard deviation s in [x0, x1].
func gaussCell(x0, x1, s float64) float64 {
	k := 1 / (s * math.Sqrt2)
	return 0.5 * (math.Erf(x1*k) - math.Erf(x0*k))
}

// bruteForce renders a unit-flux galaxy with the exact SDSS profile (not the mixture) at
// (x, y) on a w×w image the slow and obvious way. The profile is integrated over cells of
// 1/sub pixel (sub odd, so that pixel centres are cell centres) by the midpoint rule on
// m×m points, m growing towards the centre so that points are spaced at most a twelfth of
// the cell's distance to the centre along the minor axis (up to 101×101); it is divided by its exact total (profileLight,
// stretched by the shape). Each cell's light is then spread by the optical PSF integrated
// over pixels — the double Gaussian's pixel-integrated light, exact with erf — evaluated at
// the displacement from the cell centre to each pixel centre, which is the numerical
// convolution with the PSF followed by integration over the pixels. The kernel reaches 12
// pixels (it leaves out 3e−7 of the light). It also returns the sum of the cell lights, which
// should be 1.
func bruteForce(p Profile, s Shape, x, y float64, w, sub int) (img []float64, cells float64) {
	rmax := map[Profile]float64{Exp: 4, Dev: 8}[p]
	total := profileLight(p, rmax) * s.Re * s.Re * s.Q
	n := w * sub
	h := 1 / float64(sub)
	g := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			u0, v0 := -0.5+float64(b)*h, -0.5+float64(a)*h
			// distance from the centre to the cell's nearest point, at most
			d := s.Q * math.Max(math.Hypot(u0+h/2-x, v0+h/2-y)-h/math.Sqrt2, 0)
			m := int(math.Ceil(12 * h / math.Max(d, 1e-3)))
			m = min(max(m, 3), 101)
			sum := 0.0
			for i := 0; i < m; i++ {
				for j := 0; j < m; j++ {
					px := u0 + (float64(j)+0.5)*h/float64(m)
					py := v0 + (float64(i)+0.5)*h/float64(m)
					sum += sdssProfile(p, s.ellipticalRadius(px-x, py-y))
				}
			}
			g[a*n+b] = sum * h * h / float64(m*m) / total
			cells += g[a*n+b]
		}
	}
	const reach = 12
	kr := reach * sub
	img = make([]float64, w*w)
	tmp := make([]float64, n*w)
	for c := range dgSigma {
		// kernel[k]: light of the component in a pixel centred k/sub from the cell centre
		kernel := make([]float64, 2*kr+1)
		for k := -kr; k <= kr; k++ {
			dk := float64(k) * h
			kernel[k+kr] = gaussCell(dk-0.5, dk+0.5, dgSigma[c])
		}
		for a := 0; a < n; a++ {
			for i := 0; i < w; i++ {
				ci := i*sub + sub/2
				sum := 0.0
				for b := max(ci-kr, 0); b <= min(ci+kr, n-1); b++ {
					sum += g[a*n+b] * kernel[ci-b+kr]
				}
				tmp[a*w+i] = sum
			}
		}
		for j := 0; j < w; j++ {
			cj := j*sub + sub/2
			for i := 0; i < w; i++ {
				sum := 0.0
				for a := max(cj-kr, 0); a <= min(cj+kr, n-1); a++ {
					sum += tmp[a*w+i] * kernel[cj-a+kr]
				}
				img[j*w+i] += dgLight[c] * sum
			}
		}
	}
	return img, cells
}

// TestBruteForce compares the mixture render (the Hogg & Lang mixture convolved analytically
// with a 3-component mixture fitted to the pixel-integrated PSF, evaluated at pixel centres)
// with bruteForce's numerical convolution of the exact SDSS profiles, through SDSS's double
// Gaussian PSF, for round, elongated and tilted, small (r_e about the PSF's FWHM/2) and large
// galaxies. Measured: the largest pixel difference 0.41–0.49 % of the peak, the summed
// absolute difference 0.6–1.1 % (exp) and 0.9–1.9 % (dev) of the flux, totals within 2e−4
// (the largest differences are the mixtures' rounding of the exp cusp and the dev core, and
// do not change with 15 cells per pixel instead of 9). Tolerances: 0.6 % of the peak, 1.5 %
// (exp) and 2.5 % (dev) of the flux, totals within 1e−3.
func TestBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("brute-force convolution takes seconds")
	}
	cases := []struct {
		name string
		p    Profile
		s    Shape
	}{
		{"exp round", Exp, Shape{Re: 2, Q: 1}},
		{"exp q=0.3 at 0.6 rad", Exp, Shape{Re: 3, Q: 0.3, Phi: 0.6}},
		{"exp small", Exp, Shape{Re: 1, Q: 0.7, Phi: 2.5}},
		{"exp large", Exp, Shape{Re: 6, Q: 0.8, Phi: 1}},
		{"dev round", Dev, Shape{Re: 2, Q: 1}},
		{"dev q=0.3 at 0.6 rad", Dev, Shape{Re: 3, Q: 0.3, Phi: 0.6}},
		{"dev small", Dev, Shape{Re: 1, Q: 0.7, Phi: 2.5}},
		{"dev large", Dev, Shape{Re: 4, Q: 0.8, Phi: 1}},
	}
	tol := map[Profile][3]float64{Exp: {0.006, 0.015, 1e-3}, Dev: {0.006, 0.025, 1e-3}}
	renderers := map[Profile]Renderer{Exp: dgRenderer(t, Exp), Dev: dgRenderer(t, Dev)}
	for _, c := range cases {
		rmax := map[Profile]float64{Exp: 4, Dev: 8}[c.p]
		half := int(math.Ceil(rmax*c.s.Re)) + 14
		w := 2*half + 1
		x, y := float64(half)+0.3, float64(half)-0.27
		ref, cells := bruteForce(c.p, c.s, x, y, w, 9)
		if math.Abs(cells-1) > 2e-4 {
			t.Errorf("%s: brute-force cells hold %.6f of the light", c.name, cells)
		}
		pix := make([]float32, w*w)
		renderers[c.p].AddTo(model.Box{Pix: pix, Stride: w, W: w, H: w}, x, y, 1, c.s)
		var peak, worst, absSum, refSum, mixSum float64
		for i, r := range ref {
			d := float64(pix[i]) - r
			peak = math.Max(peak, r)
			worst = math.Max(worst, math.Abs(d))
			absSum += math.Abs(d)
			refSum += r
			mixSum += float64(pix[i])
		}
		tl := tol[c.p]
		t.Logf("%-22s %3d×%-3d max |Δ| %.3f %% of peak, Σ|Δ| %.3f %% of flux, totals %.5f (mixture) %.5f (brute force)",
			c.name, w, w, 100*worst/peak, 100*absSum, mixSum, refSum)
		if worst > tl[0]*peak || absSum > tl[1] || math.Abs(mixSum-refSum) > tl[2] {
			t.Errorf("%s: max |Δ| %.3g of peak, Σ|Δ| %.3g of flux, totals %.5f and %.5f; want ≤ %g, %g, and within %g",
				c.name, worst/peak, absSum, mixSum, refSum, tl[0], tl[1], tl[2])
		}
	}
}

// TestFluxConservation renders galaxies of both profiles, many shapes and sub-pixel
// positions, into a box far larger than their stamps and checks that the light drawn is the
// flux less at most MaxDroppedLight, and that the light the stamp leaves out (the mixture
// summed over a box twice as wide, less the stamp's sum) is at most MaxDroppedLight.
func TestFluxConservation(t *testing.T) {
	for _, p := range []Profile{Exp, Dev} {
		r := dgRenderer(t, p)
		worst := 0.0
		for _, s := range []Shape{{Re: 0.3, Q: 1}, {Re: 1.5, Q: 0.2, Phi: 2}, {Re: 4, Q: 0.6, Phi: 0.3}, {Re: 8, Q: 1}} {
			rad := r.Radius(s.Re)
			w := 4*rad + 1
			for _, off := range [][2]float64{{0, 0}, {0.49, -0.2}, {0.5, 0.5}, {-0.31, 0.77}} {
				x, y := float64(2*rad)+off[0], float64(2*rad)+off[1]
				pix := make([]float32, w*w)
				r.AddTo(model.Box{Pix: pix, Stride: w, W: w, H: w}, x, y, 1000, s)
				drawn := 0.0
				for _, v := range pix {
					drawn += float64(v)
				}
				img := r.Image(s)
				all := 0.0
				for j := 0; j < w; j++ {
					for i := 0; i < w; i++ {
						all += img.At(float64(i)-x, float64(j)-y)
					}
				}
				lost := 1 - drawn/1000
				if lost < -1e-5 || lost > MaxDroppedLight || all-drawn/1000 > MaxDroppedLight || math.Abs(all-1) > 1e-5 {
					t.Errorf("%v %+v at %v: drew %.6f of the flux, the whole mixture %.6f", p, s, off, drawn/1000, all)
				}
				worst = math.Max(worst, lost)
			}
		}
		t.Logf("%v: at most %.2g of the light outside the stamp (bound %g)", p, worst, MaxDroppedLight)
	}
}

// TestPositionAngle checks the convention of Shape.Phi on the second moments of the image of
// an elongated galaxy: Phi = 0 is extended along x (columns), π/2 along y (rows), π/4 along
// x = y, and π − π/4 along x = −y.
func TestPositionAngle(t *testing.T) {
	r := Renderer{Profile: Exp, PSF: Mixture{{Amp: 1, XX: 0.25, YY: 0.25}}}
	const w, c = 61, 30
	moments := func(phi float64) (xx, xy, yy float64) {
		pix := make([]float32, w*w)
		r.AddTo(model.Box{Pix: pix, Stride: w, W: w, H: w}, c, c, 1, Shape{Re: 4, Q: 0.3, Phi: phi})
		for j := 0; j < w; j++ {
			for i := 0; i < w; i++ {
				v := float64(pix[j*w+i])
				xx += v * float64((i-c)*(i-c))
				xy += v * float64((i-c)*(j-c))
				yy += v * float64((j-c)*(j-c))
			}
		}
		return
	}
	if xx, xy, yy := moments(0); !(xx > 5*yy) || math.Abs(xy) > 1e-3*xx {
		t.Errorf("phi = 0: moments xx %g xy %g yy %g, want extended along x", xx, xy, yy)
	}
	if xx, xy, yy := moments(math.Pi / 2); !(yy > 5*xx) || math.Abs(xy) > 1e-3*yy {
		t.Errorf("phi = π/2: moments xx %g xy %g yy %g, want extended along y", xx, xy, yy)
	}
	if xx, xy, yy := moments(math.Pi / 4); !(xy > 0.5*xx) || math.Abs(xx-yy) > 1e-3*xx {
		t.Errorf("phi = π/4: moments xx %g xy %g yy %g, want extended along x = y", xx, xy, yy)
	}
	if xx, xy, yy := moments(3 * math.Pi / 4); !(xy < -0.5*xx) || math.Abs(xx-yy) > 1e-3*xx {
		t.Errorf("phi = 3π/4: moments xx %g xy %g yy %g, want extended along x = −y", xx, xy, yy)
	}
}

// TestStamp checks that a galaxy draws nothing beyond Radius of its anchor pixel (⌈x⌉, ⌈y⌉),
// that it clips to the box (a box cutting the stamp gets the same pixels as the full image),
// and that sign −1 removes what +1 added.
func TestStamp(t *testing.T) {
	r := dgRenderer(t, Dev)
	s := Shape{Re: 2.5, Q: 0.5, Phi: 1}
	rad := r.Radius(s.Re)
	w := 2*rad + 21
	for _, pos := range [][2]float64{{20.5, 20.49}, {20.51, 19.5}, {23.2, 17.8}} {
		x, y := pos[0]+float64(rad-10), pos[1]+float64(rad-10)
		cx, cy := model.Anchor(x), model.Anchor(y)
		pix := make([]float32, w*w)
		full := model.Box{Pix: pix, Stride: w, W: w, H: w}
		r.AddTo(full, x, y, 1, s)
		peak := float32(0)
		for j := 0; j < w; j++ {
			for i := 0; i < w; i++ {
				v := pix[j*w+i]
				peak = max(peak, v)
				inside := abs(i-cx) <= rad && abs(j-cy) <= rad
				if !inside && v != 0 || inside && !(v >= 0) { // inside, components are cut at cutSigma: zeros allowed
					t.Fatalf("at %v: pixel (%d, %d) = %g, stamp radius %d about (%d, %d)", pos, i, j, v, rad, cx, cy)
				}
			}
		}
		// a sub-box of the same image: rows 5… and columns 7… of a 30×25 window
		sub := make([]float32, w*w)
		part := model.Box{Pix: sub[5*w+7:], Stride: w, X0: 7, Y0: 5, W: 30, H: 25}
		r.AddTo(part, x, y, 1, s)
		for j := 0; j < w; j++ {
			for i := 0; i < w; i++ {
				in := i >= 7 && i < 37 && j >= 5 && j < 30
				if in && sub[j*w+i] != pix[j*w+i] || !in && sub[j*w+i] != 0 {
					t.Fatalf("at %v: clipped render differs at (%d, %d): %g against %g", pos, i, j, sub[j*w+i], pix[j*w+i])
				}
			}
		}
		r.AddTo(full, x, y, -1, s)
		for i, v := range pix {
			if math.Abs(float64(v)) > 1e-6*float64(peak) {
				t.Fatalf("at %v: pixel %d left at %g after removal", pos, i, v)
			}
		}
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// TestGaussRow checks the recurrence against exp at every pixel, for peaks inside the row,
// beyond either end, and narrow and wide Gaussians.
func TestGaussRow(t *testing.T) {
	for _, c := range []struct{ t0, halfA float64 }{{-20.3, 0.5}, {-3.7, 0.02}, {5.2, 0.3}, {-60.1, 0.4}, {-10, 3}, {-0.5, 1e-4}} {
		dst := make([]float32, 41)
		i0 := min(max(int(math.Round(-c.t0)), 0), len(dst)-1)
		u := c.t0 + float64(i0)
		gaussRow(dst, i0, 2*math.Exp(-c.halfA*u*u), math.Exp(-c.halfA*(2*u+1)), math.Exp(-2*c.halfA))
		for i, v := range dst {
			tt := c.t0 + float64(i)
			want := 2 * math.Exp(-c.halfA*tt*tt)
			if math.Abs(float64(v)-want) > 1e-6*want+1e-30 {
				t.Fatalf("t0 %g, halfA %g: pixel %d is %g, want %g", c.t0, c.halfA, i, v, want)
			}
		}
	}
}

// TestAddComponent checks the walk by ratios against exp at every pixel, for narrow, wide and
// strongly elongated components at every angle, in boxes that clip the stamp on any side
// (so that the walk crosses rows with nothing to draw): the same pixels, within 10⁻⁶ of the
// peak.
func TestAddComponent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for n := 0; n < 300; n++ {
		major, minor := 0.3+6*rng.Float64(), 0.3+6*rng.Float64()
		minor = math.Min(minor, major) * (0.05 + 0.95*rng.Float64())
		phi := math.Pi * rng.Float64()
		cs, sn := math.Cos(phi), math.Sin(phi)
		g := Gaussian{XX: major*major*cs*cs + minor*minor*sn*sn, YY: major*major*sn*sn + minor*minor*cs*cs, XY: (major*major - minor*minor) * cs * sn}
		gx, gy := 20+20*rng.Float64(), 20+20*rng.Float64()
		x0, y0 := rng.IntN(40), rng.IntN(40)
		x1, y1 := x0+1+rng.IntN(60-x0), y0+1+rng.IntN(60-y0)
		const W = 60
		got := make([]float32, W*W)
		b := model.Box{Pix: got, Stride: W, W: W, H: W}
		addComponent(b, g, gx, gy, 1, x0, x1, y0, y1)
		d := g.det()
		pxx, pxy, pyy := g.YY/d, -g.XY/d, g.XX/d
		sy, sx := cutSigma*math.Sqrt(g.YY), cutSigma/math.Sqrt(pxx)
		for j := 0; j < W; j++ {
			for i := 0; i < W; i++ {
				want := 0.0
				centre := gx + g.XY/g.YY*(float64(j)-gy)
				in := i >= x0 && i < x1 && j >= y0 && j < y1 &&
					j >= int(math.Floor(gy-sy)) && j <= int(math.Ceil(gy+sy)) &&
					i >= int(math.Floor(centre-sx)) && i <= int(math.Ceil(centre+sx))
				if in {
					dx, dy := float64(i)-gx, float64(j)-gy
					want = math.Exp(-0.5 * (pxx*dx*dx + 2*pxy*dx*dy + pyy*dy*dy))
				}
				if v := float64(got[j*W+i]); math.Abs(v-want) > 1e-6 {
					t.Fatalf("component %d (σ %.2f, %.2f, φ %.2f at %.2f, %.2f; box [%d, %d)×[%d, %d)): pixel (%d, %d) is %g, want %g",
						n, major, minor, phi, gx, gy, x0, x1, y0, y1, i, j, v, want)
				}
			}
		}
	}
}
