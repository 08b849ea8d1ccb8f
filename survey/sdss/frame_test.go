package sdss

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

const dataDir = "m2-sdss-2583-2-136/"

// m2Box is PCAT's r-band cutout: frame rows 630..729, columns 310..409.
var m2Box = Box{X0: 310, Y0: 630, W: 100, H: 100}

var m2Frame struct {
	once sync.Once
	fr   *Frame
	err  error
}

// readM2Frame reads the r frame once for all tests (decompressing it takes a second or two).
func readM2Frame(t *testing.T) *Frame {
	t.Helper()
	path := shareddata.Path(t, dataDir+"frame-r-002583-2-0136.fits.bz2")
	m2Frame.once.Do(func() { m2Frame.fr, m2Frame.err = ReadFrame(path) })
	if m2Frame.err != nil {
		t.Fatal(m2Frame.err)
	}
	return m2Frame.fr
}

// readText reads whitespace-separated numbers, one slice per line.
func readText(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row []float64
		for _, s := range strings.Fields(sc.Text()) {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			row = append(row, v)
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func percentile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(math.Round(p/100*float64(len(s)-1)))]
}

func TestFrameHeader(t *testing.T) {
	fr := readM2Frame(t)
	if fr.Band != "r" || fr.Run != 2583 || fr.Camcol != 2 || fr.Field != 136 || fr.Width != 2048 || fr.Height != 1489 {
		t.Fatalf("frame %s %d-%d-%d %d×%d", fr.Band, fr.Run, fr.Camcol, fr.Field, fr.Width, fr.Height)
	}
	if fr.NMGY != 0.00546689 || fr.SoftBias != 1000 {
		t.Errorf("NMGY %g SOFTBIAS %g", fr.NMGY, fr.SoftBias)
	}
	lo, hi := slices.Min(fr.Calib), slices.Max(fr.Calib)
	if lo < 0.00536 || hi > 0.00543 || hi-lo < 5e-5 {
		t.Errorf("calib %g..%g, PROVENANCE.md says 0.005362..0.005428", lo, hi)
	}
}

// The must-show check: frame → counts reproduces PCAT's cutout up to its pedestal, which
// PROVENANCE.md gives as cts = frame/calib + sky + ~1036..1040 ADU.
func TestCountsMatchPCAT(t *testing.T) {
	fr := readM2Frame(t)
	pcat := readText(t, shareddata.Path(t, "m2-pcat-cutout/sdss.0921_cts.txt"))
	got, err := fr.CountsIn(m2Box)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcat) != 100 {
		t.Fatalf("PCAT cutout has %d rows", len(pcat))
	}
	var d []float64
	for y, row := range pcat {
		for x, v := range row {
			d = append(d, v-float64(got[y*100+x]))
		}
	}
	// PCAT's counts are also scaled by 0.988 relative to these (a least-squares fit), which
	// is what spreads the differences on bright pixels.
	var sx, sy, sxx, sxy float64
	for i, v := range got {
		x, y := float64(v), float64(v)+d[i]
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	slope := (1e4*sxy - sx*sy) / (1e4*sxx - sx*sx)
	t.Logf("PCAT = %.4f × (frame/calib + sky) + %.1f (least squares)", slope, (sy-slope*sx)/1e4)
	med := percentile(d, 50)
	q05, q25, q75, q95 := percentile(d, 5), percentile(d, 25), percentile(d, 75), percentile(d, 95)
	t.Logf("PCAT − (frame/calib + sky): median %.2f, quartiles %.2f..%.2f, 5–95%% %.2f..%.2f", med, q25, q75, q05, q95)
	if med < 1036 || med > 1040 {
		t.Errorf("median pedestal %.2f, PROVENANCE.md says 1036..1040", med)
	}
	if q75-q25 > 6 || q95-q05 > 25 {
		t.Errorf("pedestal scatter too large: quartiles %.2f..%.2f, 5–95%% %.2f..%.2f", q25, q75, q05, q95)
	}
	// A wrong box (one pixel off) correlates far worse: the check can fail.
	off, err := fr.CountsIn(Box{m2Box.X0 + 1, m2Box.Y0, 100, 100})
	if err != nil {
		t.Fatal(err)
	}
	var d2 []float64
	for y, row := range pcat {
		for x, v := range row {
			d2 = append(d2, v-float64(off[y*100+x]))
		}
	}
	if s := percentile(d2, 75) - percentile(d2, 25); s < 3*(q75-q25) {
		t.Errorf("a box one column off gives quartile spread %.2f, the right one %.2f: the test cannot tell", s, q75-q25)
	}
}

