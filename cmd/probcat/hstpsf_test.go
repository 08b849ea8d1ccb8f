package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
)

// TestHSTPSFs runs sample with an STDPSF grid as --psf: on an image whose header names its
// chip (CCDCHIP) it samples with the grid's varying PSF; without CCDCHIP a two-chip grid is
// refused in one line. --psf-oversample reads a subsampled TinyTim PSF and is refused for an
// analytic PSF.
func TestHSTPSFs(t *testing.T) {
	grid := shareddata.Path(t, "hst-stdpsf-acswfc/STDPSF_ACSWFC_F606W_SM4.fits")
	tiny := shareddata.Path(t, "hst-nicmos-bulge/nic2_f160w_4xsub00.fits")
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	img := filepath.Join(dir, "sim", "image.fits")
	f, err := fits.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	im, err := f.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	h := im.Header.Clone()
	h.Set("CCDCHIP", 2, "WFC2, the lower chip")
	chipImg := filepath.Join(dir, "chip.fits")
	if err := fits.Write(chipImg, fits.ImageHDU{Header: h, Width: im.Width, Height: im.Height, Data: im.Pix}); err != nil {
		t.Fatal(err)
	}
	common := []string{"--samples", "2", "--burn-in", "1", "--max-burn-in", "1", "--proposals", "5", "--chains", "1", "--quiet"}
	out := filepath.Join(dir, "grid")
	if code, _, e := probcat(t, append([]string{"sample", chipImg, "--psf", grid, "--out", out}, common...)...); code != 0 {
		t.Fatalf("sample with an STDPSF grid: exit %d: %s", code, e)
	}
	var run struct {
		PSF map[string]any `json:"psf"`
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	t.Logf("run.json psf: %v", run.PSF)

	for what, c := range map[string]struct {
		args []string
		want string
	}{
		"two-chip grid, no CCDCHIP":      {[]string{img, "--psf", grid}, "CCDCHIP"},
		"--psf-oversample, analytic PSF": {[]string{img, "--psf", "gaussian:fwhm=2", "--psf-oversample", "4"}, "--psf-oversample"},
		"--psf-oversample with STDPSF":   {[]string{chipImg, "--psf", grid, "--psf-oversample", "4"}, "--psf-oversample"},
		"--psf-oversample not positive":  {[]string{img, "--psf", tiny, "--psf-oversample", "-2"}, "--psf-oversample"},
	} {
		o := filepath.Join(dir, "bad-"+strings.ReplaceAll(what, " ", "-"))
		code, _, e := probcat(t, append(append([]string{"sample"}, c.args...), append([]string{"--out", o}, common...)...)...)
		if code != 2 || !strings.Contains(e, c.want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line naming %s", what, code, e, c.want)
		}
		if _, err := os.Stat(o); err == nil {
			t.Errorf("%s: output folder left behind", what)
		}
	}
	out = filepath.Join(dir, "tiny")
	if code, _, e := probcat(t, append([]string{"sample", img, "--psf", tiny + "?size=15", "--psf-oversample", "4", "--out", out}, common...)...); code != 0 {
		t.Fatalf("sample with a 4× TinyTim PSF: exit %d: %s", code, e)
	}
}
