package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/survey"
)

// blankImage writes a w×h image of zeros in counts with gain 2 and zero point 25.
func blankImage(t *testing.T, dir string, w, h int) string {
	t.Helper()
	im := model.NewImage(w, h)
	im.Gain, im.ZeroPoint, im.HasZeroPoint = 2, 25, true
	path := filepath.Join(dir, "blank.fits")
	if err := survey.WriteFITS(path, im, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

func readInjected(t *testing.T, dir string) catalogue.Sample {
	t.Helper()
	s, _, err := catalogue.ReadEstimates(filepath.Join(dir, "injected.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return s[0]
}

// TestInjectNoiseFree adds one star at a time, without photon noise, to a blank image and
// recovers its flux by an aperture sum and its position by the centroid, for several seeds;
// the magnitudes follow the zero point and stay in the range.
func TestInjectNoiseFree(t *testing.T) {
	dir := t.TempDir()
	img := blankImage(t, dir, 48, 40)
	for seed := 1; seed <= 5; seed++ {
		out := filepath.Join(dir, "inj", string(rune('a'+seed)))
		code, _, e := probcat(t, "inject", img, "--psf", "gaussian:fwhm=2", "--stars", "1", "--mag-range", "18,20",
			"--seed", string(rune('0'+seed)), "--cutout", "16,12,16,16", "--photon-noise=false", "--out", out)
		if code != 0 {
			t.Fatalf("inject: exit %d: %s", code, e)
		}
		s := readInjected(t, out)
		x, y, flux := s.X[0], s.Y[0], s.Flux[0]
		if !(x >= 15.5 && x < 31.5 && y >= 11.5 && y < 27.5) {
			t.Errorf("seed %d: star at (%g, %g), outside the cutout", seed, x, y)
		}
		if m := 25 - 2.5*math.Log10(flux); m < 18 || m > 20 {
			t.Errorf("seed %d: magnitude %g outside 18–20", seed, m)
		}
		fi, err := fits.ReadImage(filepath.Join(out, "image.fits"), 0)
		if err != nil {
			t.Fatal(err)
		}
		var sum, sx, sy float64
		for py := 0; py < fi.Height; py++ {
			for px := 0; px < fi.Width; px++ {
				v := float64(fi.Pix[py*fi.Width+px])
				if math.Hypot(float64(px)-x, float64(py)-y) < 8 {
					sum += v
					sx += v * float64(px)
					sy += v * float64(py)
				}
			}
		}
		if math.Abs(sum-flux) > 1e-3*flux {
			t.Errorf("seed %d: aperture sum %g, injected flux %g", seed, sum, flux)
		}
		if math.Abs(sx/sum-x) > 0.01 || math.Abs(sy/sum-y) > 0.01 {
			t.Errorf("seed %d: centroid (%g, %g), injected (%g, %g)", seed, sx/sum, sy/sum, x, y)
		}
	}
}

// TestInjectReproducible checks that the same seed gives the same files byte for byte and
// another seed other ones, and that the photon noise has the Poisson variance: the added
// counts scatter about their expectation by √(m/gain).
func TestInjectReproducible(t *testing.T) {
	dir := t.TempDir()
	img := blankImage(t, dir, 64, 64)
	run := func(name, seed string) (fitsBytes, pq []byte) {
		out := filepath.Join(dir, name)
		if code, _, e := probcat(t, "inject", img, "--psf", "gaussian:fwhm=3", "--stars", "40", "--mag-range", "12,14", "--seed", seed, "--out", out); code != 0 {
			t.Fatalf("inject: exit %d: %s", code, e)
		}
		a, _ := os.ReadFile(filepath.Join(out, "image.fits"))
		b, _ := os.ReadFile(filepath.Join(out, "injected.parquet"))
		return a, b
	}
	a1, p1 := run("a", "7")
	a2, p2 := run("b", "7")
	a3, p3 := run("c", "8")
	if !bytes.Equal(a1, a2) || !bytes.Equal(p1, p2) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(a1, a3) || bytes.Equal(p1, p3) {
		t.Error("another seed gave the same files")
	}
	// Noisy minus noise-free, in units of the Poisson σ.
	if code, _, e := probcat(t, "inject", img, "--psf", "gaussian:fwhm=3", "--stars", "40", "--mag-range", "12,14", "--seed", "7", "--photon-noise=false", "--out", filepath.Join(dir, "d")); code != 0 {
		t.Fatalf("inject: exit %d: %s", code, e)
	}
	noisy, _ := fits.ReadImage(filepath.Join(dir, "a", "image.fits"), 0)
	clean, _ := fits.ReadImage(filepath.Join(dir, "d", "image.fits"), 0)
	var chi2 float64
	var n int
	for i, m := range clean.Pix {
		if m > 50 {
			d := float64(noisy.Pix[i] - m)
			chi2 += d * d / (float64(m) / 2)
			n++
		}
	}
	if n < 100 || math.Abs(chi2/float64(n)-1) > 0.2 {
		t.Errorf("photon noise: χ²/pixel %g over %d pixels, want 1", chi2/float64(n), n)
	}
}

// TestInjectHST adds stars to a synthetic HST calibrated exposure in counts/s: SCI grows by
// the stars' counts over EXPTIME, ERR grows where they are, every other byte of the file
// (headers, DQ) is kept, and the truth is in counts with the HST AB zero point.
func TestInjectHST(t *testing.T) {
	dir := t.TempDir()
	src := writeHSTLike(t, dir, "x_flt.fits", 40, 30)
	out := filepath.Join(dir, "inj")
	code, o, e := probcat(t, "inject", src, "--psf", "gaussian:fwhm=2", "--stars", "5", "--mag-range", "20,21", "--seed", "1", "--out", out)
	if code != 0 {
		t.Fatalf("inject: exit %d: %s", code, e)
	}
	if !strings.Contains(o, "zero point") {
		t.Errorf("output %q", o)
	}
	f0, _ := fits.Open(src)
	f1, err := fits.Open(filepath.Join(out, "image.fits"))
	if err != nil {
		t.Fatal(err)
	}
	if f1.NumHDU() != f0.NumHDU() {
		t.Fatalf("%d HDUs, want %d", f1.NumHDU(), f0.NumHDU())
	}
	sci0, _ := f0.Image(1)
	sci1, _ := f1.Image(1)
	err0, _ := f0.Image(2)
	err1, _ := f1.Image(2)
	dq0, _ := f0.Image(3)
	dq1, _ := f1.Image(3)
	var added float64
	grown := 0
	for i := range sci0.Pix {
		added += float64(sci1.Pix[i]-sci0.Pix[i]) * 1000 // EXPTIME
		if err1.Pix[i] > err0.Pix[i] {
			grown++
		}
		if dq1.Pix[i] != dq0.Pix[i] {
			t.Fatal("DQ changed")
		}
	}
	s := readInjected(t, out)
	var total float64
	for _, f := range s.Flux {
		total += f
	}
	if math.Abs(added-total) > 0.05*total || grown < 5 {
		t.Errorf("added %g counts (stars hold %g), ERR grew in %d pixels", added, total, grown)
	}
	h0, _ := f0.Header(1)
	h1, _ := f1.Header(1)
	if len(h0.Cards()) != len(h1.Cards()) {
		t.Error("SCI header changed")
	}
}

// writeHSTLike writes a WFC3-like _flt file: SCI in COUNTS/S (EXPTIME 1000 s, CCDGAIN 1.5,
// PHOTFLAM and PHOTPLAM), ERR and DQ.
func writeHSTLike(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	p := fits.NewHeader()
	p.Set("TELESCOP", "HST", "")
	p.Set("INSTRUME", "WFC3", "")
	p.Set("EXPTIME", 1000.0, "")
	p.Set("CCDGAIN", 1.5, "")
	p.Set("PHOTFLAM", 1.8e-19, "")
	p.Set("PHOTPLAM", 5300.0, "")
	s := fits.NewHeader()
	s.Set("BUNIT", "COUNTS/S", "")
	s.Set("CTYPE1", "RA---TAN", "")
	s.Set("CTYPE2", "DEC--TAN", "")
	s.Set("CRPIX1", 20.0, "")
	s.Set("CRPIX2", 15.0, "")
	s.Set("CRVAL1", 150.0, "")
	s.Set("CRVAL2", 2.0, "")
	s.Set("CD1_1", -1.1e-5, "")
	s.Set("CD1_2", 0.0, "")
	s.Set("CD2_1", 0.0, "")
	s.Set("CD2_2", 1.1e-5, "")
	n := w * h
	sci, e, dq := make([]float32, n), make([]float32, n), make([]int16, n)
	for i := range sci {
		sci[i], e[i] = 0.5, 0.03
	}
	dq[7] = 16
	path := filepath.Join(dir, name)
	err := fits.Write(path, fits.ImageHDU{Header: p},
		fits.ImageHDU{Name: "SCI", Header: s, Width: w, Height: h, Data: sci},
		fits.ImageHDU{Name: "ERR", Width: w, Height: h, Data: e},
		fits.ImageHDU{Name: "DQ", Width: w, Height: h, Data: dq})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInjectBadArgs checks that bad arguments exit 2 with one line naming the problem and
// leave no output folder.
func TestInjectBadArgs(t *testing.T) {
	dir := t.TempDir()
	img := blankImage(t, dir, 20, 20)
	noZP := filepath.Join(dir, "nozp.fits")
	im := model.NewImage(20, 20)
	im.Gain = 1
	if err := survey.WriteFITS(noZP, im, nil); err != nil {
		t.Fatal(err)
	}
	for what, c := range map[string]struct {
		args []string
		want string
	}{
		"no --psf":         {[]string{img, "--stars", "3", "--mag-range", "18,20"}, "--psf"},
		"no stars":         {[]string{img, "--psf", "gaussian:fwhm=2", "--stars", "0", "--mag-range", "18,20"}, "--stars"},
		"range reversed":   {[]string{img, "--psf", "gaussian:fwhm=2", "--stars", "3", "--mag-range", "20,18"}, "--mag-range"},
		"cutout outside":   {[]string{img, "--psf", "gaussian:fwhm=2", "--stars", "3", "--mag-range", "18,20", "--cutout", "10,10,20,5"}, "does not lie inside"},
		"no zero point":    {[]string{noZP, "--psf", "gaussian:fwhm=2", "--stars", "3", "--mag-range", "18,20"}, "--zero-point"},
		"missing image":    {[]string{filepath.Join(dir, "none.fits"), "--psf", "gaussian:fwhm=2", "--stars", "3", "--mag-range", "18,20"}, "none.fits"},
		"--exptime, plain": {[]string{img, "--psf", "gaussian:fwhm=2", "--stars", "3", "--mag-range", "18,20", "--exptime", "10"}, "--exptime"},
	} {
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(what, " ", "-"))
		code, _, e := probcat(t, append(append([]string{"inject"}, c.args...), "--out", out)...)
		if code != 2 || !strings.Contains(e, c.want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line with %q", what, code, e, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder left behind", what)
		}
	}
}
