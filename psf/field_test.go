package psf

import (
	"math"
	"math/rand/v2"
	"testing"
)

func testField(t *testing.T) *Field {
	t.Helper()
	var psfs []*PSF
	for i := range 6 {
		p, err := gaussian(2+0.1*float64(i), 15)
		if err != nil {
			t.Fatal(err)
		}
		psfs = append(psfs, p)
	}
	f, err := NewField(-10, 5, 40, 3, 2, psfs)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFieldCells(t *testing.T) {
	f := testField(t)
	for _, c := range []struct {
		x, y float64
		want int
	}{{-10, 5, 0}, {29.9, 5, 0}, {30, 5, 1}, {70, 44.9, 2}, {69.9, 45, 4}, {-1e3, -1e3, 0}, {1e3, 1e3, 5}} {
		if got := f.CellOf(c.x, c.y); got != c.want {
			t.Errorf("CellOf(%g, %g) = %d, want %d", c.x, c.y, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		x0, y0 := rng.IntN(120)-20, rng.IntN(90)
		w, h := 1+rng.IntN(60), 1+rng.IntN(60)
		g := f.Cut(x0, y0, w, h)
		for range 20 {
			x, y := float64(x0)+rng.Float64()*float64(w-1), float64(y0)+rng.Float64()*float64(h-1)
			if g.At(x-float64(x0), y-float64(y0)) != f.At(x, y) {
				t.Fatalf("cut (%d, %d, %d×%d): position (%.1f, %.1f) takes another PSF than in the whole field", x0, y0, w, h, x, y)
			}
		}
	}
	for _, flux := range []float64{10, 1e3, 1e5} {
		r := f.RadiusFor(flux, 1)
		for _, p := range f.PSFs {
			if pr := p.RadiusFor(flux, 1); pr > r {
				t.Errorf("field radius %d for flux %g, but a cell needs %d", r, flux, pr)
			}
		}
	}
	tab, err := f.Table()
	if err != nil || tab.Cells() != 6 {
		t.Fatalf("table of %v cells, err %v", tab, err)
	}
	if _, err := NewField(0, 0, 10, 2, 2, f.PSFs[:3]); err == nil {
		t.Error("2×2 field of 3 PSFs: no error")
	}
	other, _ := gaussian(2, 17)
	if _, err := NewField(0, 0, 10, 2, 1, []*PSF{f.PSFs[0], other}); err == nil {
		t.Error("field of PSFs of different sizes: no error")
	}
}

func TestFieldRoundTrip(t *testing.T) {
	f := testField(t)
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	g, err := UnmarshalField(b)
	if err != nil {
		t.Fatal(err)
	}
	h, err := UnmarshalField(b)
	if err != nil {
		t.Fatal(err)
	}
	if g.NX != 3 || g.NY != 2 || g.X0 != -10 || g.Cell != 40 {
		t.Fatalf("read back a %d×%d field at %g of cell %d", g.NX, g.NY, g.X0, g.Cell)
	}
	for i := range g.PSFs {
		for k, v := range g.PSFs[i].Fine {
			if math.Abs(v-f.PSFs[i].Fine[k]) > 1e-15 || h.PSFs[i].Fine[k] != v { // the same bytes give the same bits
				t.Fatalf("cell %d sample %d: %g, then %g, wrote %g", i, k, v, h.PSFs[i].Fine[k], f.PSFs[i].Fine[k])
			}
		}
	}
	for _, cut := range []int{0, 5, len(fieldMagic), len(b) - 1} {
		if _, err := UnmarshalField(b[:cut]); err == nil {
			t.Errorf("field cut to %d bytes: no error", cut)
		}
	}
}
