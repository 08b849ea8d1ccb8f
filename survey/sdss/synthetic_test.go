package sdss

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
)

// synthFrame describes a small frame written with fits.Write; the fields can be broken one
// at a time to test the errors.
type synthFrame struct {
	w, h       int
	header     map[string]any
	calib      []float32
	allsky     []float32
	gw, gh     int
	xi, yi     []float32
	skyColumns []string
	noDim      bool
}

func newSynthFrame() *synthFrame {
	s := &synthFrame{w: 12, h: 8, gw: 4, gh: 3, skyColumns: []string{"ALLSKY", "XINTERP", "YINTERP"}}
	s.header = map[string]any{
		"FILTER": "i", "RUN": int64(2583), "CAMCOL": int64(2), "FRAME": int64(136), "NMGY": 0.0065, "SOFTBIAS": 1000.0,
		"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRPIX1": 6.0, "CRPIX2": 4.0, "CRVAL1": 323.3, "CRVAL2": -0.7,
		"CD1_1": 0.0, "CD1_2": 1.1e-4, "CD2_1": 1.1e-4, "CD2_2": 0.0,
	}
	for x := range s.w {
		s.calib = append(s.calib, 0.006+0.0001*float32(x))
		s.xi = append(s.xi, -0.5+0.4*float32(x)) // runs past both ends of the 4-column grid
	}
	for y := range s.h {
		s.yi = append(s.yi, -0.25+0.3*float32(y))
	}
	for gy := range s.gh {
		for gx := range s.gw {
			s.allsky = append(s.allsky, 100+float32(gx)+10*float32(gy)) // linear: exact under bilinear
		}
	}
	return s
}

// image returns pixel values in nanomaggies: 0.01·(x + 100·y).
func (s *synthFrame) image() []float32 {
	im := make([]float32, s.w*s.h)
	for i := range im {
		im[i] = 0.01 * float32(i%s.w+100*(i/s.w))
	}
	return im
}

func (s *synthFrame) write(t *testing.T) string {
	t.Helper()
	h := fits.NewHeader()
	for k, v := range s.header {
		h.Set(k, v, "")
	}
	var cols []fits.TableColumn
	for _, c := range s.skyColumns {
		switch c {
		case "ALLSKY":
			col := fits.TableColumn{Name: c, Data: s.allsky, Repeat: len(s.allsky), Dim: []int{s.gw, s.gh}}
			if s.noDim {
				col.Dim = nil
			}
			cols = append(cols, col)
		case "XINTERP":
			cols = append(cols, fits.TableColumn{Name: c, Data: s.xi, Repeat: len(s.xi)})
		case "YINTERP":
			cols = append(cols, fits.TableColumn{Name: c, Data: s.yi, Repeat: len(s.yi)})
		}
	}
	path := filepath.Join(t.TempDir(), "frame-i-002583-2-0136.fits")
	err := fits.Write(path,
		fits.ImageHDU{Header: h, Width: s.w, Height: s.h, Data: s.image()},
		fits.ImageHDU{Width: len(s.calib), Height: 1, Data: s.calib},
		fits.TableHDU{Columns: cols},
	)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Counts and sky of a synthetic frame against the formula, computed independently.
func TestSyntheticFrame(t *testing.T) {
	s := newSynthFrame()
	fr, err := ReadFrame(s.write(t))
	if err != nil {
		t.Fatal(err)
	}
	if fr.Band != "i" || fr.Field != 136 || fr.Width != 12 || fr.Height != 8 || fr.NMGY != 0.0065 {
		t.Fatalf("frame %+v", fr)
	}
	clamp := func(v, hi float64) float64 { return math.Max(0, math.Min(v, hi)) }
	img := s.image()
	for y := range s.h {
		for x := range s.w {
			sky := 100 + clamp(float64(s.xi[x]), 3) + 10*clamp(float64(s.yi[y]), 2)
			want := float64(img[y*s.w+x])/float64(s.calib[x]) + sky
			if got := fr.Counts(x, y); math.Abs(got-want) > 1e-4 {
				t.Errorf("(%d, %d): counts %g, want %g", x, y, got, want)
			}
		}
	}
	b := Box{X0: 2, Y0: 1, W: 5, H: 4}
	cts, err := fr.CountsIn(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := float64(cts[1*5+3]), fr.Counts(5, 2); math.Abs(got-want) > 1e-4 {
		t.Errorf("CountsIn: %g, want %g", got, want)
	}
	if ra, dec := fr.WCS.PixelToSky(5, 3); math.Abs(ra-323.3) > 1e-9 || math.Abs(dec+0.7) > 1e-9 {
		t.Errorf("WCS reference pixel at %g, %g", ra, dec)
	}
	if _, err := fr.CountsIn(Box{X0: 10, Y0: 0, W: 5, H: 2}); err == nil || !strings.Contains(err.Error(), fr.Path) {
		t.Errorf("box outside: %v", err)
	}
}

func TestSyntheticFrameErrors(t *testing.T) {
	cases := map[string]struct {
		breakIt func(s *synthFrame)
		want    string
	}{
		"no NMGY":        {func(s *synthFrame) { delete(s.header, "NMGY") }, "NMGY"},
		"bad band":       {func(s *synthFrame) { s.header["FILTER"] = "y" }, "FILTER"},
		"no WCS":         {func(s *synthFrame) { delete(s.header, "CTYPE1") }, "WCS"},
		"short calib":    {func(s *synthFrame) { s.calib = s.calib[:5] }, "calibration"},
		"zero calib":     {func(s *synthFrame) { s.calib[3] = 0 }, "column 3"},
		"no XINTERP":     {func(s *synthFrame) { s.skyColumns = []string{"ALLSKY", "YINTERP"} }, "XINTERP"},
		"short YINTERP":  {func(s *synthFrame) { s.yi = s.yi[:3] }, "YINTERP"},
		"NaN sky":        {func(s *synthFrame) { s.allsky[2] = float32(math.NaN()) }, "non-finite"},
		"ALLSKY no TDIM": {func(s *synthFrame) { s.noDim = true }, "TDIM"},
	}
	for name, c := range cases {
		s := newSynthFrame()
		c.breakIt(s)
		path := s.write(t)
		_, err := ReadFrame(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, c.want)
		}
	}
}

// The field number comes from the SDSS file name; FRAME equals it only for r.
func TestFrameFieldNumber(t *testing.T) {
	s := newSynthFrame()
	s.header["FRAME"] = int64(138) // an i frame of field 136
	src := s.write(t)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	read := func(name string) (*Frame, error) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return ReadFrame(p)
	}
	if fr, err := read("frame-i-002583-2-0136.fits"); err != nil || fr.Field != 136 {
		t.Errorf("SDSS name: field %v, %v", fr, err)
	}
	if fr, err := read("renamed.fits"); err != nil || fr.Field != 0 {
		t.Errorf("renamed i frame: field %v, %v; want 0 (unknown)", fr, err)
	}
	if _, err := read("frame-g-002583-2-0136.fits"); err == nil || !strings.Contains(err.Error(), "band g") {
		t.Errorf("name and header disagree: %v", err)
	}
	s.header["FILTER"] = "r"
	src = s.write(t)
	if data, err = os.ReadFile(src); err != nil {
		t.Fatal(err)
	}
	if fr, err := read("renamed-r.fits"); err != nil || fr.Field != 138 {
		t.Errorf("renamed r frame: field %v, %v; want FRAME = 138", fr, err)
	}
}
