package render

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCellTable checks that a source placed on cell c of a table of several PSFs renders, on
// every path, exactly as it does on PSF c's own table, and that the likelihood change agrees.
func TestCellTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const size, k, w, h = 9, 2, 40, 30
	cells := [][]float32{randomPieces(rng, size, k), randomPieces(rng, size, k), randomPieces(rng, size, k)}
	tab, err := NewCellTable(cells, size, k)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Cells() != 3 || tab.Pieces() != k {
		t.Fatalf("table of %d cells of %d pieces per axis, want 3 and %d", tab.Cells(), tab.Pieces(), k)
	}
	own := make([]*Table, len(cells))
	for c := range cells {
		if own[c], err = NewPieceTable(cells[c], size, k); err != nil {
			t.Fatal(err)
		}
	}
	resid := make([]float32, w*h)
	weight := make([]float32, w*h)
	for i := range resid {
		resid[i], weight[i] = float32(rng.NormFloat64()), float32(rng.Float64())
	}
	eachPath(t, func(t *testing.T, kk *kernels) {
		for trial := range 50 {
			c := trial % len(cells)
			x, y := rng.Float64()*(w+6)-3, rng.Float64()*(h+6)-3
			f, r := 10*rng.Float64(), rng.IntN(size)
			got, want := make([]float32, w*h), make([]float32, w*h)
			src := []Source{tab.CellSource(c, x, y, f, r)}
			ref := []Source{own[c].Source(x, y, f, r)}
			kk.render(got, w, w, h, tab, src, 1)
			kk.render(want, w, w, h, own[c], ref, 1)
			if !slices.Equal(got, want) {
				t.Fatalf("cell %d, source at (%.2f, %.2f): rendering differs from the cell's own table", c, x, y)
			}
			scratch := make([]float32, w*h)
			a := kk.deltaSources(resid, weight, w, w, h, tab, src, scratch)
			b := kk.deltaSources(resid, weight, w, w, h, own[c], ref, scratch)
			if a != b {
				t.Fatalf("cell %d: Δ ln L %g, the cell's own table gives %g", c, a, b)
			}
		}
	})
	defer func() {
		if recover() == nil {
			t.Error("CellSource on a cell the table does not hold: no panic")
		}
	}()
	tab.CellSource(3, 1, 1, 1, 1)
}
