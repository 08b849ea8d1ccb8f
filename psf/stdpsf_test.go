package psf

import (
	"math"
	"strings"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

// TestSTDPSF reads Anderson's ACS/WFC F606W grid (lower-case keywords, two chips): each chip
// has a 9×5 grid; PSFs at grid points are the grid's, between them the bilinear mean; the
// PSF is normalised with the ACS/WFC core (FWHM about 2 px, close to the TinyTim model with
// charge diffusion); a field of cells builds; a missing chip is refused.
func TestSTDPSF(t *testing.T) {
	path := shareddata.Path(t, "hst-stdpsf-acswfc/STDPSF_ACSWFC_F606W_SM4.fits")
	if _, err := ReadSTDPSF(path, 0); err == nil || !strings.Contains(err.Error(), "CCDCHIP") {
		t.Errorf("a two-chip grid without a chip gave %v", err)
	}
	for _, chip := range []int{1, 2} {
		g, err := ReadSTDPSF(path, chip)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.X) != 9 || len(g.Y) != 5 || len(g.PSFs) != 45 || g.Side != 101 {
			t.Fatalf("chip %d: grid %d×%d of %d PSFs of side %d", chip, len(g.X), len(g.Y), len(g.PSFs), g.Side)
		}
		if g.Y[0] != 0 || g.Y[4] != 2048 {
			t.Errorf("chip %d: y positions %v, want 0 … 2048", chip, g.Y)
		}
		at := g.At(g.X[1], g.Y[2])
		mid := g.At((g.X[1]+g.X[2])/2, g.Y[2])
		for s := range at {
			if at[s] != g.PSFs[2*9+1][s] {
				t.Fatalf("chip %d: PSF at a grid point differs from the grid's at sample %d", chip, s)
			}
			if want := (g.PSFs[2*9+1][s] + g.PSFs[2*9+2][s]) / 2; math.Abs(mid[s]-want) > 1e-12 {
				t.Fatalf("chip %d: PSF half-way between grid points is not their mean at sample %d", chip, s)
			}
		}
	}
	g, err := ReadSTDPSF(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.PSF(1000, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range p.Stamp(0, 0) {
		sum += v
	}
	fw := fwhmOf(p)
	tt, err := ReadFITS(shareddata.Path(t, "hst-tinytim-psfs/acs_wfc_f606w.fits"), AutoHDU, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ratio := peak(p.Stamp(0, 0)) / peak(tt.Stamp(0, 0))
	t.Logf("STDPSF at (1000, 1000): %d×%d stamp, light %.4f, FWHM %.2f px, peak %.3f (TinyTim with charge diffusion ×%.2f)", p.Size, p.Size, sum, fw, peak(p.Stamp(0, 0)), ratio)
	if math.Abs(sum-1) > 0.01 || fw < 1.5 || fw > 2.8 || ratio < 0.7 || ratio > 1.4 {
		t.Errorf("STDPSF PSF: light %.4f, FWHM %.2f px, peak %.2f× TinyTim's: not an ACS/WFC F606W core", sum, fw, ratio)
	}
	f, err := g.Field(900, 1900, 300, 200, 128)
	if err != nil {
		t.Fatal(err)
	}
	if f.NX != 3 || f.NY != 2 || f.PSFs[0].Size != f.PSFs[5].Size {
		t.Fatalf("field of %d×%d cells", f.NX, f.NY)
	}
	// the field's PSFs vary across the image: its corners differ
	if d := f.PSFs[0].MaxChange(f.PSFs[5]); !(d > 0) {
		t.Errorf("the field's corner PSFs are identical (change %g)", d)
	} else {
		t.Logf("largest change between the corner cells of 128 px: %.2g of the peak", d)
	}
	// cells of CellFor(0.005) keep neighbouring cells within 0.5 % of the peak
	cell := g.CellFor(0.005)
	f, err = g.Field(900, 1700, 8*cell, 8*cell, cell)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for j := range f.NY {
		for i := range f.NX - 1 {
			worst = math.Max(worst, f.PSFs[j*f.NX+i].MaxChange(f.PSFs[j*f.NX+i+1]))
		}
	}
	t.Logf("CellFor(0.005) = %d px: largest change between neighbouring cells %.2g of the peak", cell, worst)
	if worst > 0.005 {
		t.Errorf("cells of %d px change by %.2g of the peak, want ≤ 0.005", cell, worst)
	}
}
