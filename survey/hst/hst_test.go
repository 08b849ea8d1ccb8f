package hst

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/model"
)

// hstLike describes a small synthetic HST file.
type hstLike struct {
	primary, sci *fits.Header
	w, h         int
	sciPix       []float32
	err, wht     []float32 // nil: no such extension
	dq           []int16   // nil: no DQ
	errW         int       // width of the ERR extension (0: w)
}

// newFLT returns a 4×3 WFC3-like calibrated exposure: SCI in COUNTS/S with EXPTIME 100 s,
// CCDGAIN 1.5, ERR, DQ and SATURATE.
func newFLT() *hstLike {
	p := fits.NewHeader()
	p.Set("TELESCOP", "HST", "")
	p.Set("INSTRUME", "WFC3", "")
	p.Set("FILTER", "F555W", "")
	p.Set("EXPTIME", 100.0, "")
	p.Set("CCDGAIN", 1.5, "")
	p.Set("PHOTFLAM", 1.8e-19, "")
	p.Set("PHOTPLAM", 5300.0, "")
	p.Set("PHOTZPT", -21.1, "")
	s := fits.NewHeader()
	s.Set("BUNIT", "COUNTS/S", "")
	s.Set("SATURATE", 50.0, "")
	l := &hstLike{primary: p, sci: s, w: 4, h: 3}
	for i := 0; i < 12; i++ {
		l.sciPix = append(l.sciPix, float32(i+1))
		l.err = append(l.err, 0.1*float32(i+1))
		l.dq = append(l.dq, 0)
	}
	l.sciPix[5] = 60 // saturated
	l.dq[7] = 4      // a flagged pixel
	l.err[9] = 0     // no variance
	return l
}

