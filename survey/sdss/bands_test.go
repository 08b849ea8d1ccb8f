package sdss

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

// touch creates empty files in dir.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindBands(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "frame-r-002583-2-0136.fits.bz2", "frame-i-002583-2-0136.fits", "frame-g-002583-2-0136.fits.gz",
		"fpM-002583-r2-0136.fit.gz", "fpM-002583-i2-0136.fit", "frame-i-002583-2-0137.fits", "fpM-002583-g2-0137.fit")
	ref := filepath.Join(dir, "frame-r-002583-2-0136.fits.bz2")
	got, err := FindBands(ref, []string{"i", "r"}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []BandFiles{
		{"i", filepath.Join(dir, "frame-i-002583-2-0136.fits"), filepath.Join(dir, "fpM-002583-i2-0136.fit")},
		{"r", ref, filepath.Join(dir, "fpM-002583-r2-0136.fit.gz")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("FindBands = %v, want %v", got, want)
	}
	if got, err := FindBands(ref, []string{"r", "g"}, false); err != nil || got[1].Frame != filepath.Join(dir, "frame-g-002583-2-0136.fits.gz") || got[1].Mask != "" {
		t.Errorf("FindBands without masks = %v, %v", got, err)
	}
	for _, c := range []struct {
		bands []string
		masks bool
		want  string
	}{
		{[]string{"r", "z"}, false, "frame-z-002583-2-0136.fits[.bz2|.gz] not found in " + dir},
		{[]string{"r", "g"}, true, "fpM-002583-g2-0136.fit[.gz] not found in " + dir},
		{[]string{"r", "x"}, false, `band "x" is not one of u, g, r, i, z`},
		{[]string{"r", "r"}, false, "band r is given twice"},
		{nil, false, "no bands"},
	} {
		if _, err := FindBands(ref, c.bands, c.masks); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FindBands(%v, masks %v): %v, want %q", c.bands, c.masks, err, c.want)
		}
	}
	other := filepath.Join(dir, "cutout.fits")
	if _, err := FindBands(other, []string{"r"}, false); err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("FindBands of a file not named the SDSS way: %v", err)
	}

	if b, err := ParseBands(" r, i,g "); err != nil || !slices.Equal(b, []string{"r", "i", "g"}) {
		t.Errorf("ParseBands = %v, %v", b, err)
	}
	for _, s := range []string{"", "r,", "r,q", "r,i,r", "ri"} {
		if _, err := ParseBands(s); err == nil {
			t.Errorf("ParseBands(%q) gave no error", s)
		}
	}

	// The real M2 folder holds all five bands.
	real := shareddata.Path(t, dataDir+"frame-r-002583-2-0136.fits.bz2")
	all, err := FindBands(real, []string{"r", "i", "g", "z", "u"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		if !strings.HasSuffix(f.Frame, "frame-"+f.Band+"-002583-2-0136.fits.bz2") || !strings.HasSuffix(f.Mask, "fpM-002583-"+f.Band+"2-0136.fit.gz") {
			t.Errorf("band %s: %s, %s", f.Band, f.Frame, f.Mask)
		}
	}
}

