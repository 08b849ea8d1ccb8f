package psf

import (
	"math"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
)

// TestIntegratePixels turns sub-pixel light of a Gaussian (sampled 3× and 4× finer than the
// pixels, as TinyTim's subsampled PSFs) into native-pixel light and compares it with the
// exact light of the native pixel centred on each sample. Odd factors are exact; even ones
// split the edge sub-pixels in half, within 2e−3 of the peak for this narrow core.
func TestIntegratePixels(t *testing.T) {
	const s = 0.8 // σ in native pixels: a core of FWHM 1.9 px, like NICMOS F160W
	for _, tc := range []struct {
		factor int
		tol    float64
	}{{3, 1e-12}, {4, 2e-3}} {
		f := tc.factor
		n := 24*f + 1
		c := float64(n / 2)
		sub := make([]float64, n*n)
		for a := range n {
			for b := range n {
				x, y := (float64(b)-c)/float64(f), (float64(a)-c)/float64(f)
				h := 0.5 / float64(f)
				sub[a*n+b] = gaussLight(x-h, x+h, s) * gaussLight(y-h, y+h, s)
			}
		}
		eff := integratePixels(sub, n, n, f)
		peak, worst := 0.0, 0.0
		for a := f; a < n-f; a++ {
			for b := f; b < n-f; b++ {
				x, y := (float64(b)-c)/float64(f), (float64(a)-c)/float64(f)
				want := gaussLight(x-0.5, x+0.5, s) * gaussLight(y-0.5, y+0.5, s)
				peak = math.Max(peak, want)
				worst = math.Max(worst, math.Abs(eff[a*n+b]-want))
			}
		}
		t.Logf("factor %d: largest error %.2g of the peak", f, worst/peak)
		if worst > tc.tol*peak {
			t.Errorf("factor %d: pixel integration off by %.2g of the peak, want ≤ %g", f, worst/peak, tc.tol)
		}
	}
}

// TestDiffusionKernel reads the charge-diffusion kernel from TinyTim's COMMENT cards, and
// refuses a malformed one.
func TestDiffusionKernel(t *testing.T) {
	h := new(fits.Header)
	for _, s := range []string{
		"  This PSF is subsampled, so the charge diffusion kernel was",
		"  NOT applied.  After you rebin this PSF to normal sampling,",
		"  you should convolve it with the following kernel :",
		"     0.023504 0.078029 0.023504",
		"     0.078029 0.593869 0.078029",
		"     0.023504 0.078029 0.023504",
	} {
		h.AddComment(s)
	}
	k, err := diffusionKernel(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != 9 || k[4] != 0.593869 || k[0] != 0.023504 || k[5] != 0.078029 {
		t.Fatalf("kernel %v", k)
	}
	bad := new(fits.Header)
	bad.AddComment("  you should convolve it with the following kernel :")
	bad.AddComment("     0.023504 0.078029")
	if _, err := diffusionKernel(bad); err == nil {
		t.Error("a kernel row of two numbers was accepted")
	}
	if k, err := diffusionKernel(new(fits.Header)); k != nil || err != nil {
		t.Errorf("a header without a kernel gave %v, %v", k, err)
	}
}

// TestTinyTimFiles builds PSFs from real TinyTim files: the native ACS/WFC F606W PSF gets
// its charge-diffusion kernel (the peak pixel drops by the kernel's centre weight or less,
// and the light stays normalised), and the 4× subsampled NICMOS F160W PSF becomes an
// effective PSF whose core has NICMOS's width (FWHM ≈ 0.15″ = 2 pixels of 0.075″).
func TestTinyTimFiles(t *testing.T) {
	acs := shareddata.Path(t, "hst-tinytim-psfs/acs_wfc_f606w.fits")
	p, err := ReadFITS(acs, AutoHDU, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fits.Open(acs)
	if err != nil {
		t.Fatal(err)
	}
	im, err := f.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]float64, len(im.Pix))
	for i, v := range im.Pix {
		raw[i] = float64(v)
	}
	q, err := FromImage(raw, im.Width, im.Height, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pk, qk := peak(p.Stamp(0, 0)), peak(q.Stamp(0, 0))
	t.Logf("ACS/WFC F606W: peak pixel %.4f with charge diffusion, %.4f without (ratio %.3f)", pk, qk, pk/qk)
	if r := pk / qk; r > 0.95 || r < 0.5 {
		t.Errorf("charge diffusion changed the peak pixel by a factor %.3f, want about 0.6–0.9", r)
	}

	nic := shareddata.Path(t, "hst-nicmos-bulge/nic2_f160w_4xsub00.fits")
	n, err := ReadFITS(nic, AutoHDU, ImageOptions{Factor: 4})
	if err != nil {
		t.Fatal(err)
	}
	st := n.Stamp(0, 0)
	sum := 0.0
	for _, v := range st {
		sum += v
	}
	fw := fwhmOf(n)
	t.Logf("NICMOS F160W: %d×%d stamp, light %.4f, FWHM %.2f px", n.Size, n.Size, sum, fw)
	if math.Abs(sum-1) > 0.02 {
		t.Errorf("stamp light %.4f, want 1", sum)
	}
	if fw < 1.5 || fw > 2.8 {
		t.Errorf("FWHM %.2f px, want about 2 (0.15″ at 0.075″/px)", fw)
	}
}

func peak(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// fwhmOf measures a PSF's FWHM along x through its fine samples at the centre row.
func fwhmOf(p *PSF) float64 {
	n := p.Size * p.Factor
	c := p.Size / 2 * p.Factor
	row := p.Fine[c*n : (c+1)*n]
	m := row[c]
	l, r := c, c
	for l > 0 && row[l] > m/2 {
		l--
	}
	for r < n-1 && row[r] > m/2 {
		r++
	}
	// linear interpolation of the half-maximum crossings
	xl := float64(l) + (m/2-row[l])/(row[l+1]-row[l])
	xr := float64(r-1) + (row[r-1]-m/2)/(row[r-1]-row[r])
	return (xr - xl) / float64(p.Factor)
}
