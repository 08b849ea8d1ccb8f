package render

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// FullStamp is a stamp radius that renders the whole PSF stamp whatever its size.
const FullStamp = math.MaxInt32

// Source is one source ready for the kernels: the pixel that anchors its stamp and its ten
// basis weights flux·b(dx, dy) (see the package comment). Rendering is linear in the weights,
// so sources sharing an anchor can be summed into one (see Merge), and a source is removed by
// rendering it with negated weights (see Subtract).
type Source struct {
	// X, Y are ⌈x⌉ and ⌈y⌉ in box coordinates.
	X, Y int32
	// R is the half-width of the square of stamp pixels rendered around the stamp centre,
	// clamped to [0, size/2]; FullStamp renders every pixel. Faint sources can use a small R
	// (see psf.PSF.RadiusFor) so that they do not pay for the whole stamp.
	R int32
	// Piece is the piece of a piecewise table (see NewPieceTable) whose cubic W weighs:
	// qy·k + qx, plus cell·k² on a table of several PSFs (NewCellTable, CellSource); always
	// 0 for a table of one piece. Rendering a source on a table with fewer pieces panics.
	Piece int32
	// W holds flux × the ten cubic terms of the sub-pixel offset (the local offset within
	// the piece for a piecewise table).
	W [NumCoeffs]float32
}

// NewSource places a source of the given flux at box position (x, y), rendering the stamp
// pixels within radius of its centre (FullStamp for all), for a table of one piece (NewTable).
// Positions must be finite and within ±2³⁰ pixels of the box. Use Table.Source for a
// piecewise table.
func NewSource(x, y, flux float64, radius int) Source {
	return newSource(x, y, flux, radius, 1)
}

// Source places a source of the given flux at box position (x, y) on this table, as
// NewSource does: it picks the piece that holds the sub-pixel offset and weighs its cubic
// with the local offset within the piece. For a table of one piece it equals NewSource.
func (t *Table) Source(x, y, flux float64, radius int) Source {
	return newSource(x, y, flux, radius, t.k)
}

// CellSource places a source on PSF cell of a table made by NewCellTable, as Source does on
// a table of one PSF. It panics if the table has no such cell.
func (t *Table) CellSource(cell int, x, y, flux float64, radius int) Source {
	if cell < 0 || cell >= t.cells {
		panic(fmt.Sprintf("render: PSF cell %d of a table of %d", cell, t.cells))
	}
	s := newSource(x, y, flux, radius, t.k)
	s.Piece += int32(cell * t.k * t.k)
	return s
}

// newSource places a source for a table of k×k pieces.
func newSource(x, y, flux float64, radius, k int) Source {
	ix, qx, lx := placePiece(x, k)
	iy, qy, ly := placePiece(y, k)
	var b [NumCoeffs]float64
	Basis(lx, ly, &b)
	s := Source{X: int32(ix), Y: int32(iy), R: int32(min(max(radius, 0), FullStamp)), Piece: int32(qy*k + qx)}
	for c, v := range b {
		s.W[c] = float32(flux * v)
	}
	return s
}

// placePiece splits a position into its anchor pixel i = ⌈x⌉, the piece q = ⌊k·d⌋ of the
// sub-pixel offset d = i − x and the local offset k·d − q ∈ [0, 1).
func placePiece(x float64, k int) (i, q int, l float64) {
	i, d := Place(x)
	l = float64(k) * d
	q = min(int(l), k-1)
	return i, q, l - float64(q)
}

// Merge sums sources that share an anchor pixel, a stamp radius and a table piece into one
// (their weights add), as PCAT does before rendering: a move that stays within its pixel
// (and piece) then costs one stamp instead of two. Sources of different radii or pieces are
// left apart, so that every source leaves the model exactly as it entered it (rendering is
// linear per anchor, radius and piece). It reorders src in place (by row, column, radius
// and piece) and returns the merged prefix.
func Merge(src []Source) []Source {
	if len(src) < 2 {
		return src
	}
	slices.SortStableFunc(src, func(a, b Source) int {
		if c := cmp.Compare(a.Y, b.Y); c != 0 {
			return c
		}
		if c := cmp.Compare(a.X, b.X); c != 0 {
			return c
		}
		if c := cmp.Compare(a.R, b.R); c != 0 {
			return c
		}
		return cmp.Compare(a.Piece, b.Piece)
	})
	n := 0
	for i := range src {
		if p := &src[max(n-1, 0)]; n > 0 && p.X == src[i].X && p.Y == src[i].Y && p.R == src[i].R && p.Piece == src[i].Piece {
			for k := range p.W {
				p.W[k] += src[i].W[k]
			}
			continue
		}
		src[n] = src[i]
		n++
	}
	return src[:n]
}