func TestOpenBandsM2(t *testing.T) {
	frame := shareddata.Path(t, dataDir+"frame-r-002583-2-0136.fits.bz2")
	ps := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	mc, err := OpenBands(frame, ps, []string{"r", "i"}, BandOptions{Options: Options{Box: m2Box}, Margin: 2})
	if err != nil {
		t.Fatal(err)
	}
	if mc.Box != m2Box || len(mc.Bands) != 2 {
		t.Fatalf("box %v, %d bands", mc.Box, len(mc.Bands))
	}
	r, i := mc.Bands[0], mc.Bands[1]
	if r.Frame.Band != "r" || r.Box != m2Box || r.AffineError > 1e-9 || math.Abs(r.Affine.U-r.Affine.X0) > 1e-9 {
		t.Errorf("reference band %s box %v, identity map error %g", r.Frame.Band, r.Box, r.AffineError)
	}
	if i.Frame.Band != "i" || i.Box != (Box{307, 630, 105, 105}) {
		t.Errorf("band %s box %v, want 307,630,105,105", i.Frame.Band, i.Box)
	}
	im := i.Image
	if im.X0 != 307 || im.Y0 != 630 || im.Width != 105 || im.Height != 105 || im.WCS != i.Frame.WCS {
		t.Errorf("i image %d×%d at (%d, %d)", im.Width, im.Height, im.X0, im.Y0)
	}
	if !strings.HasSuffix(i.MaskPath, "fpM-002583-i2-0136.fit.gz") || i.Params.Gain != 5.195 || i.Params.DarkVariance != 6.25 {
		t.Errorf("i mask %s, gain %g, dark variance %g", i.MaskPath, i.Params.Gain, i.Params.DarkVariance)
	}
	if i.Field == nil || i.PSFX != 359 || i.PSFY != 682 {
		t.Errorf("i PSF at (%g, %g), want the i box's centre (359, 682)", i.PSFX, i.PSFY)
	}
	dx, dy := i.Affine.U-i.Affine.X0, i.Affine.V-i.Affine.Y0
	t.Logf("r→i at the M2 cutout (WCS): offset (%+.4f, %+.4f) px, J = %.6f, affine error %.2g px; i box %v", dx, dy, i.Affine.J, i.AffineError, i.Box)
	if math.Abs(dx+0.515) > 0.005 || math.Abs(dy-2.836) > 0.005 || i.AffineError > 1e-4 {
		t.Errorf("r→i offset (%.4f, %.4f), affine error %g", dx, dy, i.AffineError)
	}
	// The i image holds the i frame's counts: pixel (x, y) of the frame at index (y−Y0)·W + x−X0.
	if got, want := float64(im.Pix[(700-630)*105+(350-307)])-im.Bias, i.Frame.Counts(350, 700); math.Abs(got-want) > 1e-3*math.Abs(want) {
		t.Errorf("i pixel (350, 700): %g counts, frame %g", got, want)
	}

	// Through asTrans, with a PSF position given in r pixels and no masks.
	mc, err = OpenBands(frame, ps, []string{"r", "i"}, BandOptions{Options: Options{Box: m2Box, NoMask: true, PSFAt: true, PSFX: 359.5, PSFY: 679.5}, UseAsTrans: true})
	if err != nil {
		t.Fatal(err)
	}
	i = mc.Bands[1]
	dx, dy = i.Affine.U-i.Affine.X0, i.Affine.V-i.Affine.Y0
	t.Logf("r→i at the M2 cutout (asTrans): offset (%+.4f, %+.4f) px, affine error %.2g px; i box %v, PSF at (%.3f, %.3f)", dx, dy, i.AffineError, i.Box, i.PSFX, i.PSFY)
	if i.Box != (Box{309, 632, 101, 101}) || i.MaskPath != "" || math.Abs(dx+0.528) > 0.005 || math.Abs(dy-2.834) > 0.005 {
		t.Errorf("asTrans: i box %v, mask %q, offset (%.4f, %.4f)", i.Box, i.MaskPath, dx, dy)
	}
	if math.Abs(i.PSFX-359.5-dx) > 0.01 || math.Abs(i.PSFY-679.5-dy) > 0.01 {
		t.Errorf("i PSF at (%g, %g), want the r position mapped", i.PSFX, i.PSFY)
	}
}

func TestOpenBandsErrors(t *testing.T) {
	frame := shareddata.Path(t, dataDir+"frame-r-002583-2-0136.fits.bz2")
	ps := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	cases := []struct {
		bands []string
		opts  BandOptions
		want  string
	}{
		{[]string{"r", "y"}, BandOptions{}, `band "y"`},
		{[]string{"r"}, BandOptions{Options: Options{Mask: "m.fit"}}, "m.fit cannot be given"},
		{[]string{"r"}, BandOptions{Margin: -1}, "margin -1"},
	}
	for _, c := range cases {
		if _, err := OpenBands(frame, ps, c.bands, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OpenBands(%v, %+v): %v, want %q", c.bands, c.opts, err, c.want)
		}
	}
	// A missing band names the missing file.
	dir := t.TempDir()
	link := filepath.Join(dir, "frame-r-002583-2-0136.fits.bz2")
	if err := os.Symlink(frame, link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBands(link, ps, []string{"r", "i"}, BandOptions{Options: Options{NoMask: true}}); err == nil || !strings.Contains(err.Error(), "frame-i-002583-2-0136.fits[.bz2|.gz] not found") {
		t.Errorf("missing i frame: %v", err)
	}
	// A frame of field 136 named as field 137 (as if the bands were mixed up) is caught by
	// its astrometry's FIELD.
	wrong := filepath.Join(dir, "frame-i-002583-2-0137.fits.bz2")
	if err := os.Symlink(frame, wrong); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(frame, filepath.Join(dir, "frame-r-002583-2-0137.fits.bz2")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBands(wrong, ps, []string{"r"}, BandOptions{Options: Options{NoMask: true}}); err == nil || !strings.Contains(err.Error(), "field 136") || !strings.Contains(err.Error(), "0137") {
		t.Errorf("frame of field 136 named 137: %v", err)
	}
}
