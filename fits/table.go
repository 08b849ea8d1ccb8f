package fits

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Table is a binary table read into memory. Columns are decoded on demand through Column's
// typed accessors.
type Table struct {
	Header  *Header
	Rows    int
	Columns []*Column
}

// Column is one column of a binary table. Fixed-size columns hold Repeat elements per row (for
// strings ('A'), Repeat is the width in characters); variable-length array columns ('P' and 'Q'
// descriptors, Variable true) hold a different number of elements per row, read from the heap.
type Column struct {
	Name   string
	Format string  // TFORM, e.g. "1J", "2048E", "1PE(2601)"
	Unit   string  // TUNIT, "" if absent
	Type   byte    // element type code: L X B I J K A E D C M
	Repeat int     // elements per row (fixed-size columns)
	Dim    []int   // TDIM, fastest-varying axis first; nil if absent
	Scale  float64 // TSCAL (1 if absent)
	Zero   float64 // TZERO (0 if absent)
	// Null is the TNULL value marking undefined integers, valid when HasNull.
	Null    int64
	HasNull bool

	Variable bool

	source string
	rows   int
	cells  [][]byte // per row: the column's bytes (fixed) or the heap elements (variable)
}

var elemSize = map[byte]int{'L': 1, 'X': 1, 'B': 1, 'I': 2, 'J': 4, 'K': 8, 'A': 1, 'E': 4, 'D': 8, 'C': 8, 'M': 16}

// parseTForm splits a binary-table TFORM into repeat count, element type, whether it is a
// variable-length descriptor ('P': 32-bit, 'Q': 64-bit) and the width in the row.
func parseTForm(form string) (repeat int, code byte, desc byte, width int, err error) {
	form = strings.TrimSpace(form)
	j := 0
	for j < len(form) && form[j] >= '0' && form[j] <= '9' {
		j++
	}
	repeat = 1
	if j > 0 {
		if repeat, err = strconv.Atoi(form[:j]); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("invalid TFORM %q", form)
		}
	}
	if j >= len(form) {
		return 0, 0, 0, 0, fmt.Errorf("invalid TFORM %q", form)
	}
	code = form[j]
	if code == 'P' || code == 'Q' {
		desc = code
		if j+1 >= len(form) {
			return 0, 0, 0, 0, fmt.Errorf("invalid TFORM %q", form)
		}
		code = form[j+1]
	}
	size, ok := elemSize[code]
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("invalid TFORM %q (unknown type %q)", form, code)
	}
	switch {
	case desc == 'P':
		width = 8 * min(repeat, 1)
	case desc == 'Q':
		width = 16 * min(repeat, 1)
	case code == 'X':
		width = (repeat + 7) / 8
	default:
		width = repeat * size
	}
	return repeat, code, desc, width, nil
}

// Table decodes HDU i as a binary table.
func (f *File) Table(i int) (*Table, error) {
	h, err := f.get(i)
	if err != nil {
		return nil, err
	}
	src := h.header.Source
	if h.kind != KindBinaryTable {
		return nil, fmt.Errorf("fits: %s is %v, not a binary table", src, h.kind)
	}
	if len(h.axes) != 2 {
		return nil, fmt.Errorf("fits: %s: binary table with NAXIS = %d", src, len(h.axes))
	}
	rowLen, nrows := h.axes[0], h.axes[1]
	heapStart := int64(rowLen) * int64(nrows)
	if h.header.Has("THEAP") {
		if heapStart, err = h.header.Int("THEAP"); err != nil {
			return nil, fmt.Errorf("fits: %v", err)
		}
	}
	if heapStart < int64(rowLen)*int64(nrows) || heapStart > int64(len(h.data)) {
		return nil, fmt.Errorf("fits: %s: THEAP %d outside the data (%d bytes)", src, heapStart, len(h.data))
	}
	heap := h.data[heapStart:]
	width := 0
	for k, fc := range h.cols {
		_, _, _, w, err := parseTForm(fc.Format)
		if err != nil {
			return nil, fmt.Errorf("fits: %s: column %d (%s): %v", src, k+1, fc.Name, err)
		}
		width += w
	}
	if width != rowLen {
		return nil, fmt.Errorf("fits: %s: columns take %d bytes per row but NAXIS1 = %d", src, width, rowLen)
	}
	if rowLen == 0 && nrows > 1<<20 {
		return nil, fmt.Errorf("fits: %s: %d rows of zero width", src, nrows)
	}
	t := &Table{Header: h.header, Rows: nrows}
	off := 0
	for k, fc := range h.cols {
		c := &Column{Name: strings.TrimSpace(fc.Name), Format: fc.Format, Unit: fc.Unit, Scale: fc.Bscale, Zero: fc.Bzero, source: src, rows: nrows}
		if c.Scale == 0 {
			c.Scale = 1
		}
		for _, d := range fc.Dim {
			c.Dim = append(c.Dim, int(d))
		}
		var desc byte
		var width int
		c.Repeat, c.Type, desc, width, err = parseTForm(fc.Format)
		if err != nil {
			return nil, fmt.Errorf("fits: %s: column %d (%s): %v", src, k+1, c.Name, err)
		}
		c.Variable = desc != 0
		if fc.Null != "" && isInteger(c.Type) {
			if c.Null, err = strconv.ParseInt(strings.TrimSpace(fc.Null), 10, 64); err != nil {
				return nil, fmt.Errorf("fits: %s: column %s: TNULL %q is not an integer", src, c.Name, fc.Null)
			}
			c.HasNull = true
		}
		c.cells = make([][]byte, nrows)
		for r := range nrows {
			cell := h.data[r*rowLen+off : r*rowLen+off+width]
			if c.Variable {
				cell, err = heapCell(cell, desc, c.Type, heap)
				if err != nil {
					return nil, fmt.Errorf("fits: %s: column %s row %d: %v", src, c.Name, r, err)
				}
			}
			c.cells[r] = cell
		}
		off += width
		t.Columns = append(t.Columns, c)
	}
	return t, nil
}

