package sdss

import (
	"math"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/wcs"
)

// m2WCS reads the TAN WCS of one band's M2 frame from its primary header only.
func m2WCS(t *testing.T, band string) *wcs.WCS {
	t.Helper()
	h, err := fits.ReadHeader(shareddata.Path(t, dataDir+"frame-"+band+"-002583-2-0136.fits.bz2"), 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wcs.FromHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestBandMapWCSvsAsTrans maps r-frame positions across the whole frame into the other
// bands' frames twice, through the frames' TAN WCS and through asTrans, and reports the
// disagreement. The TAN WCS of each band leaves out that CCD's cubic distortion in col and
// the great-circle geometry (0.13–0.2 px of error over a frame); the errors of two bands only
// partly cancel: r→i agrees to 0.06 px, r→z to 0.08, r→g to 0.11 (0.06 px at M2's cutout)
// and r→u to 0.27 px (0.09 at the cutout).
func TestBandMapWCSvsAsTrans(t *testing.T) {
	wr, ar := m2WCS(t, "r"), m2AsTrans(t, "r")
	cx, cy := m2Box.Centre()
	for _, c := range []struct {
		band       string
		limit      float64
		wantCentre [2]float64
	}{
		{"i", 0.07, [2]float64{-0.52, 2.83}},
		{"g", 0.13, [2]float64{3.14, 10.78}},
		{"z", 0.09, [2]float64{0.89, 6.60}},
		{"u", 0.3, [2]float64{4.59, 6.27}},
	} {
		viaWCS := BandMap{From: wr, To: m2WCS(t, c.band)}
		viaAsTrans := BandMap{From: ar, To: m2AsTrans(t, c.band)}
		var worst, ss, sdx, sdy float64
		pts := append(frameGrid(), [2]float64{cx, cy})
		for _, p := range pts {
			xw, yw, err := viaWCS.Map(p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			xa, ya, err := viaAsTrans.Map(p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			d := math.Hypot(xw-xa, yw-ya)
			worst = math.Max(worst, d)
			ss += d * d
			sdx += xw - xa
			sdy += yw - ya
			if p == [2]float64{cx, cy} {
				t.Logf("r→%s at the M2 cutout's centre (%g, %g): WCS offset (%+.4f, %+.4f), asTrans (%+.4f, %+.4f) px",
					c.band, cx, cy, xw-cx, yw-cy, xa-cx, ya-cy)
				for _, o := range [][2]float64{{xw - cx, yw - cy}, {xa - cx, ya - cy}} {
					if math.Hypot(o[0]-c.wantCentre[0], o[1]-c.wantCentre[1]) > 0.05 {
						t.Errorf("r→%s offset at the cutout (%.4f, %.4f), want about %v", c.band, o[0], o[1], c.wantCentre)
					}
				}
			}
		}
		n := float64(len(pts))
		t.Logf("r→%s over the frame, WCS − asTrans: mean (%+.4f, %+.4f) px, rms %.4f px, worst %.4f px", c.band, sdx/n, sdy/n, math.Sqrt(ss/n), worst)
		if worst > c.limit {
			t.Errorf("r→%s: WCS and asTrans maps differ by up to %.4f px (documented %.2f)", c.band, worst, c.limit)
		}
	}
}

func TestBandMapAffine(t *testing.T) {
	wr, wi, wg := m2WCS(t, "r"), m2WCS(t, "i"), m2WCS(t, "g")
	whole := Box{0, 0, 2048, 1489}
	for _, c := range []struct {
		name  string
		m     BandMap
		box   Box
		limit float64
	}{
		{"r→i WCS, M2 cutout", BandMap{wr, wi}, m2Box, 1e-4},
		{"r→g WCS, M2 cutout", BandMap{wr, wg}, m2Box, 1e-4},
		{"r→i WCS, whole frame", BandMap{wr, wi}, whole, 0.01},
		{"r→g WCS, whole frame", BandMap{wr, wg}, whole, 0.01},
		{"r→i asTrans, M2 cutout", BandMap{m2AsTrans(t, "r"), m2AsTrans(t, "i")}, m2Box, 1e-3},
		{"r→g asTrans, M2 cutout", BandMap{m2AsTrans(t, "r"), m2AsTrans(t, "g")}, m2Box, 1e-3},
		// asTrans's distortion is cubic in col: one affine over a whole frame is off by
		// 0.03 (i) and 0.05 px (g), over a 100×100 cutout by 2e−4 px.
		{"r→i asTrans, whole frame", BandMap{m2AsTrans(t, "r"), m2AsTrans(t, "i")}, whole, 0.04},
		{"r→g asTrans, whole frame", BandMap{m2AsTrans(t, "r"), m2AsTrans(t, "g")}, whole, 0.06},
		{"r→r WCS identity, M2 cutout", BandMap{wr, wr}, m2Box, 1e-9},
	} {
		a, worst, err := c.m.Affine(c.box)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: offset at centre (%+.4f, %+.4f), J = %.6f; worst affine error %.2g px", c.name, a.U-a.X0, a.V-a.Y0, a.J, worst)
		if worst > c.limit {
			t.Errorf("%s: affine error %.3g px, want below %g", c.name, worst, c.limit)
		}
		// The error is measured honestly: the map at a box corner agrees to within it.
		x, y := float64(c.box.X0)-0.5, float64(c.box.Y0+c.box.H)-0.5
		u, v, err := c.m.Map(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if au, av := a.Apply(x, y); math.Hypot(au-u, av-v) > worst+1e-12 {
			t.Errorf("%s: corner error %g above the reported worst %g", c.name, math.Hypot(au-u, av-v), worst)
		}
	}
	if _, _, err := (BandMap{wr, wi}).Affine(Box{}); err == nil {
		t.Error("affine fit over an empty box gave no error")
	}
}

func TestBandMapCover(t *testing.T) {
	wr, wi := m2WCS(t, "r"), m2WCS(t, "i")
	m := BandMap{wr, wi}
	for _, c := range []struct {
		box    Box
		margin int
		want   Box
	}{
		// i is offset by (−0.52, +2.84): r columns 310…409 (edges 309.5…409.5) land on
		// 308.98…408.99, i.e. pixels 309…409; rows 630…729 on 632.3…732.3, pixels 632…732.
		{m2Box, 0, Box{309, 632, 101, 101}},
		{m2Box, 2, Box{307, 630, 105, 105}},
		{Box{0, 0, 2048, 1489}, 0, Box{0, 2, 2048, 1487}}, // clipped to the frame
		{Box{0, 1480, 20, 9}, 3, Box{0, 1479, 23, 10}},    // clipped at the bottom
	} {
		got, err := m.Cover(c.box, c.margin, 2048, 1489)
		if err != nil || got != c.want {
			t.Errorf("Cover(%v, %d) = %v, %v; want %v", c.box, c.margin, got, err, c.want)
		}
	}
	for _, b := range []Box{{5000, 0, 10, 10}, {}} {
		if _, err := m.Cover(b, 0, 2048, 1489); err == nil {
			t.Errorf("Cover(%v) gave no error", b)
		}
	}
	if _, err := m.Cover(m2Box, -1, 2048, 1489); err == nil {
		t.Error("negative margin gave no error")
	}
}

// starCentroid returns the Gaussian-weighted (σ = 1.2 px) centroid of the star near (x, y) in
// a frame's image, iterated to convergence within a 13×13 window; ok is false near the edges
// or when the weighted flux is not positive.
func starCentroid(fr *Frame, x, y float64) (cx, cy float64, ok bool) {
	const half, s2 = 6, 2 * 1.2 * 1.2
	for range 50 {
		x0, y0 := int(math.Round(x)), int(math.Round(y))
		if x0 < half || y0 < half || x0 >= fr.Width-half || y0 >= fr.Height-half {
			return 0, 0, false
		}
		var sw, sx, sy float64
		for j := y0 - half; j <= y0+half; j++ {
			for i := x0 - half; i <= x0+half; i++ {
				dx, dy := float64(i)-x, float64(j)-y
				w := math.Exp(-(dx*dx+dy*dy)/s2) * float64(fr.Image[j*fr.Width+i])
				sw += w
				sx += w * float64(i)
				sy += w * float64(j)
			}
		}
		if !(sw > 0) {
			return 0, 0, false
		}
		nx, ny := sx/sw, sy/sw
		if math.Abs(nx-x) < 1e-6 && math.Abs(ny-y) < 1e-6 {
			return nx, ny, true
		}
		x, y = nx, ny
	}
	return 0, 0, false
}

// isolatedStars returns the peaks of a frame brighter than thresh (nanomaggies) and below
// sat, at least 12 px inside the frame, with no other pixel within 10 px above 5 % of the
// peak outside the star's own core (a 4-pixel radius).
func isolatedStars(fr *Frame, thresh, sat float64) [][2]int {
	var out [][2]int
	at := func(x, y int) float64 { return float64(fr.Image[y*fr.Width+x]) }
	for y := 12; y < fr.Height-12; y++ {
	pixel:
		for x := 12; x < fr.Width-12; x++ {
			p := at(x, y)
			if p < thresh || p > sat {
				continue
			}
			for j := y - 10; j <= y+10; j++ {
				for i := x - 10; i <= x+10; i++ {
					v := at(i, j)
					core := (i-x)*(i-x)+(j-y)*(j-y) <= 16
					if v > p || (!core && v > 0.05*p) {
						continue pixel
					}
				}
			}
			out = append(out, [2]int{x, y})
		}
	}
	return out
}

// TestBandMapStars checks both band maps against the stars themselves: isolated bright stars
// are centroided in the r frame, mapped into the other bands' frames, and centroided there. The
// residuals include differential chromatic refraction, which neither map models (asTrans's
// colour terms, at colour 0 here, move a g−r = 0.5 star by about −0.05 px in each axis of
// the g frame), and the difference between the bands' PSFs.
func TestBandMapStars(t *testing.T) {
	r := readM2Frame(t)
	noise := 1.4826 * order.Median(func() []float64 {
		v := make([]float64, 0, len(r.Image)/97+1)
		for i := 0; i < len(r.Image); i += 97 {
			v = append(v, math.Abs(float64(r.Image[i])))
		}
		return v
	}())
	stars := isolatedStars(r, 30*noise, 200) // SDSS r saturates near 270 nanomaggies
	ar := r.AsTrans
	for _, band := range []string{"i", "g", "z", "u"} {
		fr, err := ReadFrame(shareddata.Path(t, dataDir+"frame-"+band+"-002583-2-0136.fits.bz2"))
		if err != nil {
			t.Fatal(err)
		}
		maps := []struct {
			name string
			m    BandMap
		}{{"WCS", BandMap{r.WCS, fr.WCS}}, {"asTrans", BandMap{ar, fr.AsTrans}}}
		res := make([][2][]float64, len(maps))
		for _, s := range stars {
			xr, yr, ok := starCentroid(r, float64(s[0]), float64(s[1]))
			if !ok {
				continue
			}
			xm, ym, err := maps[0].m.Map(xr, yr)
			if err != nil {
				t.Fatal(err)
			}
			xb, yb, ok := starCentroid(fr, xm, ym)
			if !ok || math.Hypot(xb-xm, yb-ym) > 0.5 { // a neighbour in this band
				continue
			}
			for k, m := range maps {
				u, v, err := m.m.Map(xr, yr)
				if err != nil {
					t.Fatal(err)
				}
				res[k][0] = append(res[k][0], xb-u)
				res[k][1] = append(res[k][1], yb-v)
			}
		}
		if len(res[0][0]) < 100 {
			t.Fatalf("r→%s: only %d isolated stars of %d peaks", band, len(res[0][0]), len(stars))
		}
		for k, m := range maps {
			mx, my := order.Median(res[k][0]), order.Median(res[k][1])
			t.Logf("r→%s through %s: %d stars, median residual (%+.3f, %+.3f) px", band, m.name, len(res[k][0]), mx, my)
			if math.Abs(mx) > 0.15 || math.Abs(my) > 0.15 {
				t.Errorf("r→%s through %s: stars land (%+.3f, %+.3f) px from the map", band, m.name, mx, my)
			}
		}
	}
}

// TestBandMapAsGrid compares the maps with the multiband-PCAT authors' asGrid files, which
// tabulate, for every pixel of PCAT's r cutout, its position in the g, i and z frames
// computed from asTrans with the colour terms at 0 (their own code). The asTrans map
// reproduces g and i to 4e−5 px (the grids are float32). For z both of our maps differ from
// asGrid by a near-constant (+0.20, −0.12) px, while isolated stars (TestBandMapStars) land
// within 0.03 px of our maps: the z grid is off.
func TestBandMapAsGrid(t *testing.T) {
	wr, ar := m2WCS(t, "r"), m2AsTrans(t, "r")
	for _, c := range []struct {
		band  string
		limit float64 // asTrans map against asGrid, px
		zMin  float64 // the documented z discrepancy is at least this
	}{{"i", 1e-4, 0}, {"g", 1e-4, 0}, {"z", 0.25, 0.15}} {
		path := shareddata.Path(t, "m2-pcat-cutout/asGrid002583-2-0136-100x100-r-"+c.band+"-0310-0630_cterms0_0.fits")
		gx, err := fits.ReadImage(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		gy, err := fits.ReadImage(path, 1)
		if err != nil {
			t.Fatal(err)
		}
		maps := []BandMap{{ar, m2AsTrans(t, c.band)}, {wr, m2WCS(t, c.band)}}
		var worst [2]float64
		var sum [2][2]float64
		for y := range 100 {
			for x := range 100 {
				u0, v0 := float64(gx.Pix[y*100+x])+310, float64(gy.Pix[y*100+x])+630
				for k, m := range maps {
					u, v, err := m.Map(float64(310+x), float64(630+y))
					if err != nil {
						t.Fatal(err)
					}
					worst[k] = math.Max(worst[k], math.Hypot(u-u0, v-v0))
					sum[k][0] += u - u0
					sum[k][1] += v - v0
				}
			}
		}
		t.Logf("r→%s against asGrid over the cutout: asTrans mean (%+.4f, %+.4f) worst %.2g px; WCS mean (%+.4f, %+.4f) worst %.4f px",
			c.band, sum[0][0]/1e4, sum[0][1]/1e4, worst[0], sum[1][0]/1e4, sum[1][1]/1e4, worst[1])
		if worst[0] > c.limit || worst[0] < c.zMin {
			t.Errorf("r→%s: asTrans map and asGrid differ by up to %.4f px", c.band, worst[0])
		}
	}
}
