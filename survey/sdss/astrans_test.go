package sdss

import (
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
)

// m2AsTrans reads one band's solution for field 2583-2-136 from the run's asTrans file.
func m2AsTrans(t *testing.T, band string) *AsTrans {
	t.Helper()
	at, err := ReadAsTrans(shareddata.Path(t, dataDir+"asTrans-002583.fit"), 2, 136, band)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// frameGrid returns 9×7 positions spread over a whole 2048×1489 frame, corners included.
func frameGrid() [][2]float64 {
	var p [][2]float64
	for j := range 7 {
		for i := range 9 {
			p = append(p, [2]float64{2047 * float64(i) / 8, 1488 * float64(j) / 6})
		}
	}
	return p
}

func TestAsTransM2(t *testing.T) {
	at := m2AsTrans(t, "r")
	// The frame's HDU3 is the same solution as the run's asTrans file.
	fr := readM2Frame(t)
	if fr.AsTrans == nil || *fr.AsTrans != *at {
		t.Fatalf("frame HDU3 solution %+v\nasTrans file %+v", fr.AsTrans, at)
	}
	if at.Run != 2583 || at.Camcol != 2 || at.Field != 136 || at.Band != "r" || at.Node != 48.377485 || at.Incl != 0.000358 {
		t.Errorf("solution for %d-%d-%d %s, node %g incl %g", at.Run, at.Camcol, at.Field, at.Band, at.Node, at.Incl)
	}
	// SkyToPixel inverts PixelToSky.
	for _, p := range frameGrid() {
		ra, dec := at.PixelToSky(p[0], p[1])
		x, y, err := at.SkyToPixel(ra, dec)
		if err != nil || math.Hypot(x-p[0], y-p[1]) > 1e-8 {
			t.Errorf("pixel %v → %g, %g → %g, %g (%v)", p, ra, dec, x, y, err)
		}
	}
	// Pixel convention: photo's (row, col) = (y + ½, x + ½). With it the solution agrees with
	// the frame's TAN WCS to a few hundredths of a pixel on average (with (y, x) the mean
	// offset would be half a pixel in each axis); the TAN WCS, which has no distortion terms,
	// is off by up to 0.2 px at the frame's edges.
	var sx, sy, worst float64
	pts := frameGrid()
	for _, p := range pts {
		ra, dec := at.PixelToSky(p[0], p[1])
		x, y, err := fr.WCS.SkyToPixel(ra, dec)
		if err != nil {
			t.Fatal(err)
		}
		sx += x - p[0]
		sy += y - p[1]
		worst = math.Max(worst, math.Hypot(x-p[0], y-p[1]))
	}
	mx, my := sx/float64(len(pts)), sy/float64(len(pts))
	t.Logf("r frame: asTrans vs TAN WCS, mean offset (%.4f, %.4f) px, worst %.4f px over the frame", mx, my, worst)
	if math.Hypot(mx, my) > 0.05 || worst > 0.25 {
		t.Errorf("asTrans and WCS of the r frame differ by (%.4f, %.4f) px on average, %.4f at worst", mx, my, worst)
	}

	path := shareddata.Path(t, dataDir+"asTrans-002583.fit")
	for _, c := range []struct {
		camcol, field int
		band, want    string
	}{{7, 136, "r", "no HDU for camcol 7"}, {2, 5000, "r", "no row for field 5000"}, {2, 136, "y", `band "y"`}} {
		if _, err := ReadAsTrans(path, c.camcol, c.field, c.band); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadAsTrans(camcol %d, field %d, %s): %v, want %q", c.camcol, c.field, c.band, err, c.want)
		}
	}
	ps := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	if _, err := ReadAsTrans(ps, 2, 136, "r"); err == nil || !strings.Contains(err.Error(), ps) {
		t.Errorf("psField read as asTrans: %v", err)
	}
}

