package sdss

import (
	"math"
	"testing"

	"github.com/probcat/probcat/fits"
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

// TestBandMapWCSvsAsTrans maps r-frame positions across the whole frame into the i and g
// frames twice, through the frames' TAN WCS and through asTrans, and reports the
// disagreement. The TAN WCS of each band leaves out that CCD's cubic distortion in col and
// the great-circle geometry (0.13–0.17 px of error over a frame); the errors of two bands
// only partly cancel: r→i agrees to 0.06 px, r→g only to 0.11 px (0.06 px at M2's cutout).
func TestBandMapWCSvsAsTrans(t *testing.T) {
	wr, ar := m2WCS(t, "r"), m2AsTrans(t, "r")
	cx, cy := m2Box.Centre()
	for _, c := range []struct {
		band       string
		limit      float64
		asGrid     [2]float64 // PROVENANCE.md's offsets from PCAT's asGrid files near the cutout
		wantCentre [2]float64
	}{
		{"i", 0.07, [2]float64{-0.55, 2.82}, [2]float64{-0.52, 2.83}},
		{"g", 0.13, [2]float64{3.15, 10.79}, [2]float64{3.14, 10.78}},
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
				t.Logf("r→%s at the M2 cutout's centre (%g, %g): WCS offset (%+.4f, %+.4f), asTrans (%+.4f, %+.4f), asGrid (%+.2f, %+.2f) px",
					c.band, cx, cy, xw-cx, yw-cy, xa-cx, ya-cy, c.asGrid[0], c.asGrid[1])
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
