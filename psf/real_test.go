package psf

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

const (
	pcatPSF    = "m2-pcat-cutout/sdss.0921_psf.txt"
	pcatPSFr   = "m2-pcat-cutout/idR-002583-2-0136-psfr.txt"
	sdssPSF    = "m2-sdss-2583-2-136/sdss-002583-2-0136-psf-r.fits"
	tinytimPSF = "hst-tinytim-psfs/acs_wfc_f606w.fits"
)

// realPSFs returns the PSFs read from the real data files, keyed by a name starting with
// "real:".
func realPSFs(t *testing.T) map[string]*PSF {
	t.Helper()
	out := map[string]*PSF{}
	for _, rel := range []string{pcatPSF, sdssPSF, tinytimPSF} {
		p, err := Parse(shareddata.Path(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		out["real:"+rel] = p
	}
	return out
}

func isReal(name string) bool { return strings.HasPrefix(name, "real:") }

// at returns the fine sample of p at displacement (x, y) native pixels from the source, in
// whole fine steps (x·Factor and y·Factor integers), or 0 beyond the grid.
func at(p *PSF, x, y float64) float64 {
	n := p.Size * p.Factor
	f := float64(p.Factor)
	c := float64(p.Size / 2)
	return fineAt(p.Fine, n, int(math.Round((y+c)*f)), int(math.Round((x+c)*f)))
}

// TestPCATConvention checks the layout of PCAT's text format on the real files: the peak
// of the M2 r PSF lies at zero displacement (file sample (60, 60)), and the samples at
// multiples of 5 of the multi-band r file (made by PCAT's authors from the SDSS PSF image)
// are that image, in the same orientation (rows are y), not transposed.
func TestPCATConvention(t *testing.T) {
	p, err := ReadPCATFile(shareddata.Path(t, pcatPSF))
	if err != nil {
		t.Fatal(err)
	}
	// the file is 25×25 at 5×; its first row and column hold −4e−4 of the light, so
	// FromEffective pads it by one pixel
	if p.Size != 27 || p.Factor != 5 {
		t.Fatalf("size %d factor %d, want 27 (25 padded) and 5", p.Size, p.Factor)
	}
	peak := at(p, 0, 0)
	for y := -12.0; y <= 12.8; y += 0.2 {
		for x := -12.0; x <= 12.8; x += 0.2 {
			if at(p, x, y) > peak {
				t.Fatalf("sample at (%.1f, %.1f) exceeds the one at zero displacement", x, y)
			}
		}
	}

	q, err := ReadPCATFile(shareddata.Path(t, pcatPSFr))
	if err != nil {
		t.Fatal(err)
	}
	img := sdssImage(t)
	var d, dT, top float64
	for v := 0; v < 25; v++ {
		for u := 0; u < 25; u++ {
			f := at(q, float64(u-12), float64(v-12))
			d = math.Max(d, math.Abs(f-img[v*25+u]))
			dT = math.Max(dT, math.Abs(f-img[u*25+v]))
			top = math.Max(top, img[v*25+u])
		}
	}
	t.Logf("PCAT r file decimated vs SDSS image: max |Δ| %.1e of the peak; transposed: %.1e", d/top, dT/top)
	if d > 1e-4*top || dT < 10*d {
		t.Errorf("decimated PCAT file differs from the SDSS image by %.2e (transposed %.2e) of the peak", d/top, dT/top)
	}
}

// sdssImage returns the SDSS r PSF image (25×25), normalised to unit sum, read through
// ReadFITS: the fine samples at whole-pixel displacements are the image.
func sdssImage(t *testing.T) []float64 {
	t.Helper()
	p, err := ReadFITS(shareddata.Path(t, sdssPSF), AutoHDU, ImageOptions{Size: 25})
	if err != nil {
		t.Fatal(err)
	}
	img := make([]float64, 25*25)
	for v := 0; v < 25; v++ {
		for u := 0; u < 25; u++ {
			img[v*25+u] = at(p, float64(u-12), float64(v-12))
		}
	}
	return img
}

// TestSDSSAgainstPCAT compares our 5× resampling of the SDSS r PSF image with the one PCAT's
// authors made from the same image (Lanczos upsampling): they agree to the level at which
// two interpolations of an undersampled image can (our kernel's own error on a similar
// analytic PSF is 3e−3 of the peak, Lanczos-3's 1.4e−2); a misregistration by one fine
// step would differ by 0.2.
func TestSDSSAgainstPCAT(t *testing.T) {
	p, err := ReadFITS(shareddata.Path(t, sdssPSF), AutoHDU, ImageOptions{Size: 25})
	if err != nil {
		t.Fatal(err)
	}
	q, err := ReadPCATFile(shareddata.Path(t, pcatPSFr))
	if err != nil {
		t.Fatal(err)
	}
	var d, top float64
	for y := -12.0; y <= 12.8; y += 0.2 {
		for x := -12.0; x <= 12.8; x += 0.2 {
			d = math.Max(d, math.Abs(at(p, x, y)-at(q, x, y)))
			top = math.Max(top, at(p, x, y))
		}
	}
	t.Logf("SDSS r: our resampling vs PCAT's file: max |Δ| %.2e of the peak", d/top)
	if d > 0.03*top {
		t.Errorf("resampled SDSS PSF differs from PCAT's by %.3g of the peak, want ≤ 0.03", d/top)
	}
}

// TestTinyTim reads an even-sized HST PSF: it is recentred on its light centroid and
// cropped to an odd stamp, so the rendered stamp's centroid sits on the source.
func TestTinyTim(t *testing.T) {
	p, err := Parse(shareddata.Path(t, tinytimPSF))
	if err != nil {
		t.Fatal(err)
	}
	c := float64(p.Size / 2)
	x, y := centroid(p.Reference(0, 0), p.Size)
	t.Logf("TinyTim ACS/WFC F606W: %d×%d stamp, centroid (%.4f, %.4f) from the centre", p.Size, p.Size, x-c, y-c)
	if p.Size%2 != 1 || p.Size > 121 || math.Hypot(x-c, y-c) > 0.01 {
		t.Errorf("stamp %d, centroid off by (%.3f, %.3f)", p.Size, x-c, y-c)
	}
}

// TestWriteFITSRoundTrip writes PSFs to FITS and reads them back with Parse; astropy reads
// the same file and finds the native stamp and the oversampled grid.
func TestWriteFITSRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []string{"moffat:fwhm=2.5,beta=3", "doublegaussian:sigma1=0.88,sigma2=2.308,b=0.0588"} {
		p, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "psf.fits")
		if err := p.WriteFITS(path); err != nil {
			t.Fatal(err)
		}
		q, err := Parse(path)
		if err != nil {
			t.Fatal(err)
		}
		if q.Size != p.Size || q.Factor != p.Factor {
			t.Fatalf("%s: read back %d×%d at %d×, wrote %d×%d at %d×", spec, q.Size, q.Size, q.Factor, p.Size, p.Size, p.Factor)
		}
		peak := peakOf(p.Fine)
		for i := range p.Coeffs {
			if math.Abs(float64(p.Coeffs[i]-q.Coeffs[i])) > 1e-6*peak {
				t.Fatalf("%s: coefficient %d read back as %g, wrote %g", spec, i, q.Coeffs[i], p.Coeffs[i])
			}
		}
		// the primary HDU alone (the native stamp) gives the same PSF up to the
		// resampling error
		r, err := Parse(path + "?hdu=0&size=" + strconv.Itoa(p.Size))
		if err != nil {
			t.Fatal(err)
		}
		d := 0.0
		for i := range p.Fine {
			d = math.Max(d, math.Abs(p.Fine[i]-r.Fine[i]))
		}
		if r.Size != p.Size || d > 5e-3*peak {
			t.Errorf("%s: native HDU gives a %d-pixel stamp differing by %.2e of the peak", spec, r.Size, d/peak)
		}
	}
	p, err := Parse("gaussian:fwhm=2.2")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "g.fits")
	if err := p.WriteFITS(path); err != nil {
		t.Fatal(err)
	}
	py := shareddata.Python(t, "astropy", "numpy")
	out, err := exec.Command(py, "-c", `
import sys, numpy as np
from astropy.io import fits
h = fits.open(sys.argv[1])
a, f = h[0].data, h[1].data
print(a.shape[0], f.shape[0], h[1].header["OVERSAMP"], np.unravel_index(a.argmax(), a.shape)[0], round(float(a.sum()), 6), round(float(f.sum()), 4))
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("astropy: %v\n%s", err, out)
	}
	want := "11 55 5 5 1.0 25.0"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("astropy reads %q, want %q", got, want)
	}
}

// TestWriteFITSNoPartialFile checks that a failed write leaves nothing behind.
func TestWriteFITSNoPartialFile(t *testing.T) {
	p, err := Gaussian(2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "missing", "psf.fits")
	if err := p.WriteFITS(bad); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	if err := p.WritePCATFile(bad); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("left %d files behind (%v)", len(entries), err)
	}
}
