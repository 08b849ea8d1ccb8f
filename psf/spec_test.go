package psf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMatchesConstructors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		make func() (*PSF, error)
	}{
		{"gaussian:fwhm=2.2", func() (*PSF, error) { return Gaussian(2.2) }},
		{"Gaussian: FWHM = 2.2", func() (*PSF, error) { return Gaussian(2.2) }},
		{"doublegaussian:sigma1=0.88,sigma2=2.308,b=0.0588", func() (*PSF, error) { return DoubleGaussian(0.88, 2.308, 0.0588) }},
		{"moffat:beta=3,fwhm=2.5", func() (*PSF, error) { return Moffat(2.5, 3) }},
	} {
		p, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		q, err := tc.make()
		if err != nil {
			t.Fatal(err)
		}
		if p.Size != q.Size || len(p.Coeffs) != len(q.Coeffs) {
			t.Fatalf("%s: %d-pixel stamp, constructor %d", tc.spec, p.Size, q.Size)
		}
		for i := range p.Coeffs {
			if p.Coeffs[i] != q.Coeffs[i] {
				t.Fatalf("%s: coefficient %d differs from the constructor's", tc.spec, i)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "psf.dat")
	if err := os.WriteFile(odd, []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.fits")
	if err := os.WriteFile(junk, []byte("this is not a FITS file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ spec, want string }{
		{"", "not a PSF specification"},
		{"airy:fwhm=2", "not a PSF specification"},
		{odd, "not a PSF specification"},
		{"gaussian:", "missing fwhm="},
		{"gaussian:fwhm", "not key=value"},
		{"gaussian:fwhm=abc", `fwhm="abc" is not a finite number`},
		{"gaussian:fwhm=NaN", "not a finite number"},
		{"gaussian:fwhm=-2", "fwhm must be positive"},
		{"gaussian:fwhm=2,fwhm=3", "given twice"},
		{"gaussian:fwhm=2,beta=3", "unknown option beta"},
		{"gaussian:fwhm=2,size=10", "size=10 must be odd"},
		{"gaussian:fwhm=2,size=-3", "must be odd and positive"},
		{"gaussian:fwhm=2,size=x", "not an integer"},
		{"doublegaussian:sigma1=1,sigma2=2", "missing b="},
		{"moffat:fwhm=2.5", "missing beta="},
		{"moffat:fwhm=2.5,beta=0.5", "beta must be finite and greater than 1"},
		{"moffat:fwhm=2.5,beta=1.1", "give size= explicitly"},
		{filepath.Join(dir, "missing.txt"), "missing.txt"},
		{filepath.Join(dir, "missing.fits"), "missing.fits"},
		{filepath.Join(dir, "x.txt?size=3"), "take no options"},
		{junk, "junk.fits"},
		{junk + "?oversample=two", "not an integer"},
		{junk + "?centre=left", "want middle, peak, centroid or X,Y"},
		{junk + "?colour=red", "unknown option colour"},
	} {
		_, err := Parse(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.spec) {
			t.Errorf("Parse(%q): error %v, want one naming the specification and mentioning %q", tc.spec, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q): error spans several lines: %q", tc.spec, err)
		}
	}
}