func (l *hstLike) write(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x_flt.fits")
	hdus := []fits.HDU{fits.ImageHDU{Header: l.primary}, fits.ImageHDU{Name: "SCI", Header: l.sci, Width: l.w, Height: l.h, Data: l.sciPix}}
	if l.err != nil {
		w := l.w
		if l.errW != 0 {
			w = l.errW
		}
		hdus = append(hdus, fits.ImageHDU{Name: "ERR", Width: w, Height: len(l.err) / w, Data: l.err})
	}
	if l.wht != nil {
		hdus = append(hdus, fits.ImageHDU{Name: "WHT", Width: l.w, Height: l.h, Data: l.wht})
	}
	if l.dq != nil {
		hdus = append(hdus, fits.ImageHDU{Name: "DQ", Width: l.w, Height: l.h, Data: l.dq})
	}
	if err := fits.Write(path, hdus...); err != nil {
		t.Fatal(err)
	}
	return path
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestReadFLT checks units, gain, noise map, masks and zero points of a synthetic _flt file
// against values computed by hand from its header.
func TestReadFLT(t *testing.T) {
	path := newFLT().write(t)
	im, info, err := Read(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 4 || im.Height != 3 || !info.Rate || info.Electrons || info.ExpTime != 100 {
		t.Fatalf("read %d×%d, info %+v", im.Width, im.Height, info)
	}
	if im.Gain != 1.5 || info.GainFrom != "CCDGAIN" {
		t.Errorf("gain %g from %q, want 1.5 from CCDGAIN", im.Gain, info.GainFrom)
	}
	if im.Noise != model.NoiseFromMap || info.NoiseFrom != "ERR" || info.DrizzleR != 1 {
		t.Errorf("noise %v from %q with R %g, want map from ERR with R 1", im.Noise, info.NoiseFrom, info.DrizzleR)
	}
	for i := 0; i < 12; i++ {
		want := float64(i+1) * 100
		if i == 5 {
			want = 6000
		}
		if !near(float64(im.Pix[i]), want, 1e-6) {
			t.Errorf("pixel %d: %g counts, want %g (counts/s × EXPTIME)", i, im.Pix[i], want)
		}
		masked := i == 5 || i == 7 || i == 9
		if im.Mask[i] != masked {
			t.Errorf("pixel %d: masked %v, want %v", i, im.Mask[i], masked)
		}
		if i != 9 && !near(float64(im.VarMap[i]), math.Pow(0.1*float64(i+1)*100, 2), 1e-5) {
			t.Errorf("pixel %d: variance %g, want (ERR × EXPTIME)² = %g", i, im.VarMap[i], math.Pow(0.1*float64(i+1)*100, 2))
		}
	}
	if info.MaskedSat != 1 || info.MaskedDQ != 1 || info.MaskedBad != 1 {
		t.Errorf("masked: %d saturated, %d DQ, %d no variance; want 1 each", info.MaskedSat, info.MaskedDQ, info.MaskedBad)
	}
	zpST := -2.5*math.Log10(1.8e-19) - 21.1 + 5 // 2.5 log10(100) = 5
	zpAB := -2.5*math.Log10(1.8e-19) - 5*math.Log10(5300) - 2.408 + 5
	if !near(info.ZPST, zpST, 1e-9) || math.Abs(info.ZPAB-zpAB) > 1e-3 || !im.HasZeroPoint || im.ZeroPoint != info.ZPAB {
		t.Errorf("ZP_ST %.6f (want %.6f), ZP_AB %.6f (want %.6f), image ZP %g", info.ZPST, zpST, info.ZPAB, zpAB, im.ZeroPoint)
	}
	im2, _, err := Read(path, Options{ExpTime: 50, DrizzleR: math.NaN(), BenignDQ: 4, MagSystem: "st"})
	if err != nil {
		t.Fatal(err)
	}
	if im2.Pix[0] != 50 || im2.Mask[7] || im2.ZeroPoint != -2.5*math.Log10(1.8e-19)-21.1+2.5*math.Log10(50) {
		t.Errorf("--exptime 50, benign DQ 4, ST: pixel 0 = %g, pixel 7 masked %v, ZP %g", im2.Pix[0], im2.Mask[7], im2.ZeroPoint)
	}
	if err := im.Validate(); err != nil {
		t.Error(err)
	}
}

// TestReadDrizzled checks a drizzled file in electrons/s: WHT is an inverse variance per area
// (no R), ERR gets R² from pixfrac and scale, and the gain is 1.
func TestReadDrizzled(t *testing.T) {
	l := newFLT()
	l.sci.Set("BUNIT", "ELECTRONS/S", "")
	l.sci.Delete("SATURATE")
	l.primary.Set("D001PIXF", 0.8, "")
	l.primary.Set("D001SCAL", 0.04, "")
	l.primary.Set("D001ISCL", 0.05, "")
	l.dq = nil
	l.wht = make([]float32, 12)
	for i := range l.wht {
		l.wht[i] = float32(i + 1)
	}
	l.wht[3] = 0 // drizzle's fill
	withBoth := l.write(t)
	im, info, err := Read(withBoth, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if im.Gain != 1 || !info.Drizzled || !near(info.DrizzleR, 1.5, 1e-12) || info.NoiseFrom != "ERR" {
		t.Fatalf("gain %g, info %+v: want gain 1, drizzled, R 1.5 (pixfrac/scale = 1), noise from ERR", im.Gain, info)
	}
	if want := math.Pow(0.1*100*1.5, 2); !near(float64(im.VarMap[0]), want, 1e-5) {
		t.Errorf("ERR variance with R: %g, want %g", im.VarMap[0], want)
	}
	l.err = nil
	im, info, err = Read(l.write(t), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if info.NoiseFrom != "WHT" || !near(float64(im.VarMap[1]), 100*100/2.0, 1e-6) || !im.Mask[3] {
		t.Errorf("WHT: noise from %q, variance %g (want EXPTIME²/WHT = 5000), fill pixel masked %v", info.NoiseFrom, im.VarMap[1], im.Mask[3])
	}
	im, info, err = Read(l.write(t), Options{ExpTime: math.NaN(), DrizzleR: math.NaN(), BenignDQ: -1, IgnoreWHT: true})
	if err != nil {
		t.Fatal(err)
	}
	if im.VarMap != nil || info.NoiseFrom != "" || im.Noise == model.NoiseFromMap {
		t.Errorf("IgnoreWHT: a variance map from %q", info.NoiseFrom)
	}
}

// TestCorrelationR checks Fruchter & Hook's factor at its limits and both branches.
func TestCorrelationR(t *testing.T) {
	for _, c := range []struct{ p, s, want float64 }{
		{1, 1, 1.5}, {1e-9, 1, 1}, {0.5, 1, 1.2}, {2, 1, 2 / (1 - 1.0/6)}, {0.8, 0.8, 1.5},
	} {
		if got := CorrelationR(c.p, c.s); !near(got, c.want, 1e-8) {
			t.Errorf("R(pixfrac %g, scale %g) = %g, want %g", c.p, c.s, got, c.want)
		}
	}
}

// TestBadFiles checks that a file without SCI, an ERR of another size and a bad EXPTIME are
// refused with an error naming the file and the problem.
func TestBadFiles(t *testing.T) {
	noSCI := newFLT()
	cases := map[string]struct {
		l    *hstLike
		opt  Options
		want string
	}{
		"ERR of another size": {func() *hstLike { l := newFLT(); l.errW = 6; l.err = append(l.err, 0, 0, 0, 0, 0, 0); return l }(), DefaultOptions(), "ERR extension is 6×3"},
		"EXPTIME 0":           {func() *hstLike { l := newFLT(); l.primary.Set("EXPTIME", 0.0, ""); return l }(), DefaultOptions(), "EXPTIME = 0"},
		"no EXPTIME":          {func() *hstLike { l := newFLT(); l.primary.Delete("EXPTIME"); return l }(), DefaultOptions(), "no EXPTIME"},
		"bad R":               {newFLT(), Options{ExpTime: math.NaN(), DrizzleR: 0.5, BenignDQ: -1}, "R = 0.5"},
	}
	for what, c := range cases {
		path := c.l.write(t)
		_, _, err := Read(path, c.opt)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and saying %q", what, err, path, c.want)
		}
	}
	// An HST file (TELESCOP = 'HST') whose science array is not named SCI.
	path := filepath.Join(t.TempDir(), "nosci_flt.fits")
	if err := fits.Write(path, fits.ImageHDU{Header: noSCI.primary}, fits.ImageHDU{Name: "DATA", Width: 2, Height: 2, Data: []float32{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	f, err := fits.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !IsHST(f) {
		t.Fatal("TELESCOP = 'HST' not recognised")
	}
	if _, _, err := FromFile(f, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "no SCI extension") {
		t.Errorf("no SCI: error %v", err)
	}
}

// TestRealNICMOS reads the real NICMOS calibrated and drizzled files and checks units, gains,
// masks and zero points against values computed by hand from their headers (EXPTIME
// 1407.892 s, ADCGAIN 5.4, PHOTFLAM 2.406112e−19, PHOTPLAM 16059.929, PHOTZPT −21.1; the AB
// zero point is checked against PHOTFNU 2.0700568e−6 Jy, AB = −2.5 log10(PHOTFNU) + 8.90) and
// pixel values read with astropy (SCI[128, 100] = 0.33342168, ERR[128, 100] = 0.0038302224, DQ 0; rows first).
func TestRealNICMOS(t *testing.T) {
	cal := shareddata.Path(t, "hst-nicmos-bulge/n8q624e8q_cal.fits")
	im, info, err := Read(cal, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 256 || im.Height != 256 || !info.Rate || info.Electrons || info.ExpTime != 1407.892 {
		t.Fatalf("%d×%d, info %+v", im.Width, im.Height, info)
	}
	if im.Gain != 5.4 || info.GainFrom != "ADCGAIN" || info.NoiseFrom != "ERR" || info.Drizzled {
		t.Errorf("gain %g from %q, noise from %q, drizzled %v", im.Gain, info.GainFrom, info.NoiseFrom, info.Drizzled)
	}
	zpST := -2.5*math.Log10(2.406112e-19) - 21.1 + 2.5*math.Log10(1407.892)
	zpAB := -2.5*math.Log10(2.0700568e-06) + 8.90 + 2.5*math.Log10(1407.892)
	if !near(info.ZPST, zpST, 1e-9) || math.Abs(info.ZPAB-zpAB) > 1e-5 || im.ZeroPoint != info.ZPAB {
		t.Errorf("ZP_ST %.6f (want %.6f), ZP_AB %.6f (want %.6f from PHOTFNU)", info.ZPST, zpST, info.ZPAB, zpAB)
	}
	// DQ: 899 pixels carry flags other than 2048 (zero-read signal, benign): 238 grot (16),
	// 607 defective (32), 5 + 31 saturated with grot or defective (80, 96), 18 bad (288); 5
	// more have ERR = 0 (astropy counts).
	if info.BenignDQ != 3072 || info.MaskedDQ != 899 || info.MaskedBad != 5 {
		t.Errorf("benign DQ %d, masked %d by DQ and %d for no variance; want 3072 and 899 + 5", info.BenignDQ, info.MaskedDQ, info.MaskedBad)
	}
	i := 128*256 + 100
	if !near(float64(im.Pix[i]), 0.33342168*1407.892, 1e-4) || !near(math.Sqrt(float64(im.VarMap[i])), 0.0038302224*1407.892, 1e-4) {
		t.Errorf("pixel (100, 128): %g counts, σ %g; want %g, %g", im.Pix[i], math.Sqrt(float64(im.VarMap[i])), 0.33342168*1407.892, 0.0038302224*1407.892)
	}
	if im.WCS == nil {
		t.Error("no WCS")
	}

	drz := shareddata.Path(t, "hst-nicmos-bulge/nic2_drz.fits")
	im, info, err = Read(drz, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 256 || im.Height != 265 || info.NoiseFrom != "WHT" || !info.Drizzled || info.Pixfrac != 0.5 || !near(info.DrizzleR, 1.2, 1e-6) {
		t.Errorf("drizzled: %d×%d, info %+v", im.Width, im.Height, info)
	}
	if info.MaskedBad < 28 {
		t.Errorf("drizzled: %d pixels masked for no weight, want at least the 28 with WHT = 0", info.MaskedBad)
	}
	zpAB = -2.5*math.Log10(1.2052988e-06) + 8.90 + 2.5*math.Log10(63355.14)
	if math.Abs(info.ZPAB-zpAB) > 1e-5 {
		t.Errorf("drizzled ZP_AB %.6f, want %.6f", info.ZPAB, zpAB)
	}
}

// TestRealPHAT checks that the PHAT chunk, which has neither a SCI extension nor TELESCOP, is
// not taken for an HST product (it is read as a plain FITS image, with flags for what its
// header lacks).
func TestRealPHAT(t *testing.T) {
	p := shareddata.Path(t, "hst-m31-phat-b09/M31-B09-EAST_chunk_F475W_drz.chip1.fits")
	f, err := fits.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if IsHST(f) {
		t.Error("the PHAT chunk taken for an HST product")
	}
}

// TestRealAgainstAstropy reads the real NICMOS files with astropy (Debian's python3-astropy)
// and checks, pixel by pixel, the counts (SCI × EXPTIME), the σ (ERR × EXPTIME, or
// EXPTIME/√WHT) and the DQ mask that Read builds.
func TestRealAgainstAstropy(t *testing.T) {
	cal := shareddata.Path(t, "hst-nicmos-bulge/n8q624e8q_cal.fits")
	drz := shareddata.Path(t, "hst-nicmos-bulge/nic2_drz.fits")
	py := shareddata.Python(t, "astropy")
	script := `
import sys, numpy as np
from astropy.io import fits
cal, drz = sys.argv[1], sys.argv[2]
h = fits.open(cal); t = h[0].header['EXPTIME']
sci, err, dq = h['SCI'].data.astype(float), h['ERR'].data.astype(float), h['DQ'].data
np.savetxt(sys.stdout, [sci.ravel()[::97] * t, err.ravel()[::97] * t, ((dq.ravel()[::97] & ~3072) != 0)], fmt='%.9g')
d = fits.open(drz); t = d[0].header['EXPTIME']
w = d['WHT'].data.astype(float).ravel()[::97]
with np.errstate(divide='ignore'):
    np.savetxt(sys.stdout, [d['SCI'].data.astype(float).ravel()[::97] * t, np.where(w > 0, t / np.sqrt(w), 0)], fmt='%.9g')
`
	out, err := exec.Command(py, "-c", script, cal, drz).Output()
	if err != nil {
		t.Fatalf("astropy: %v", err)
	}
	rows := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(rows) != 5 {
		t.Fatalf("astropy printed %d rows", len(rows))
	}
	vals := make([][]float64, 5)
	for r, line := range rows {
		for _, f := range strings.Fields(line) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			vals[r] = append(vals[r], v)
		}
	}
	im, _, err := Read(cal, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for k := range vals[0] {
		i := 97 * k
		if !near(float64(im.Pix[i]), vals[0][k], 1e-6) {
			t.Fatalf("cal pixel %d: %g counts, astropy %g", i, im.Pix[i], vals[0][k])
		}
		if vals[1][k] > 0 && !near(math.Sqrt(float64(im.VarMap[i])), vals[1][k], 1e-6) {
			t.Fatalf("cal pixel %d: σ %g, astropy %g", i, math.Sqrt(float64(im.VarMap[i])), vals[1][k])
		}
		if vals[2][k] == 1 && !im.Mask[i] {
			t.Fatalf("cal pixel %d: flagged in DQ but not masked", i)
		}
	}
	im, _, err = Read(drz, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for k := range vals[3] {
		i := 97 * k
		if vals[4][k] == 0 {
			if !im.Mask[i] {
				t.Fatalf("drz pixel %d: WHT 0 but not masked", i)
			}
			continue
		}
		if !near(float64(im.Pix[i]), vals[3][k], 1e-6) || !near(math.Sqrt(float64(im.VarMap[i])), vals[4][k], 1e-6) {
			t.Fatalf("drz pixel %d: %g counts σ %g, astropy %g σ %g", i, im.Pix[i], math.Sqrt(float64(im.VarMap[i])), vals[3][k], vals[4][k])
		}
	}
}

// TestReadChip reads each chip of a two-chip exposure (SCI, ERR, DQ with EXTVER 1 and 2, in
// the archive's order) with its own noise and flags, and refuses a chip that is not there.
func TestReadChip(t *testing.T) {
	p := fits.NewHeader()
	p.Set("TELESCOP", "HST", "")
	p.Set("EXPTIME", 10.0, "")
	hdus := []fits.HDU{fits.ImageHDU{Header: p}}
	for chip := 1; chip <= 2; chip++ {
		v := fits.NewHeader()
		v.Set("EXTVER", chip, "")
		v.Set("BUNIT", "ELECTRONS", "")
		c := float32(chip)
		hdus = append(hdus,
			fits.ImageHDU{Name: "SCI", Header: v, Width: 2, Height: 2, Data: []float32{c, c, c, c}},
			fits.ImageHDU{Name: "ERR", Header: v, Width: 2, Height: 2, Data: []float32{c, c, c, c}},
			fits.ImageHDU{Name: "DQ", Header: v, Width: 2, Height: 2, Data: []int16{int16(chip - 1), 0, 0, int16(2 - chip)}})
	}
	path := filepath.Join(t.TempDir(), "two_flc.fits")
	if err := fits.Write(path, hdus...); err != nil {
		t.Fatal(err)
	}
	for _, chip := range []int{0, 1, 2} {
		opt := DefaultOptions()
		opt.Chip = chip
		im, info, err := Read(path, opt)
		if err != nil {
			t.Fatal(err)
		}
		want := max(chip, 1)
		if info.Chip != want || im.Pix[0] != float32(want) || im.VarMap[0] != float32(want*want) || im.Mask[0] != (want == 2) || im.Mask[3] != (want == 1) {
			t.Errorf("chip %d: read chip %d, pixel %g, variance %g, mask %v", chip, info.Chip, im.Pix[0], im.VarMap[0], im.Mask)
		}
	}
	opt := DefaultOptions()
	opt.Chip = 3
	if _, _, err := Read(path, opt); err == nil || !strings.Contains(err.Error(), "EXTVER 3") {
		t.Errorf("chip 3: error %v", err)
	}
}