// writeAsTrans writes a one-CCD asTrans file (camcol 3, band g, fields 10 and 11) whose
// columns are given, with the great circle on the equator (node 0, inclination 0: mu = RA,
// nu = Dec).
func writeAsTrans(t *testing.T, cols map[string]float64) string {
	t.Helper()
	h := fits.NewHeader()
	h.Set("RUN", int64(94), "")
	h.Set("NODE", 0.0, "")
	h.Set("INCL", 0.0, "")
	th := fits.NewHeader()
	th.Set("CAMCOL", int64(3), "")
	th.Set("FILTER", "g", "")
	tc := []fits.TableColumn{{Name: "field", Data: []int32{10, 11}}}
	for _, name := range slices.Sorted(maps.Keys(cols)) {
		tc = append(tc, fits.TableColumn{Name: name, Data: []float64{0, cols[name]}})
	}
	path := filepath.Join(t.TempDir(), "asTrans-000094.fit")
	if err := fits.Write(path, fits.ImageHDU{Header: h}, fits.TableHDU{Header: th, Columns: tc}); err != nil {
		t.Fatal(err)
	}
	return path
}

// A synthetic solution against the data model's equations written out by hand.
func TestAsTransSynthetic(t *testing.T) {
	cols := map[string]float64{
		"a": 10, "b": 0, "c": 1e-4, "d": -1, "e": 1e-4, "f": 0,
		"dRow0": 0.2, "dRow1": 1e-4, "dRow2": 0, "dRow3": 0,
		"dCol0": 0.1, "dCol1": 2e-4, "dCol2": -3e-7, "dCol3": 1e-10,
		"csRow": 0.1, "csCol": 0.1, "ccRow": 0, "ccCol": 0, "riCut": 100, "muErr": 0.04, "nuErr": 0.04,
	}
	path := writeAsTrans(t, cols)
	at, err := ReadAsTrans(path, 3, 11, "g")
	if err != nil {
		t.Fatal(err)
	}
	if at.Run != 94 || at.Field != 11 || at.DCol != [4]float64{0.1, 2e-4, -3e-7, 1e-10} || at.MuErr != 0.04 {
		t.Fatalf("read %+v", at)
	}
	for _, p := range [][2]float64{{0, 0}, {2047, 0}, {1000.3, 700.8}, {2047, 1488}} {
		row, col := p[1]+0.5, p[0]+0.5
		colm := col + 0.1 + 2e-4*col - 3e-7*col*col + 1e-10*col*col*col
		rowm := row + 0.2 + 1e-4*col
		wantRA, wantDec := 10+1e-4*colm, -1+1e-4*rowm
		ra, dec := at.PixelToSky(p[0], p[1])
		if math.Abs(ra-wantRA) > 1e-12 || math.Abs(dec-wantDec) > 1e-12 {
			t.Errorf("pixel %v: %.12f, %.12f; want %.12f, %.12f", p, ra, dec, wantRA, wantDec)
		}
		x, y, err := at.SkyToPixel(wantRA, wantDec)
		if err != nil || math.Hypot(x-p[0], y-p[1]) > 1e-8 {
			t.Errorf("sky %g, %g → pixel %g, %g (%v), want %v", wantRA, wantDec, x, y, err, p)
		}
	}
	if _, _, err := at.SkyToPixel(math.NaN(), 0); err == nil {
		t.Error("SkyToPixel(NaN) gave no error")
	}

	cols["c"], cols["e"] = 0, 0
	if _, err := ReadAsTrans(writeAsTrans(t, cols), 3, 11, "g"); err == nil || !strings.Contains(err.Error(), "singular") {
		t.Errorf("singular solution: %v", err)
	}
	delete(cols, "riCut")
	if _, err := ReadAsTrans(writeAsTrans(t, cols), 3, 11, "g"); err == nil || !strings.Contains(err.Error(), "riCut") {
		t.Errorf("missing column: %v", err)
	}
	if _, err := ReadAsTrans(path, 3, 11, "r"); err == nil || !strings.Contains(err.Error(), "no HDU for camcol 3, band r") {
		t.Errorf("missing band: %v", err)
	}
}
