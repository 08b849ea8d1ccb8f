package survey

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/wcs"
)

func TestFITSRoundTrip(t *testing.T) {
	im := model.NewImage(7, 5)
	for i := range im.Pix {
		im.Pix[i] = float32(1000 + i)
	}
	im.Mask = make([]bool, len(im.Pix))
	im.Mask[3] = true
	im.Gain, im.Bias, im.Background, im.ReadNoise = 4.62, 1044, 179, 2.5
	im.Noise = model.NoiseFromModel
	im.ZeroPoint, im.HasZeroPoint = 28.15, true
	im.X0, im.Y0 = 310, 630
	h := fits.NewHeader()
	for _, c := range []struct {
		k string
		v any
	}{{"CTYPE1", "RA---TAN"}, {"CTYPE2", "DEC--TAN"}, {"CRPIX1", 1025.0}, {"CRPIX2", 745.0},
		{"CRVAL1", 323.36}, {"CRVAL2", -0.82}, {"CD1_1", 0.0}, {"CD1_2", 1.1e-4}, {"CD2_1", 1.1e-4}, {"CD2_2", 0.0}} {
		h.Set(c.k, c.v, "")
	}
	frameWCS, err := wcs.FromHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	im.WCS = frameWCS
	path := filepath.Join(t.TempDir(), "im.fits")
	if err := WriteFITS(path, im, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFITS(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 7 || got.Height != 5 || got.Gain != 4.62 || got.Bias != 1044 || got.Background != 179 ||
		got.ReadNoise != 2.5 || got.Noise != model.NoiseFromModel || got.ZeroPoint != 28.15 || !got.HasZeroPoint ||
		got.X0 != 310 || got.Y0 != 630 {
		t.Fatalf("read back %+v", got)
	}
	for i := range im.Pix {
		if got.Mask[i] != im.Mask[i] || (!im.Mask[i] && got.Pix[i] != im.Pix[i]) {
			t.Fatalf("pixel %d: got %g masked %v", i, got.Pix[i], got.Mask[i])
		}
	}
	// The WCS read back maps parent-frame pixels exactly as the original.
	for _, p := range [][2]float64{{310, 630}, {316, 634}, {1024, 744}} {
		r0, d0 := frameWCS.PixelToSky(p[0], p[1])
		r1, d1 := got.WCS.PixelToSky(p[0], p[1])
		if math.Abs(r0-r1) > 1e-10 || math.Abs(d0-d1) > 1e-10 {
			t.Errorf("pixel %v: sky (%g, %g) became (%g, %g)", p, r0, d0, r1, d1)
		}
	}
}

func TestReadFITSErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.fits")
	if err := os.WriteFile(bad, []byte("not a fits file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	noise := filepath.Join(dir, "noise.fits")
	h := fits.NewHeader()
	h.Set("NOISE", "poisson", "")
	if err := fits.Write(noise, fits.ImageHDU{Header: h, Width: 2, Height: 2, Data: []float32{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, noise, filepath.Join(dir, "missing.fits")} {
		if _, _, err := ReadFITS(p); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
}
