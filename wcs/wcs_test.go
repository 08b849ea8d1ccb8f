package wcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/model"
)

var _ model.SkyProjection = (*WCS)(nil)

// mapHeader is a Header held in a map, as the fixtures store the cards.
type mapHeader map[string]any

func (m mapHeader) Has(k string) bool { _, ok := m[k]; return ok }
func (m mapHeader) Float(k string) (float64, error) {
	switch v := m[k].(type) {
	case float64:
		return v, nil
	case nil:
		return 0, fmt.Errorf("no card %s", k)
	}
	return 0, fmt.Errorf("card %s is not a number", k)
}
func (m mapHeader) String(k string) (string, error) {
	if v, ok := m[k].(string); ok {
		return v, nil
	}
	return "", fmt.Errorf("no string card %s", k)
}
func (m mapHeader) Set(k string, v any, _ string) {
	switch v := v.(type) {
	case int:
		m[k] = float64(v)
	default:
		m[k] = v
	}
}

// fixture is one case written by testdata/wcs/make_fixtures.py with astropy.
type fixture struct {
	Name          string
	Width, Height int
	Cards         [][2]any
	X, Y, RA, Dec []float64
	XBack         []float64 `json:"x_back"`
	YBack         []float64 `json:"y_back"`
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "wcs", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 5 {
		t.Fatalf("found %d fixtures in testdata/wcs, want 5", len(paths))
	}
	var out []fixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f fixture
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, f)
	}
	return out
}

func (f fixture) header() mapHeader {
	h := mapHeader{}
	for _, c := range f.Cards {
		h[c[0].(string)] = c[1]
	}
	return h
}

// separation returns the angle between two sky positions in degrees (haversine, accurate at
// small angles).
func separation(ra1, dec1, ra2, dec2 float64) float64 {
	s := math.Pow(math.Sin((dec2-dec1)*deg/2), 2) +
		math.Cos(dec1*deg)*math.Cos(dec2*deg)*math.Pow(math.Sin((ra2-ra1)*deg/2), 2)
	return 2 * math.Asin(math.Sqrt(s)) / deg
}

const (
	skyTol = 1e-8 // degrees, the requirement
	pixTol = 1e-6 // pixels
)

func checkAgainstFixture(t *testing.T, w *WCS, f fixture) {
	t.Helper()
	var worstSky, worstPix, worstAstropy float64
	for i := range f.X {
		ra, dec := w.PixelToSky(f.X[i], f.Y[i])
		if ra < 0 || ra >= 360 {
			t.Fatalf("RA %v outside [0, 360)", ra)
		}
		worstSky = max(worstSky, separation(ra, dec, f.RA[i], f.Dec[i]))
		x, y, err := w.SkyToPixel(f.RA[i], f.Dec[i])
		if err != nil {
			t.Fatalf("SkyToPixel(%v, %v): %v", f.RA[i], f.Dec[i], err)
		}
		worstPix = max(worstPix, math.Hypot(x-f.X[i], y-f.Y[i]))
		worstAstropy = max(worstAstropy, math.Hypot(x-f.XBack[i], y-f.YBack[i]))
	}
	t.Logf("%s: %d points, max |sky − astropy| = %.2g deg, max |SkyToPixel − pixel| = %.2g px, vs astropy all_world2pix %.2g px",
		f.Name, len(f.X), worstSky, worstPix, worstAstropy)
	if worstSky > skyTol {
		t.Errorf("%s: PixelToSky differs from astropy by up to %g deg (tolerance %g)", f.Name, worstSky, skyTol)
	}
	if worstPix > pixTol || worstAstropy > pixTol {
		t.Errorf("%s: SkyToPixel is off by up to %g px from the pixel, %g px from astropy (tolerance %g)", f.Name, worstPix, worstAstropy, pixTol)
	}
}

func TestAgainstAstropy(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			w, err := FromHeader(f.header())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(f.Name, "sip") != (w.A != nil) {
				t.Fatalf("SIP read wrongly: A = %v", w.A)
			}
			checkAgainstFixture(t, w, f)
		})
	}
}

