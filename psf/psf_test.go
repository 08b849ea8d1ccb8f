package psf

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
)

var kindsCache map[string]*PSF

// kinds returns the PSFs every generic test runs on: analytic ones and, when the real data
// is present, those read from it (built once; tests must not modify them).
func kinds(t *testing.T) map[string]*PSF {
	t.Helper()
	if kindsCache != nil {
		return kindsCache
	}
	out := map[string]*PSF{}
	for _, spec := range []string{
		"gaussian:fwhm=2.2",
		"gaussian:fwhm=1.5",
		"doublegaussian:sigma1=0.88,sigma2=2.308,b=0.0588",
		"moffat:fwhm=2.5,beta=3",
		"moffat:fwhm=3,beta=4.765",
		"gaussian:fwhm=4",
		"moffat:fwhm=4,beta=3",
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
	kindsCache = out
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

// tableBound is the largest difference, as a fraction of the peak, allowed between PCAT's
// cubic table (Coeffs, kept for compatibility; rendering uses Table, see
// TestRenderedTableMatchesReference) and the reference at any sub-pixel offset. PCAT's ten-term cubic cannot follow
// PSFs that native pixels undersample more closely (its error against the exact effective
// PSF is 4e−3 of the peak for a Gaussian of FWHM 2.2, see TestTableMatchesExact); for
// well-sampled PSFs (FWHM ≳ 3.5 px) it holds 1e−3.
var tableBound = map[string]float64{
	"gaussian:fwhm=2.2": 5e-3,
	"gaussian:fwhm=1.5": 1.3e-2,
	"doublegaussian:sigma1=0.88,sigma2=2.308,b=0.0588": 5e-3,
	"moffat:fwhm=2.5,beta=3":                           4e-3,
	"moffat:fwhm=3,beta=4.765":                         2e-3,
	"real:" + pcatPSF:                                  7e-3,
	"real:" + sdssPSF:                                  7e-3,
	"real:" + tinytimPSF:                               1.8e-2,
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
		bound, ok := tableBound[name]
		if !ok {
			bound = 1e-3
		}
		t.Logf("%s (%d×%d): cubic table vs interpolation of the fine grid: max |Δ| = %.2e of the peak (bound %.0e)", name, p.Size, p.Size, worst, bound)
		if worst > bound {
			t.Errorf("%s: cubic table differs from the reference by %.2e of the peak, want ≤ %.0e", name, worst, bound)
		}
	}
}

// renderedBound is the largest difference, as a fraction of the peak, allowed between the
// PSF rendered through Table and the reference at any sub-pixel offset: 1e−3 (issue 2), but
// for the two PSFs that native pixels undersample most.
var renderedBound = map[string]float64{
	"gaussian:fwhm=1.5":  2e-3,
	"real:" + tinytimPSF: 2e-3,
}

// rendered renders a unit-flux source at sub-pixel offset (dx, dy) through the PSF's render
// table and the active kernels into a Size×Size box whose pixel (u, v) is stamp pixel (u, v).
func rendered(p *PSF, dx, dy float64) []float64 {
	c := float64(p.Size / 2)
	box := make([]float32, p.Size*p.Size)
	tab := p.Table()
	render.Render(box, p.Size, p.Size, p.Size, tab, []render.Source{tab.Source(c-dx, c-dy, 1, render.FullStamp)})
	out := make([]float64, len(box))
	for i, v := range box {
		out[i] = float64(v)
	}
	return out
}

// TestRenderedTableMatchesReference renders through Table, as the sampler and AddTo do, at
// the corners of the sub-pixel square, on both sides of the pieces' edges and at random
// offsets, and holds the result to the reference: within 1e−3 of the peak (renderedBound for
// the exceptions), summing to 1 within 1e−4.
func TestRenderedTableMatchesReference(t *testing.T) {
	offs := offsets(200)
	for _, a := range []float64{0, 0.499999, 0.5, 0.999999} {
		for _, b := range []float64{0, 0.25, 0.499999, 0.5, 0.75, 0.999999} {
			offs = append(offs, [2]float64{a, b}, [2]float64{b, a})
		}
	}
	for name, p := range kinds(t) {
		if p.Table().Pieces() != TablePieces {
			t.Fatalf("%s: render table has %d pieces per axis, want %d", name, p.Table().Pieces(), TablePieces)
		}
		peak := peakOf(p.Fine)
		worst, worstAt, sumErr := 0.0, [2]float64{}, 0.0
		for _, off := range offs {
			s, r := rendered(p, off[0], off[1]), p.Reference(off[0], off[1])
			for i := range s {
				if e := math.Abs(s[i]-r[i]) / peak; e > worst {
					worst, worstAt = e, off
				}
			}
			sumErr = math.Max(sumErr, math.Abs(sum(s)-1))
		}
		bound, ok := renderedBound[name]
		if !ok {
			bound = 1e-3
		}
		t.Logf("%s (%d×%d): rendered through Table vs reference: max |Δ| = %.2e of the peak at offset %.6f (bound %.0e); sum within %.1e of 1",
			name, p.Size, p.Size, worst, worstAt, bound, sumErr)
		if worst > bound || sumErr > 1e-4 {
			t.Errorf("%s: rendered PSF differs from the reference by %.2e of the peak at offset %.6f (want ≤ %.0e), sums to 1 ± %.1e (want ≤ 1e-4)",
				name, worst, worstAt, bound, sumErr)
		}
	}
}

// TestAddToUsesTable checks that AddTo renders with the accurate table: it matches rendering
// through Table and is closer to the reference than PCAT's single cubic at an offset where
// that cubic is off.
func TestAddToUsesTable(t *testing.T) {
	p, err := Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Size / 2
	for _, off := range offsets(20) {
		b := model.Box{Pix: make([]float32, p.Size*p.Size), Stride: p.Size, X0: 100, Y0: -7, W: p.Size, H: p.Size}
		p.AddTo(b, float64(c+b.X0)-off[0], float64(c+b.Y0)-off[1], 1)
		want := rendered(p, off[0], off[1])
		for i := range want {
			if math.Abs(float64(b.Pix[i])-want[i]) > 1e-7 {
				t.Fatalf("offset %.3f: AddTo pixel %d = %g, rendering through Table gives %g", off, i, b.Pix[i], want[i])
			}
		}
	}
	peak := peakOf(p.Fine)
	worstPCAT, worstTable := 0.0, 0.0
	for _, off := range offsets(50) {
		r, pcat, tab := p.Reference(off[0], off[1]), p.Stamp(off[0], off[1]), rendered(p, off[0], off[1])
		for i := range r {
			worstPCAT = math.Max(worstPCAT, math.Abs(pcat[i]-r[i])/peak)
			worstTable = math.Max(worstTable, math.Abs(tab[i]-r[i])/peak)
		}
	}
	if worstTable > worstPCAT/3 {
		t.Errorf("Gaussian FWHM 2.2: Table is off by %.2e of the peak, PCAT's cubic by %.2e; want Table at least 3× closer", worstTable, worstPCAT)
	}

	// A PSF assembled by hand has no Table; AddTo then renders PCAT's cubic.
	q := &PSF{Size: p.Size, Factor: p.Factor, Fine: p.Fine, Coeffs: p.Coeffs}
	if q.Table() != nil {
		t.Fatal("a PSF assembled by hand has a render table")
	}
	b := model.Box{Pix: make([]float32, p.Size*p.Size), Stride: p.Size, W: p.Size, H: p.Size}
	q.AddTo(b, float64(c)-0.3, float64(c)-0.8, 1)
	for i, v := range q.Stamp(0.3, 0.8) {
		if math.Abs(float64(b.Pix[i])-v) > 1e-6 {
			t.Fatalf("PSF without a table: AddTo pixel %d = %g, PCAT's cubic %g", i, b.Pix[i], v)
		}
	}
}

// TestTableOnce checks that concurrent first calls of Table share one table.
func TestTableOnce(t *testing.T) {
	p, err := Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	tabs := make([]*render.Table, 4)
	var wg sync.WaitGroup
	for i := range tabs {
		wg.Go(func() { tabs[i] = p.Table() })
	}
	wg.Wait()
	for _, tab := range tabs {
		if tab == nil || tab != tabs[0] {
			t.Fatalf("concurrent Table calls gave %v, want one table", tabs)
		}
	}
}

// TestTableMatchesExact holds the table to the exact pixel-integrated Gaussian, computed
// independently at each offset.
func TestTableMatchesExact(t *testing.T) {
	for _, tc := range []struct{ fwhm, bound float64 }{{2.2, 5e-3}, {4, 1e-3}, {6, 2e-4}} {
		p, err := Gaussian(tc.fwhm)
		if err != nil {
			t.Fatal(err)
		}
		s := tc.fwhm * sigmaPerFWHM
		c := float64(p.Size / 2)
		peak := gaussLight(-0.5, 0.5, s) * gaussLight(-0.5, 0.5, s)
		worst, worstRef := 0.0, 0.0
		for _, off := range offsets(100) {
			st, ref := p.Stamp(off[0], off[1]), p.Reference(off[0], off[1])
			for v := 0; v < p.Size; v++ {
				for u := 0; u < p.Size; u++ {
					x, y := float64(u)-c+off[0], float64(v)-c+off[1]
					want := gaussLight(x-0.5, x+0.5, s) * gaussLight(y-0.5, y+0.5, s)
					worst = math.Max(worst, math.Abs(st[v*p.Size+u]-want)/peak)
					worstRef = math.Max(worstRef, math.Abs(ref[v*p.Size+u]-want)/peak)
				}
			}
		}
		t.Logf("Gaussian FWHM %g: table vs exact %.2e of the peak, reference vs exact %.2e", tc.fwhm, worst, worstRef)
		if worst > tc.bound || worstRef > 5e-4 {
			t.Errorf("Gaussian FWHM %g: table off by %.2e (want ≤ %.0e), reference by %.2e (want ≤ 5e-4) of the peak", tc.fwhm, worst, tc.bound, worstRef)
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

// pieceStamp evaluates a piecewise table (see PieceCoeffs) at sub-pixel offset (dx, dy).
func pieceStamp(p *PSF, coeffs []float32, k int, dx, dy float64) []float64 {
	qx, qy := min(k-1, int(dx*float64(k))), min(k-1, int(dy*float64(k)))
	np := p.Size * p.Size
	table := coeffs[(qy*k+qx)*render.NumCoeffs*np:]
	var b [render.NumCoeffs]float64
	render.Basis(dx*float64(k)-float64(qx), dy*float64(k)-float64(qy), &b)
	out := make([]float64, np)
	for i := range out {
		for c := 0; c < render.NumCoeffs; c++ {
			out[i] += b[c] * float64(table[c*np+i])
		}
	}
	return out
}

// TestPieceCoeffs checks that one piece reproduces Coeffs and that two pieces per axis
// bring every PSF within 1e−3 of the peak of the reference, except TinyTim's (2e−3).
func TestPieceCoeffs(t *testing.T) {
	for name, p := range kinds(t) {
		peak := peakOf(p.Fine)
		one, err := p.PieceCoeffs(1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range one {
			if math.Abs(float64(one[i]-p.Coeffs[i])) > 1e-6*peak {
				t.Fatalf("%s: one piece differs from Coeffs at %d: %g vs %g", name, i, one[i], p.Coeffs[i])
			}
		}
		two, err := p.PieceCoeffs(2)
		if err != nil {
			t.Fatal(err)
		}
		worst, sumErr := 0.0, 0.0
		for _, off := range offsets(100) {
			s, r := pieceStamp(p, two, 2, off[0], off[1]), p.Reference(off[0], off[1])
			for i := range s {
				worst = math.Max(worst, math.Abs(s[i]-r[i])/peak)
			}
			sumErr = math.Max(sumErr, math.Abs(sum(s)-1))
		}
		bound := 1e-3
		if name == "real:"+tinytimPSF || name == "gaussian:fwhm=1.5" {
			bound = 2e-3
		}
		t.Logf("%s: 2×2 pieces vs reference: max |Δ| = %.2e of the peak; sum within %.1e of 1", name, worst, sumErr)
		if worst > bound || sumErr > 1e-4 {
			t.Errorf("%s: 2×2 pieces differ from the reference by %.2e of the peak (want ≤ %.0e), sum by %.1e", name, worst, bound, sumErr)
		}
	}
	p, err := Gaussian(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PieceCoeffs(0); err == nil {
		t.Error("0 pieces accepted")
	}
}
