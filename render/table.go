package render

import (
	"fmt"
	"math"
	"unsafe"
)

// Table is a PSF's cubic sub-pixel coefficient table laid out for the kernels: for each stamp
// row v and polynomial term t, one row of coefficients over the stamp columns u, padded to a
// multiple of 16 values and aligned to 64 bytes, with zero padding after the last row so that
// vector loads may run past a row's end. A piecewise table (NewPieceTable) holds k² such
// sub-tables one after another, one per piece of the unit square of sub-pixel offsets.
// Build it once per PSF; it is read-only and safe for concurrent use.
type Table struct {
	size        int
	k           int       // pieces per axis
	cells       int       // PSFs held, k² pieces each
	pitch       int       // values between consecutive term rows
	pieceStride int       // values between consecutive pieces
	c           []float32 // (k²·size·NumCoeffs·pitch + tablePad) values
}

// tablePad is the number of zero values after the last row: one 512-bit vector.
const tablePad = 16

// MaxPieces is the largest number of pieces per axis NewPieceTable accepts.
const MaxPieces = 16

// NewTable lays out a coefficient table given in the package's flat form (NumCoeffs × size²,
// term-major: coeffs[t*size*size + v*size + u], as psf.PSF.Coeffs holds it): PCAT's single
// cubic over the whole unit square, NewPieceTable with k = 1.
func NewTable(coeffs []float32, size int) (*Table, error) {
	return NewPieceTable(coeffs, size, 1)
}

// NewPieceTable lays out a piecewise table: the unit square of sub-pixel offsets cut into k×k
// pieces, each with its own cubic in the local offset (k·dx − qx, k·dy − qy) ∈ [0, 1)², where
// qx = ⌊k·dx⌋ and qy = ⌊k·dy⌋. pieces holds k² flat tables (each NumCoeffs × size², as for
// NewTable) one after another, piece q = qy·k + qx at pieces[q·NumCoeffs·size²:], as
// psf.PSF.PieceCoeffs returns them. Place sources on it with Table.Source. The kernels do the
// same work per pixel whatever k; the table takes k² times the memory.
func NewPieceTable(pieces []float32, size, k int) (*Table, error) {
	return NewCellTable([][]float32{pieces}, size, k)
}

// NewCellTable lays out the piecewise tables of several PSFs of one stamp size in one table,
// for a PSF that varies across the image: cells[c] holds the k² pieces of PSF c, as
// NewPieceTable takes them. Place a source on PSF c with CellSource; the kernels do the same
// work per pixel whatever the number of cells.
func NewCellTable(cells [][]float32, size, k int) (*Table, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("render: a cell table needs at least one PSF")
	}
	if size < 1 || size%2 == 0 {
		return nil, fmt.Errorf("render: PSF stamp size must be odd and positive, got %d", size)
	}
	if k < 1 || k > MaxPieces {
		return nil, fmt.Errorf("render: pieces per axis must be 1 to %d, got %d", MaxPieces, k)
	}
	np := size * size
	for _, pieces := range cells {
		if len(pieces) != k*k*NumCoeffs*np {
			return nil, fmt.Errorf("render: coefficient table has %d values, want %d²×%d×%d²", len(pieces), k, NumCoeffs, size)
		}
		for _, v := range pieces {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("render: coefficient table has non-finite values")
			}
		}
	}
	pitch := (size + 15) &^ 15
	ps := size * NumCoeffs * pitch
	n := len(cells)*k*k*ps + tablePad
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("render: a %d×%d table of %d pieces needs %d values, more than 2³¹−1", size, size, k*k, n)
	}
	buf := make([]float32, n+16)
	skip := 0
	if a := uintptr(unsafe.Pointer(&buf[0])) % 64; a != 0 {
		skip = int(64-a) / 4
	}
	t := &Table{size: size, k: k, cells: len(cells), pitch: pitch, pieceStride: ps, c: buf[skip : skip+n]}
	for q := 0; q < len(cells)*k*k; q++ {
		src := cells[q/(k*k)][(q%(k*k))*NumCoeffs*np:]
		dst := t.c[q*ps:]
		for v := 0; v < size; v++ {
			for c := 0; c < NumCoeffs; c++ {
				copy(dst[(v*NumCoeffs+c)*pitch:], src[c*np+v*size:c*np+v*size+size])
			}
		}
	}
	return t, nil
}

// Size returns the side of the PSF stamp in pixels.
func (t *Table) Size() int { return t.size }

// Pieces returns the number of pieces per axis of the sub-pixel square (1 for NewTable).
func (t *Table) Pieces() int { return t.k }

// Cells returns the number of PSFs the table holds (1 but for NewCellTable).
func (t *Table) Cells() int { return t.cells }

// layout returns how the kernels address the table.
func (t *Table) layout() layout {
	return layout{size: t.size, termStride: t.pitch, rowStride: NumCoeffs * t.pitch, pieceStride: t.pieceStride, pieces: t.cells * t.k * t.k}
}

// layout says where term t of stamp pixel (u, v) of piece q lives in a coefficient slice:
// at q·pieceStride + v·rowStride + t·termStride + u; pieces is the number of pieces (k²).
type layout struct {
	size, termStride, rowStride int
	pieceStride, pieces         int
}

// flatLayout is the layout of the flat NumCoeffs × size² form (one piece).
func flatLayout(size int) layout {
	return layout{size: size, termStride: size * size, rowStride: size, pieceStride: NumCoeffs * size * size, pieces: 1}
}
