package sdss

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
)

func TestOpenM2(t *testing.T) {
	fr := readM2Frame(t)
	ps := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	c, err := fr.Cutout(ps, Options{Box: m2Box})
	if err != nil {
		t.Fatal(err)
	}
	im := c.Image
	if im.Width != 100 || im.Height != 100 || im.X0 != 310 || im.Y0 != 630 {
		t.Fatalf("cutout %d×%d at (%d, %d)", im.Width, im.Height, im.X0, im.Y0)
	}
	// photoField and fpM are found next to the frame by their SDSS names.
	if !strings.Contains(c.Params.Source, "photoField-002583-2.fits") || !strings.HasSuffix(c.MaskPath, "fpM-002583-r2-0136.fit.gz") {
		t.Errorf("params from %q, mask %q", c.Params.Source, c.MaskPath)
	}
	if im.Gain != 4.6 || im.ReadNoise != 1 || im.Bias != 1000 || c.Masked != 0 || im.Mask != nil {
		t.Errorf("gain %g read noise %g bias %g masked %d", im.Gain, im.ReadNoise, im.Bias, c.Masked)
	}
	if math.Abs(im.Background-149.18) > 0.05 {
		t.Errorf("background %g, PROVENANCE.md says about 149.2", im.Background)
	}
	for _, p := range [][2]int{{0, 0}, {99, 0}, {37, 81}} {
		got := float64(im.Pix[p[1]*100+p[0]]) - im.Bias
		want := fr.Counts(p[0]+310, p[1]+630)
		if math.Abs(got-want) > 1e-3*math.Max(1, want) {
			t.Errorf("pixel %v: %g counts, frame %g", p, got, want)
		}
		v := float64(c.Variance[p[1]*100+p[0]])
		if math.Abs(v-(want/4.6+1)) > 1e-3*v {
			t.Errorf("pixel %v: variance %g, want counts/gain + 1 = %g", p, v, want/4.6+1)
		}
	}
	// Zero point from the cutout's calibration: 0.019 mag above the NMGY card's (the flat field).
	calib := fr.Calib[310:410]
	mean, err := fr.MeanCalib(m2Box)
	if err != nil {
		t.Fatal(err)
	}
	if zp := 22.5 - 2.5*math.Log10(mean); !im.HasZeroPoint || im.ZeroPoint != zp {
		t.Errorf("zero point %g, want %g", im.ZeroPoint, zp)
	}
	dzp := im.ZeroPoint - (22.5 - 2.5*math.Log10(fr.NMGY))
	spanAll := slices.Max(fr.Calib)/slices.Min(fr.Calib) - 1
	spanCut := slices.Max(calib)/slices.Min(calib) - 1
	t.Logf("zero point %.4f (NMGY card: %+.4f mag); calib varies by %.2f%% over the frame, %.2f%% over the cutout", im.ZeroPoint, -dzp, 100*spanAll, 100*spanCut)
	if math.Abs(dzp-0.019) > 0.002 || spanAll > 0.013 || spanCut > 0.0015 {
		t.Errorf("zero point offset %.4f, calib spans %.4f and %.4f: the documentation in Open is wrong", dzp, spanAll, spanCut)
	}
	// WCS: cutout pixels map to the frame's sky; BoxAround inverts it.
	ra, dec, ok := im.Sky(49.5, 49.5)
	wra, wdec := fr.WCS.PixelToSky(359.5, 679.5)
	if !ok || ra != wra || dec != wdec {
		t.Errorf("cutout centre at %g, %g; frame WCS says %g, %g", ra, dec, wra, wdec)
	}
	if b, err := BoxAround(fr, ra, dec, 100, 100); err != nil || b != m2Box {
		t.Errorf("BoxAround(%g, %g) = %v, %v; want %v", ra, dec, b, err, m2Box)
	}
	sb, err := ParseSkyBox(strconv.FormatFloat(ra, 'g', -1, 64) + "," + strconv.FormatFloat(dec, 'g', -1, 64) + ",100,100")
	if err != nil {
		t.Fatal(err)
	}
	if c2, err := fr.Cutout(ps, Options{Around: &sb, Box: Box{0, 0, 5, 5}}); err != nil || c2.Box != m2Box {
		t.Errorf("cutout around %+v: %v, %v", sb, c2.Box, err)
	}
	for _, s := range []string{"1,2,3", "x,0,10,10", "10,95,10,10", "10,0,0,10", "10,0,10,2.5"} {
		if _, err := ParseSkyBox(s); err == nil {
			t.Errorf("ParseSkyBox(%q) gave no error", s)
		}
	}
	if _, err := BoxAround(fr, wra+1, wdec, 100, 100); err == nil {
		t.Error("BoxAround one degree off the frame gave no error")
	}
	if c.PSFX != 359.5 || c.PSFY != 679.5 || (c.PSF.Size != 25 && c.PSF.Size != 27) {
		t.Errorf("PSF at (%g, %g), size %d", c.PSFX, c.PSFY, c.PSF.Size)
	}
}

