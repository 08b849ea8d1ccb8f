package psf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
)

// Field is a PSF that varies across an image: a grid of PSFs of one stamp size and
// oversampling, each used for the sources whose position falls in its cell. Cell (i, j)
// covers image columns X0 + i·Cell ≤ x < X0 + (i+1)·Cell (likewise rows), with positions
// outside the grid taking the nearest cell. A PSF that does not vary is a Field of one cell
// (Uniform). Build it with NewField or Uniform and do not modify it afterwards.
type Field struct {
	// X0, Y0 are the image position of the grid's corner (the lower edge of cell (0, 0)),
	// and Cell is the cells' side in pixels.
	X0, Y0 float64
	Cell   int
	// NX, NY are the numbers of cells along x and y; PSFs holds them row-major (j·NX + i).
	NX, NY int
	PSFs   []*PSF

	once  sync.Once
	table *render.Table
	err   error
	tail  []float64 // the largest PSF.tail over the cells, ring by ring
}

// NewField assembles a Field from nx × ny PSFs (row-major) on cells of the given side whose
// grid starts at image position (x0, y0). The PSFs must share their stamp size and
// oversampling.
func NewField(x0, y0 float64, cell, nx, ny int, psfs []*PSF) (*Field, error) {
	switch {
	case nx < 1 || ny < 1 || len(psfs) != nx*ny:
		return nil, fmt.Errorf("psf: a field of %d×%d cells needs %d PSFs, got %d", nx, ny, nx*ny, len(psfs))
	case cell < 1:
		return nil, fmt.Errorf("psf: field cells must be at least 1 pixel, got %d", cell)
	}
	for _, p := range psfs {
		if p == nil || p.Size != psfs[0].Size || p.Factor != psfs[0].Factor {
			return nil, errors.New("psf: the PSFs of a field must share their stamp size and oversampling")
		}
	}
	f := &Field{X0: x0, Y0: y0, Cell: cell, NX: nx, NY: ny, PSFs: psfs}
	n := psfs[0].Size/2 + 1
	f.tail = make([]float64, n)
	for _, p := range psfs {
		for r := range min(n, len(p.tail)) {
			f.tail[r] = math.Max(f.tail[r], p.tail[r])
		}
	}
	return f, nil
}

// Uniform returns the Field of one PSF everywhere.
func Uniform(p *PSF) *Field {
	f, err := NewField(0, 0, math.MaxInt32, 1, 1, []*PSF{p})
	if err != nil {
		panic(err) // one PSF always makes a field
	}
	return f
}

// CellOf returns the index into PSFs of the cell holding image position (x, y).
func (f *Field) CellOf(x, y float64) int {
	if f.NX == 1 && f.NY == 1 {
		return 0
	}
	i := int(math.Floor((x - f.X0) / float64(f.Cell)))
	j := int(math.Floor((y - f.Y0) / float64(f.Cell)))
	return min(max(j, 0), f.NY-1)*f.NX + min(max(i, 0), f.NX-1)
}

// At returns the PSF used at image position (x, y).
func (f *Field) At(x, y float64) *PSF { return f.PSFs[f.CellOf(x, y)] }

// Centre returns the PSF of the cell nearest the grid's middle.
func (f *Field) Centre() *PSF { return f.PSFs[(f.NY/2)*f.NX+f.NX/2] }

// Size returns the stamp side shared by the PSFs.
func (f *Field) Size() int { return f.PSFs[0].Size }

// Radius implements model.Profile: the stamp half-width.
func (f *Field) Radius() int { return f.PSFs[0].Size / 2 }

// Table returns the render table holding every cell's PSF (render.NewCellTable); place a
// source on it with CellSource(CellOf(x, y), …). It is built on first use.
func (f *Field) Table() (*render.Table, error) {
	f.once.Do(func() {
		if len(f.PSFs) == 1 {
			if f.table = f.PSFs[0].Table(); f.table == nil {
				f.err = errors.New("psf: PSF has no render table")
			}
			return
		}
		cells := make([][]float32, len(f.PSFs))
		for i, p := range f.PSFs {
			if cells[i], f.err = p.PieceCoeffs(TablePieces); f.err != nil {
				return
			}
		}
		f.table, f.err = render.NewCellTable(cells, f.Size(), TablePieces)
	})
	return f.table, f.err
}

