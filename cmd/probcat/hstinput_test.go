package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/score"
)

// TestSampleHSTCutout samples a cutout of a synthetic HST exposure with stars injected into
// it: the run reads SCI × EXPTIME with the ERR map, records the HST reading and the cutout
// in run.json, and reports sources in the full image's pixels with RA/Dec and AB magnitudes.
func TestSampleHSTCutout(t *testing.T) {
	dir := t.TempDir()
	src := writeHSTLike(t, dir, "x_flt.fits", 40, 30)
	inj := filepath.Join(dir, "inj")
	if code, _, e := probcat(t, "inject", src, "--psf", "gaussian:fwhm=2", "--stars", "6", "--mag-range", "19,20",
		"--cutout", "20,10,16,16", "--seed", "2", "--out", inj); code != 0 {
		t.Fatalf("inject: exit %d: %s", code, e)
	}
	out := filepath.Join(dir, "run")
	code, _, e := probcat(t, "sample", filepath.Join(inj, "image.fits"), "--psf", "gaussian:fwhm=2", "--cutout", "18,8,20,20",
		"--samples", "10", "--burn-in", "20", "--max-burn-in", "20", "--proposals", "20", "--chains", "2", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("sample: exit %d: %s", code, e)
	}
	var run struct {
		Settings map[string]any `json:"settings"`
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	h, ok := run.Settings["hst"].(map[string]any)
	if !ok || h["noise_from"] != "ERR" || h["exptime"] != 1000.0 || run.Settings["cutout"] != "18,8,20,20" || run.Settings["mag_system"] != "AB" {
		t.Errorf("run.json settings: hst %v, cutout %v, mag_system %v", run.Settings["hst"], run.Settings["cutout"], run.Settings["mag_system"])
	}
	if !strings.HasPrefix(run.Settings["noise_choice"].(string), "map") {
		t.Errorf("noise choice %v, want map", run.Settings["noise_choice"])
	}
	cs, err := catalogue.ReadCondensedParquet(filepath.Join(out, "catalogue.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	truth := readInjected(t, inj)
	found := 0
	for i := range truth.X {
		for _, c := range cs {
			if (c.X-truth.X[i])*(c.X-truth.X[i])+(c.Y-truth.Y[i])*(c.Y-truth.Y[i]) < 1 {
				found++
				break
			}
		}
	}
	if found < 4 {
		t.Errorf("%d of 6 bright injected stars found in the full frame's pixels", found)
	}
	// The same stars on the sky (the full image's WCS), and magnitudes with its AB zero point.
	sky := score.SkyColumns{RA: "ra", Dec: "dec", Mag: "mag"}
	tr, _, err := score.ReadSkyReference(filepath.Join(inj, "injected.parquet"), sky)
	if err != nil {
		t.Fatal(err)
	}
	est, _, err := score.ReadSkyReference(filepath.Join(out, "catalogue.parquet"), sky)
	if err != nil {
		t.Fatal(err)
	}
	onSky := 0
	for i := range tr.RA {
		for j := range est.RA {
			if math.Hypot((est.RA[j]-tr.RA[i])*math.Cos(2*math.Pi/180), est.Dec[j]-tr.Dec[i]) < 1.1e-5 {
				onSky++
				break
			}
		}
	}
	if onSky < 4 {
		t.Errorf("%d of 6 injected stars found on the sky within 1 px", onSky)
	}
	zp := h["zp_ab"].(float64)
	for j, r := range est.Row {
		if want := zp - 2.5*math.Log10(cs[r].Flux); math.Abs(est.Mag[j]-want) > 1e-9 {
			t.Fatalf("catalogue row %d: mag %g, want ZP_AB − 2.5 log10(flux) = %g", r, est.Mag[j], want)
		}
	}
}

// TestSampleBadHST checks that an HST file without SCI, or with an ERR of another size, is
// refused with exit 2 and one line naming the file, leaving no outputs.
func TestSampleBadHST(t *testing.T) {
	dir := t.TempDir()
	p := fits.NewHeader()
	p.Set("TELESCOP", "HST", "")
	noSCI := filepath.Join(dir, "nosci_flt.fits")
	if err := fits.Write(noSCI, fits.ImageHDU{Header: p}, fits.ImageHDU{Name: "IMG", Width: 4, Height: 4, Data: make([]float32, 16)}); err != nil {
		t.Fatal(err)
	}
	s := fits.NewHeader()
	s.Set("BUNIT", "ELECTRONS", "")
	badERR := filepath.Join(dir, "baderr_flt.fits")
	if err := fits.Write(badERR, fits.ImageHDU{Header: p}, fits.ImageHDU{Name: "SCI", Header: s, Width: 4, Height: 4, Data: make([]float32, 16)},
		fits.ImageHDU{Name: "ERR", Width: 4, Height: 3, Data: make([]float32, 12)}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{noSCI: "no SCI extension", badERR: "ERR extension is 4×3"} {
		out := filepath.Join(dir, "out-"+filepath.Base(path))
		code, _, e := probcat(t, "sample", path, "--psf", "gaussian:fwhm=2", "--out", out)
		if code != 2 || !strings.Contains(e, path) || !strings.Contains(e, want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line naming the file and %q", path, code, e, want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder left behind", path)
		}
	}
}