func TestOpenOptions(t *testing.T) {
	fr := readM2Frame(t)
	ps := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	// The first saturated star of the r mask is at row 249, column 143.
	box := Box{X0: 130, Y0: 235, W: 31, H: 31}
	c, err := fr.Cutout(ps, Options{Box: box, PhotoField: "", PSFAt: true, PSFX: 500, PSFY: 600, PSFSize: 21})
	if err != nil {
		t.Fatal(err)
	}
	if c.Masked == 0 || count(c.Image.Mask) != c.Masked {
		t.Errorf("%d masked pixels near a saturated star (mask has %d)", c.Masked, count(c.Image.Mask))
	}
	if c.PSFX != 500 || c.PSFY != 600 || (c.PSF.Size != 21 && c.PSF.Size != 23) {
		t.Errorf("PSF at (%g, %g) size %d", c.PSFX, c.PSFY, c.PSF.Size)
	}
	c, err = fr.Cutout(ps, Options{Box: box, NoMask: true, PhotoField: ps + "-missing"})
	if err == nil || !strings.Contains(err.Error(), ps+"-missing") {
		t.Errorf("missing photoField: %v", err)
	}
	for _, b := range []Box{{2000, 0, 100, 10}, {-1, 0, 10, 10}, {0, 1480, 10, 10}} {
		if _, err := fr.Cutout(ps, Options{Box: b}); err == nil || !strings.Contains(err.Error(), fr.Path) {
			t.Errorf("box %v outside the frame: %v", b, err)
		}
	}
	other := filepath.Join(t.TempDir(), "psField-002583-2-0137.fit")
	h := fits.NewHeader()
	h.Set("RUN", int64(2583), "")
	h.Set("FIELD", int64(137), "")
	if err := fits.Write(other, fits.ImageHDU{Header: h}); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Cutout(other, Options{Box: m2Box}); err == nil || !strings.Contains(err.Error(), "FIELD = 137") {
		t.Errorf("psField of another field: %v", err)
	}
	if _, err := fr.Cutout(ps, Options{Box: m2Box, Mask: other}); err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("mask of another field: %v", err)
	}
	fpM := shareddata.Path(t, dataDir+"fpM-002583-r2-0136.fit.gz")
	if _, err := fr.Cutout(fpM, Options{Box: m2Box, NoMask: true}); err == nil || !strings.Contains(err.Error(), fpM) {
		t.Errorf("mask given as psField: %v", err)
	}
}

func TestOpenWholeFrame(t *testing.T) {
	fr := readM2Frame(t)
	c, err := fr.Cutout(shareddata.Path(t, dataDir+"psField-002583-2-0136.fit"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Box != (Box{0, 0, 2048, 1489}) || c.Image.Width != 2048 || c.Masked == 0 {
		t.Errorf("whole frame: box %v, %d masked", c.Box, c.Masked)
	}
}

func TestLoadErrors(t *testing.T) {
	ps := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	for _, p := range []string{"/nonexistent/frame-r-000001-1-0001.fits.bz2", ps} {
		if _, _, err := Load(p, ps, Options{}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Load(%s): %v", p, err)
		}
	}
}