// Sky interpolation and counts against an independent numpy computation from astropy's
// reading of the file.
func TestCountsAgainstAstropy(t *testing.T) {
	fr := readM2Frame(t)
	py := shareddata.Python(t, "astropy", "numpy")
	pts := [][2]int{{0, 0}, {2047, 1488}, {310, 630}, {409, 729}, {1000, 100}, {5, 1400}, {2040, 3}}
	js, err := json.Marshal(pts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import json, sys
import numpy as np
from astropy.io import fits
f = fits.open(sys.argv[1])
img, cal, s = f[0].data.astype(np.float64), f[1].data.astype(np.float64), f[2].data
g = s["ALLSKY"][0].astype(np.float64)
xi, yi = s["XINTERP"][0].astype(np.float64), s["YINTERP"][0].astype(np.float64)
def bil(x, y):
    x = min(max(x, 0.0), g.shape[1] - 1.0); y = min(max(y, 0.0), g.shape[0] - 1.0)
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    x1, y1 = min(x0 + 1, g.shape[1] - 1), min(y0 + 1, g.shape[0] - 1)
    fx, fy = x - x0, y - y0
    return (1-fy)*((1-fx)*g[y0, x0] + fx*g[y0, x1]) + fy*((1-fx)*g[y1, x0] + fx*g[y1, x1])
print(json.dumps([[img[y, x]/cal[x] + bil(xi[x], yi[y]), bil(xi[x], yi[y])] for x, y in json.loads(sys.argv[2])]))
`, fr.Path, string(js)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want [][2]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, p := range pts {
		c, s := fr.Counts(p[0], p[1]), float64(fr.Sky[p[1]*fr.Width+p[0]])
		if math.Abs(c-want[i][0]) > 1e-4*math.Max(1, math.Abs(want[i][0])) || math.Abs(s-want[i][1]) > 1e-4 {
			t.Errorf("pixel %v: counts %v sky %v, numpy %v", p, c, s, want[i])
		}
	}
	// The sky is not flat across the frame, so the comparison exercises the interpolation.
	if lo, hi := slices.Min(fr.Sky), slices.Max(fr.Sky); hi-lo < 0.5 {
		t.Errorf("sky range %g..%g is too flat to test the interpolation", lo, hi)
	}
}

func TestInterpolateGrid(t *testing.T) {
	// A 3×2 grid holding 10·row + col; bilinear interpolation is exact for it inside the
	// grid and clamps outside.
	grid := []float64{0, 1, 2, 10, 11, 12}
	xi := []float64{-0.5, 0, 0.25, 1.5, 2, 7}
	yi := []float64{-1, 0.5, 1, 3}
	got := interpolateGrid(grid, 3, 2, xi, yi)
	clamp := func(v, hi float64) float64 { return math.Max(0, math.Min(v, hi)) }
	for y, fy := range yi {
		for x, fx := range xi {
			want := 10*clamp(fy, 1) + clamp(fx, 2)
			if g := got[y*len(xi)+x]; math.Abs(float64(g)-want) > 1e-6 {
				t.Errorf("(%g, %g): %g, want %g", fx, fy, g, want)
			}
		}
	}
}

func TestParseBox(t *testing.T) {
	b, err := ParseBox("310, 630,100,100")
	if err != nil || b != m2Box || b.String() != "310,630,100,100" {
		t.Errorf("ParseBox: %v %v", b, err)
	}
	for _, s := range []string{"", "1,2,3", "1,2,3,x", "1,2,0,4", "1,2,3,4,5"} {
		if _, err := ParseBox(s); err == nil {
			t.Errorf("ParseBox(%q) gave no error", s)
		}
	}
	if x, y := m2Box.Centre(); x != 359.5 || y != 679.5 {
		t.Errorf("centre %g %g", x, y)
	}
}