// heapCell resolves a variable-length array descriptor (count, offset into the heap).
func heapCell(desc []byte, kind, code byte, heap []byte) ([]byte, error) {
	if len(desc) == 0 {
		return nil, nil
	}
	var n, off uint64
	if kind == 'P' {
		n, off = uint64(binary.BigEndian.Uint32(desc)), uint64(binary.BigEndian.Uint32(desc[4:]))
	} else {
		n, off = binary.BigEndian.Uint64(desc), binary.BigEndian.Uint64(desc[8:])
	}
	size := uint64(elemSize[code])
	if code == 'X' {
		n = (n + 7) / 8
	}
	if n > uint64(len(heap)) || off > uint64(len(heap)) || off+n*size > uint64(len(heap)) {
		return nil, fmt.Errorf("variable-length array (%d elements at heap offset %d) runs past the heap (%d bytes)", n, off, len(heap))
	}
	return heap[off : off+n*size], nil
}

// Column returns the column with this name (case-insensitive, as astropy matches).
func (t *Table) Column(name string) (*Column, error) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, nil
		}
	}
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("fits: %s: no column %q", t.Header.Source, name)
}

func (c *Column) errorf(format string, args ...any) error {
	return fmt.Errorf("fits: %s: column %s (%s): %s", c.source, c.Name, c.Format, fmt.Sprintf(format, args...))
}

// number decodes element k of a cell of numeric type code as float64, without scaling.
func number(cell []byte, code byte, k int) float64 {
	be := binary.BigEndian
	switch code {
	case 'B':
		return float64(cell[k])
	case 'I':
		return float64(int16(be.Uint16(cell[2*k:])))
	case 'J':
		return float64(int32(be.Uint32(cell[4*k:])))
	case 'K':
		return float64(int64(be.Uint64(cell[8*k:])))
	case 'E':
		return float64(math.Float32frombits(be.Uint32(cell[4*k:])))
	case 'D':
		return math.Float64frombits(be.Uint64(cell[8*k:]))
	}
	panic("fits: number called on a non-numeric type")
}

func integer(cell []byte, code byte, k int) int64 {
	be := binary.BigEndian
	switch code {
	case 'B':
		return int64(cell[k])
	case 'I':
		return int64(int16(be.Uint16(cell[2*k:])))
	case 'J':
		return int64(int32(be.Uint32(cell[4*k:])))
	case 'K':
		return int64(be.Uint64(cell[8*k:]))
	}
	panic("fits: integer called on a non-integer type")
}

func isNumeric(code byte) bool { return strings.IndexByte("BIJKED", code) >= 0 }

func isInteger(code byte) bool { return strings.IndexByte("BIJK", code) >= 0 }

func (c *Column) fixed(what string) error {
	if c.Variable {
		return c.errorf("variable-length array column; use Var%s", what)
	}
	return nil
}

