package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
)

// zeroSkyImage writes a 24×24 image of pure read noise 10 on a bias of 100 (no sky, no
// sources), with GAIN and RDNOISE cards and, if noise is not empty, a NOISE card.
func zeroSkyImage(t *testing.T, path, noise string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	pix := make([]float32, 24*24)
	for i := range pix {
		pix[i] = float32(100 + 10*rng.NormFloat64())
	}
	h := fits.NewHeader()
	h.Set("GAIN", 1.0, "")
	h.Set("BIAS", 100.0, "")
	h.Set("BKG", 0.0, "")
	h.Set("RDNOISE", 10.0, "")
	if noise != "" {
		h.Set("NOISE", noise, "")
	}
	if err := fits.Write(path, fits.ImageHDU{Header: h, Width: 24, Height: 24, Data: pix}); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultNoiseChosenAndReported checks that an image with no sky and a known read noise
// is sampled with model noise unless its header or --noise says otherwise, and that the
// choice and its reason appear on stderr and in run.json.
func TestDefaultNoiseChosenAndReported(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, card string
		flags      []string
		want, why  string
	}{
		{"default", "", nil, "model", "default, read-noise dominated"},
		{"card", "data", nil, "data", "NOISE card"},
		{"flag", "", []string{"--noise", "data"}, "data", "--noise"},
	} {
		img := filepath.Join(dir, c.name+".fits")
		zeroSkyImage(t, img, c.card)
		out := filepath.Join(dir, "out-"+c.name)
		args := append([]string{"sample", img, "--psf", "gaussian:fwhm=2", "--out", out, "--samples", "2",
			"--burn-in", "1", "--max-burn-in", "1", "--proposals", "5", "--chains", "1"}, c.flags...)
		var code int
		e := captureStderr(t, func() { code, _, _ = probcat(t, args...) })
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, e)
		}
		if !strings.Contains(e, "noise model: "+c.want+" ("+c.why) {
			t.Errorf("%s: stderr does not say noise model %s (%s): %q", c.name, c.want, c.why, e)
		}
		b, err := os.ReadFile(filepath.Join(out, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Image    struct{ Noise string }
			Settings struct {
				NoiseChoice string `json:"noise_choice"`
			}
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Image.Noise != c.want || !strings.HasPrefix(rec.Settings.NoiseChoice, c.want+" ("+c.why) {
			t.Errorf("%s: run.json says noise %q, choice %q; want %s (%s…)", c.name, rec.Image.Noise, rec.Settings.NoiseChoice, c.want, c.why)
		}
	}
}

// captureStderr returns what fn writes to os.Stderr (where sample's progress and notices go).
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = saved }()
	fn()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