// The fixture check can fail: a WCS off by a hundredth of a pixel in CRPIX is caught.
func TestFixtureCheckDetectsErrors(t *testing.T) {
	f := loadFixtures(t)[0]
	w, err := FromHeader(f.header())
	if err != nil {
		t.Fatal(err)
	}
	w = w.Shift(0.01, 0)
	worst := 0.0
	for i := range f.X {
		ra, dec := w.PixelToSky(f.X[i], f.Y[i])
		worst = max(worst, separation(ra, dec, f.RA[i], f.Dec[i]))
	}
	if worst <= skyTol {
		t.Errorf("a 0.01 px shift changes the sky by only %g deg", worst)
	}
}

// The real frame's header, read by package fits, gives the same transforms as the fixture
// (whose cards were copied from it by astropy).
func TestRealFrameHeader(t *testing.T) {
	path := shareddata.Path(t, "m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2")
	h, err := fits.ReadHeader(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := FromHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range loadFixtures(t) {
		if strings.HasPrefix(f.Name, "sdss-r-2583-2-136") {
			checkAgainstFixture(t, w, f)
			return
		}
	}
	t.Fatal("no SDSS frame fixture")
}

func TestShift(t *testing.T) {
	for _, f := range loadFixtures(t) {
		w, err := FromHeader(f.header())
		if err != nil {
			t.Fatal(err)
		}
		const x0, y0 = 310, 630
		cut := w.Shift(x0, y0)
		for i := range f.X {
			ra1, dec1 := w.PixelToSky(f.X[i], f.Y[i])
			ra2, dec2 := cut.PixelToSky(f.X[i]-x0, f.Y[i]-y0)
			if s := separation(ra1, dec1, ra2, dec2); s > 1e-11 {
				t.Fatalf("%s: cutout pixel differs by %g deg", f.Name, s)
			}
		}
	}
}

// SetCards writes a WCS that FromHeader reads back identically, also for a shifted cutout.
func TestSetCardsRoundTrip(t *testing.T) {
	for _, f := range loadFixtures(t) {
		w, err := FromHeader(f.header())
		if err != nil {
			t.Fatal(err)
		}
		w = w.Shift(12.5, -3)
		h := mapHeader{}
		w.SetCards(h)
		back, err := FromHeader(h)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for i := range f.X {
			ra1, dec1 := w.PixelToSky(f.X[i], f.Y[i])
			ra2, dec2 := back.PixelToSky(f.X[i], f.Y[i])
			if ra1 != ra2 || dec1 != dec2 {
				t.Fatalf("%s: cards do not round-trip: (%v, %v) vs (%v, %v)", f.Name, ra1, dec1, ra2, dec2)
			}
		}
	}
}

// astropy reads the cards SetCards writes into a FITS file (through package fits) as the same WCS.
func TestAstropyReadsWrittenCards(t *testing.T) {
	py := shareddata.Python(t, "astropy", "numpy")
	dir := t.TempDir()
	type job struct {
		Path   string       `json:"path"`
		Points [][2]float64 `json:"points"`
	}
	var jobs []job
	var cuts []*WCS
	var names []string
	for _, f := range loadFixtures(t) {
		w, err := FromHeader(f.header())
		if err != nil {
			t.Fatal(err)
		}
		const x0, y0 = 40, 25
		cut := w.Shift(x0, y0)
		h := fits.NewHeader()
		cut.SetCards(h)
		path := filepath.Join(dir, f.Name+".fits")
		if err := fits.Write(path, fits.ImageHDU{Header: h, Width: 3, Height: 2, Data: make([]float32, 6)}); err != nil {
			t.Fatal(err)
		}
		j := job{Path: path}
		for i := 0; i < len(f.X); i += len(f.X) / 20 {
			j.Points = append(j.Points, [2]float64{f.X[i] - x0, f.Y[i] - y0})
		}
		jobs, cuts, names = append(jobs, j), append(cuts, cut), append(names, f.Name)
	}
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", `
import json, sys, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter("ignore")
out = []
for job in json.load(sys.stdin):
    p = np.array(job["points"])
    w = WCS(fits.getheader(job["path"]))
    world = w.all_pix2world(p[:, 0], p[:, 1], 0)
    out.append([world[w.wcs.lng].tolist(), world[w.wcs.lat].tolist()])
json.dump(out, sys.stdout)
`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("astropy: %v", err)
	}
	var sky [][2][]float64
	if err := json.Unmarshal(out, &sky); err != nil || len(sky) != len(jobs) {
		t.Fatalf("astropy output: %v", err)
	}
	for k, j := range jobs {
		for i, p := range j.Points {
			ra, dec := cuts[k].PixelToSky(p[0], p[1])
			if s := separation(ra, dec, sky[k][0][i], sky[k][1][i]); s > skyTol {
				t.Errorf("%s: astropy reads our cards %g deg away at (%v, %v)", names[k], s, p[0], p[1])
			}
		}
	}
}

// SIP cards are applied even when CTYPE lacks -SIP, as astropy does (with a warning).
func TestSIPWithoutSuffix(t *testing.T) {
	for _, f := range loadFixtures(t) {
		h := f.header()
		if !h.Has("A_ORDER") {
			continue
		}
		for _, k := range []string{"CTYPE1", "CTYPE2"} {
			h[k] = strings.TrimSuffix(h[k].(string), "-SIP")
		}
		w, err := FromHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if w.A == nil {
			t.Fatalf("%s: SIP ignored without the -SIP suffix", f.Name)
		}
		checkAgainstFixture(t, w, f)
	}
}

func TestErrors(t *testing.T) {
	base := func() mapHeader {
		return mapHeader{"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRPIX1": 1.0, "CRPIX2": 1.0,
			"CRVAL1": 10.0, "CRVAL2": 20.0, "CD1_1": -1e-4, "CD2_2": 1e-4}
	}
	for name, edit := range map[string]func(mapHeader){
		"no CTYPE":     func(h mapHeader) { delete(h, "CTYPE1") },
		"unsupported":  func(h mapHeader) { h["CTYPE1"], h["CTYPE2"] = "RA---SIN", "DEC--SIN" },
		"galactic":     func(h mapHeader) { h["CTYPE1"], h["CTYPE2"] = "GLON-TAN", "GLAT-TAN" },
		"no CRVAL":     func(h mapHeader) { delete(h, "CRVAL2") },
		"singular":     func(h mapHeader) { h["CD2_2"] = 0.0 },
		"string value": func(h mapHeader) { h["CRPIX1"] = "12" },
		"SIP no A":     func(h mapHeader) { h["CTYPE1"], h["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP" },
		"bad order": func(h mapHeader) {
			h["CTYPE1"], h["CTYPE2"], h["A_ORDER"], h["B_ORDER"] = "RA---TAN-SIP", "DEC--TAN-SIP", 2.5, 2.0
		},
		"dec > 90": func(h mapHeader) { h["CRVAL2"] = 91.0 },
	} {
		h := base()
		edit(h)
		if _, err := FromHeader(h); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	w, err := FromHeader(base())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.SkyToPixel(190, -20); !errors.Is(err, ErrFarSide) {
		t.Errorf("antipode: err = %v, want ErrFarSide", err)
	}
	// The reference pixel maps to CRVAL exactly, and back.
	ra, dec := w.PixelToSky(0, 0)
	if ra != 10 || dec != 20 {
		t.Errorf("reference pixel maps to (%v, %v)", ra, dec)
	}
	if x, y, err := w.SkyToPixel(10, 20); err != nil || math.Abs(x) > 1e-12 || math.Abs(y) > 1e-12 {
		t.Errorf("CRVAL maps to (%v, %v), %v", x, y, err)
	}
}
