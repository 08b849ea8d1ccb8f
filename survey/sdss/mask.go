package sdss

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/probcat/probcat/fits"
)

// DefaultMaskPlanes are the fpM planes that mark pixels whose values are not data:
// interpolated over (bad columns, bleed trails), saturated, and cosmic rays.
var DefaultMaskPlanes = []string{"INTERP", "SATUR", "CR"}

// Mask is an fpM file: for each mask plane (INTERP, SATUR, NOTCHECKED, OBJECT,
// BRIGHTOBJECT, BINOBJECT, CATOBJECT, SUBTRACTED, GHOST, CR), the frame pixels it covers.
type Mask struct {
	// Path is the file the mask was read from.
	Path string
	// Width and Height are the frame size (MASKCOLS, MASKROWS).
	Width, Height int
	// Planes maps a plane name (without the S_MASK_ prefix) to its spans.
	Planes map[string][]Span
}

// Span is a run of masked pixels in one frame row: columns X1 … X2 (inclusive) of row Y.
type Span struct {
	Y, X1, X2 int
}

// ReadMask reads an fpM mask file (plain or gzip-compressed). Each plane is a binary table of
// OBJMASKs whose spans are stored in the heap as big-endian int16 triples (y, x1, x2), offset by
// the mask's row0 and col0; every mask's npix must match its spans.
func ReadMask(path string) (*Mask, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	h, err := f.Header(0)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not an SDSS fpM mask: %s", path, fmt.Sprintf(format, args...))
	}
	var dims [3]int64
	for i, k := range []string{"MASKCOLS", "MASKROWS", "NPLANE"} {
		if dims[i], err = h.Int(k); err != nil {
			return nil, bad("%v", err)
		}
	}
	m := &Mask{Path: path, Width: int(dims[0]), Height: int(dims[1]), Planes: map[string][]Span{}}
	nplane := int(dims[2])
	if f.NumHDU() < nplane+2 {
		return nil, bad("%d HDUs, want %d planes and the plane names", f.NumHDU(), nplane)
	}
	names, err := planeNames(f, nplane+1)
	if err != nil {
		return nil, bad("%v", err)
	}
	for p := range nplane {
		name, ok := names[p]
		if !ok {
			return nil, bad("plane %d has no name in HDU %d", p, nplane+1)
		}
		spans, err := readPlane(f, p+1, m.Width, m.Height)
		if err != nil {
			return nil, bad("plane %s (HDU %d): %v", name, p+1, err)
		}
		m.Planes[name] = spans
	}
	return m, nil
}

// planeNames reads the S_MASKTYPE table (attribute names and values) of HDU i.
func planeNames(f *fits.File, i int) (map[int]string, error) {
	t, err := f.Table(i)
	if err != nil {
		return nil, err
	}
	ac, err := t.Column("attributeName")
	if err != nil {
		return nil, err
	}
	attr, err := ac.Strings()
	if err != nil {
		return nil, err
	}
	vc, err := t.Column("Value")
	if err != nil {
		return nil, err
	}
	val, err := vc.Int64s()
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for r, a := range attr {
		if n, ok := strings.CutPrefix(strings.TrimSpace(a), "S_MASK_"); ok {
			names[int(val[r])] = n
		}
	}
	return names, nil
}

// readPlane decodes the OBJMASKs of one plane into spans clipped to the frame.
func readPlane(f *fits.File, hdu, w, h int) ([]Span, error) {
	t, err := f.Table(hdu)
	if err != nil {
		return nil, err
	}
	if t.Rows == 0 {
		return nil, nil
	}
	ints := map[string][]int64{}
	for _, name := range []string{"nspan", "row0", "col0", "npix"} {
		c, err := t.Column(name)
		if err != nil {
			return nil, err
		}
		if ints[name], err = c.Int64s(); err != nil {
			return nil, err
		}
	}
	sc, err := t.Column("s")
	if err != nil {
		return nil, err
	}
	raw, err := sc.VarBytes()
	if err != nil {
		return nil, err
	}
	var spans []Span
	for r, b := range raw {
		n := int(ints["nspan"][r])
		if n < 0 || len(b) != 6*n {
			return nil, fmt.Errorf("mask %d has %d span bytes for %d spans (want 6 per span)", r, len(b), n)
		}
		npix := 0
		for k := range n {
			s := Span{
				Y:  int(int16(binary.BigEndian.Uint16(b[6*k:]))) + int(ints["row0"][r]),
				X1: int(int16(binary.BigEndian.Uint16(b[6*k+2:]))) + int(ints["col0"][r]),
				X2: int(int16(binary.BigEndian.Uint16(b[6*k+4:]))) + int(ints["col0"][r]),
			}
			if s.X2 < s.X1 {
				return nil, fmt.Errorf("mask %d span %d runs backwards (%d..%d)", r, k, s.X1, s.X2)
			}
			npix += s.X2 - s.X1 + 1
			if s.Y < 0 || s.Y >= h {
				continue
			}
			s.X1, s.X2 = max(s.X1, 0), min(s.X2, w-1)
			if s.X1 <= s.X2 {
				spans = append(spans, s)
			}
		}
		if npix != int(ints["npix"][r]) {
			return nil, fmt.Errorf("mask %d: spans cover %d pixels, npix says %d", r, npix, ints["npix"][r])
		}
	}
	return spans, nil
}

// In returns, for each pixel of box b (row-major), whether any of the given planes covers it
// (DefaultMaskPlanes when none are given). Parts of the box outside the frame are unmasked.
// It fails on a plane the file does not have.
func (m *Mask) In(b Box, planes ...string) ([]bool, error) {
	if len(planes) == 0 {
		planes = DefaultMaskPlanes
	}
	out := make([]bool, max(b.W, 0)*max(b.H, 0))
	for _, p := range planes {
		spans, ok := m.Planes[strings.ToUpper(p)]
		if !ok {
			known := make([]string, 0, len(m.Planes))
			for k := range m.Planes {
				known = append(known, k)
			}
			slices.Sort(known)
			return nil, fmt.Errorf("%s: no mask plane %q (have %s)", m.Path, p, strings.Join(known, ", "))
		}
		for _, s := range spans {
			if s.Y < b.Y0 || s.Y >= b.Y0+b.H {
				continue
			}
			x1, x2 := max(s.X1, b.X0), min(s.X2, b.X0+b.W-1)
			for x := x1; x <= x2; x++ {
				out[(s.Y-b.Y0)*b.W+x-b.X0] = true
			}
		}
	}
	return out, nil
}
