package render

import (
	"fmt"
	"math"
	"unsafe"
)

// Table is a PSF's cubic sub-pixel coefficient table laid out for the kernels: for each stamp
// row v and polynomial term t, one row of coefficients over the stamp columns u, padded to a
// multiple of 16 values and aligned to 64 bytes, with zero padding after the last row so that
// vector loads may run past a row's end. Build it once per PSF with NewTable; it is read-only
// and safe for concurrent use.
type Table struct {
	size  int
	pitch int       // values between consecutive term rows
	c     []float32 // (size·NumCoeffs·pitch + tablePad) values
}

// tablePad is the number of zero values after the last row: one 512-bit vector.
const tablePad = 16

// NewTable lays out a coefficient table given in the package's flat form (NumCoeffs × size²,
// term-major: coeffs[t*size*size + v*size + u], as psf.PSF.Coeffs holds it).
func NewTable(coeffs []float32, size int) (*Table, error) {
	if size < 1 || size%2 == 0 {
		return nil, fmt.Errorf("render: PSF stamp size must be odd and positive, got %d", size)
	}
	np := size * size
	if len(coeffs) != NumCoeffs*np {
		return nil, fmt.Errorf("render: coefficient table has %d values, want %d×%d²", len(coeffs), NumCoeffs, size)
	}
	for _, v := range coeffs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("render: coefficient table has non-finite values")
		}
	}
	pitch := (size + 15) &^ 15
	n := size*NumCoeffs*pitch + tablePad
	buf := make([]float32, n+16)
	skip := 0
	if a := uintptr(unsafe.Pointer(&buf[0])) % 64; a != 0 {
		skip = int(64-a) / 4
	}
	t := &Table{size: size, pitch: pitch, c: buf[skip : skip+n]}
	for v := 0; v < size; v++ {
		for k := 0; k < NumCoeffs; k++ {
			copy(t.c[(v*NumCoeffs+k)*pitch:], coeffs[k*np+v*size:k*np+v*size+size])
		}
	}
	return t, nil
}

// Size returns the side of the PSF stamp in pixels.
func (t *Table) Size() int { return t.size }

// layout returns how the kernels address the table.
func (t *Table) layout() layout {
	return layout{size: t.size, termStride: t.pitch, rowStride: NumCoeffs * t.pitch}
}

// layout says where term t of stamp pixel (u, v) lives in a coefficient slice:
// at v·rowStride + t·termStride + u.
type layout struct {
	size, termStride, rowStride int
}

// flatLayout is the layout of the flat NumCoeffs × size² form.
func flatLayout(size int) layout {
	return layout{size: size, termStride: size * size, rowStride: size}
}