// Float64s returns a fixed-size numeric column as Rows×Repeat values (row-major, the row's
// elements contiguous and, for TDIM arrays, the first TDIM axis fastest), with TSCAL and TZERO
// applied and integers equal to TNULL as NaN.
func (c *Column) Float64s() ([]float64, error) {
	if err := c.fixed("Float64s"); err != nil {
		return nil, err
	}
	if !isNumeric(c.Type) {
		return nil, c.errorf("type %q is not numeric", c.Type)
	}
	out := make([]float64, 0, c.rows*c.Repeat)
	for _, cell := range c.cells {
		for k := range c.Repeat {
			if c.HasNull && integer(cell, c.Type, k) == c.Null {
				out = append(out, math.NaN())
				continue
			}
			out = append(out, c.Zero+c.Scale*number(cell, c.Type, k))
		}
	}
	return out, nil
}

// Float32s is Float64s converted to float32.
func (c *Column) Float32s() ([]float32, error) {
	v, err := c.Float64s()
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, nil
}

// Int64s returns a fixed-size integer column as Rows×Repeat values with TZERO applied (which is
// how unsigned integers are stored); TNULL values are returned as stored (see Null). It fails for
// real columns and for a TSCAL other than 1.
func (c *Column) Int64s() ([]int64, error) {
	if err := c.fixed("Int64s"); err != nil {
		return nil, err
	}
	if !isInteger(c.Type) {
		return nil, c.errorf("type %q is not an integer type", c.Type)
	}
	if c.Scale != 1 || c.Zero != math.Trunc(c.Zero) {
		return nil, c.errorf("scaled column (TSCAL %g, TZERO %g); use Float64s", c.Scale, c.Zero)
	}
	out := make([]int64, 0, c.rows*c.Repeat)
	for _, cell := range c.cells {
		for k := range c.Repeat {
			out = append(out, integer(cell, c.Type, k)+int64(c.Zero))
		}
	}
	return out, nil
}

// Strings returns a character ('A') column, one string per row, without trailing blanks and NULs.
func (c *Column) Strings() ([]string, error) {
	if err := c.fixed("Bytes"); err != nil {
		return nil, err
	}
	if c.Type != 'A' {
		return nil, c.errorf("type %q is not a character column", c.Type)
	}
	out := make([]string, c.rows)
	for r, cell := range c.cells {
		if i := strings.IndexByte(string(cell), 0); i >= 0 {
			cell = cell[:i]
		}
		out[r] = strings.TrimRight(string(cell), " ")
	}
	return out, nil
}

// Bools returns a logical ('L') column as Rows×Repeat values ('T' is true).
func (c *Column) Bools() ([]bool, error) {
	if err := c.fixed("Bytes"); err != nil {
		return nil, err
	}
	if c.Type != 'L' {
		return nil, c.errorf("type %q is not logical", c.Type)
	}
	out := make([]bool, 0, c.rows*c.Repeat)
	for _, cell := range c.cells {
		for _, b := range cell[:c.Repeat] {
			out = append(out, b == 'T')
		}
	}
	return out, nil
}

func (c *Column) variable() error {
	if !c.Variable {
		return c.errorf("not a variable-length array column")
	}
	return nil
}

// VarFloat64s returns a variable-length numeric array column: one slice per row, TSCAL and TZERO
// applied.
func (c *Column) VarFloat64s() ([][]float64, error) {
	if err := c.variable(); err != nil {
		return nil, err
	}
	if !isNumeric(c.Type) {
		return nil, c.errorf("type %q is not numeric", c.Type)
	}
	size := elemSize[c.Type]
	out := make([][]float64, c.rows)
	for r, cell := range c.cells {
		n := len(cell) / size
		out[r] = make([]float64, n)
		for k := range n {
			out[r][k] = c.Zero + c.Scale*number(cell, c.Type, k)
		}
	}
	return out, nil
}

// VarBytes returns the raw big-endian heap bytes of each row of a variable-length array column.
// For byte ('PB') columns these are the values; SDSS fpM masks pack their span lists this way.
func (c *Column) VarBytes() ([][]byte, error) {
	if err := c.variable(); err != nil {
		return nil, err
	}
	out := make([][]byte, c.rows)
	for r, cell := range c.cells {
		out[r] = append([]byte(nil), cell...)
	}
	return out, nil
}

// ReadTable reads HDU hdu of the file at path as a binary table.
func ReadTable(path string, hdu int) (*Table, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	return f.Table(hdu)
}