// RadiusFor is PSF.RadiusFor for the field: the radius that satisfies it in every cell.
func (f *Field) RadiusFor(flux, sigma float64) int {
	return radiusFor(f.tail, f.Radius(), flux, sigma)
}

// AddTo implements model.Profile: it adds flux × the PSF of the cell holding (x, y), centred
// there, into b.
func (f *Field) AddTo(b model.Box, x, y, flux float64) {
	f.At(x, y).AddTo(b, x, y, flux)
}

// Cut returns the part of the field that covers the w×h image whose pixel (0, 0) is pixel
// (x0, y0) of this field's image, in the coordinates of that image: the same PSFs, on the
// same cells, shifted.
func (f *Field) Cut(x0, y0, w, h int) *Field {
	if f.NX == 1 && f.NY == 1 {
		return f
	}
	first, last := f.CellOf(float64(x0), float64(y0)), f.CellOf(float64(x0+w-1), float64(y0+h-1))
	i0, j0 := first%f.NX, first/f.NX
	i1, j1 := last%f.NX, last/f.NX
	var psfs []*PSF
	for j := j0; j <= j1; j++ {
		psfs = append(psfs, f.PSFs[j*f.NX+i0:j*f.NX+i1+1]...)
	}
	g, err := NewField(f.X0+float64(i0*f.Cell)-float64(x0), f.Y0+float64(j0*f.Cell)-float64(y0), f.Cell, i1-i0+1, j1-j0+1, psfs)
	if err != nil {
		panic(err) // a sub-grid of a valid field is valid
	}
	return g
}

// Corrected returns the field with the correction c (fitted by FitCorrection) applied to
// every cell's PSF (PSF.Corrected).
func (f *Field) Corrected(c *Correction) (*Field, error) {
	psfs := make([]*PSF, len(f.PSFs))
	for i, p := range f.PSFs {
		q, err := p.Corrected(c)
		if err != nil {
			return nil, err
		}
		psfs[i] = q
	}
	g, err := NewField(f.X0, f.Y0, f.Cell, f.NX, f.NY, psfs)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// fieldMagic opens a serialised Field (version 1).
const fieldMagic = "probcat-psf-field\x00v1"

// MarshalBinary serialises the field: its grid and every cell's oversampled samples as
// float64. UnmarshalField rebuilds it through FromEffective, which renormalises and may change
// the last bits; a caller that needs the same field bit for bit later (a resumed run) should
// use the field read back from the bytes it keeps, as pipeline does.
func (f *Field) MarshalBinary() ([]byte, error) {
	b := []byte(fieldMagic)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.X0))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.Y0))
	for _, v := range []int{f.Cell, f.NX, f.NY, f.Size(), f.PSFs[0].Factor} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	for _, p := range f.PSFs {
		for _, v := range p.Fine {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b, nil
}

// UnmarshalField rebuilds a field serialised by MarshalBinary.
func UnmarshalField(data []byte) (*Field, error) {
	bad := errors.New("psf: not a serialised PSF field")
	if !bytes.HasPrefix(data, []byte(fieldMagic)) {
		return nil, bad
	}
	data = data[len(fieldMagic):]
	if len(data) < 7*8 {
		return nil, bad
	}
	u := func() uint64 {
		v := binary.LittleEndian.Uint64(data)
		data = data[8:]
		return v
	}
	x0, y0 := math.Float64frombits(u()), math.Float64frombits(u())
	var n [5]uint64
	for i := range n {
		n[i] = u()
		if n[i] < 1 || n[i] > math.MaxInt32 {
			return nil, bad
		}
	}
	cell, nx, ny, size, factor := int(n[0]), int(n[1]), int(n[2]), int(n[3]), int(n[4])
	per := uint64(size*factor) * uint64(size*factor)
	if uint64(nx)*uint64(ny) > 1<<20 || per > 1<<24 || uint64(len(data)) != 8*per*uint64(nx*ny) {
		return nil, bad
	}
	psfs := make([]*PSF, nx*ny)
	for i := range psfs {
		fine := make([]float64, per)
		for k := range fine {
			fine[k] = math.Float64frombits(u())
		}
		p, err := FromEffective(fine, size, factor)
		if err != nil {
			return nil, fmt.Errorf("psf: serialised field, cell %d: %v", i, err)
		}
		psfs[i] = p
	}
	return NewField(x0, y0, cell, nx, ny, psfs)
}
