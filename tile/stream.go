package tile

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/tablefile"
)

// ensembleStream reads a tile's ensemble.parquet row by row, one sample at a time, holding no
// more than a buffer of rows: the merge keeps every tile's file open at once.
type ensembleStream struct {
	path   string
	f      *os.File
	groups []parquet.RowGroup
	g      int
	rows   parquet.Rows
	buf    []parquet.Row
	n, i   int   // rows in buf, next row
	col    []int // chain, sample, x, y, flux, then for mixed kinds kind and the kinds' parameters
	meta   map[string]string
	kinds  *catalogue.Kinds
	params []float64 // take's scratch
	eof    bool
}

// openEnsemble opens path for streaming.
func openEnsemble(path string) (s *ensembleStream, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: malformed Parquet file (%v)", path, r)
		}
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	s = &ensembleStream{path: path, f: f, groups: pf.RowGroups(), buf: make([]parquet.Row, 256), meta: tablefile.Meta(pf)}
	if s.kinds, err = catalogue.KindsFromMeta(path, s.meta); err != nil {
		return nil, err
	}
	names := []string{"chain", "sample", "x", "y", "flux"}
	if s.kinds != nil {
		names = append(append(names, "kind"), s.kinds.Params...)
		s.params = make([]float64, len(s.kinds.Params))
	}
	for _, name := range names {
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			return nil, fmt.Errorf("%s: no column %q", path, name)
		}
		s.col = append(s.col, leaf.ColumnIndex)
	}
	return s, nil
}

// fill makes row s.i available; it returns false at the end of the file.
func (s *ensembleStream) fill() (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("%s: malformed Parquet file (%v)", s.path, r)
		}
	}()
	for s.i >= s.n {
		if s.eof {
			return false, nil
		}
		if s.rows == nil {
			if s.g == len(s.groups) {
				s.eof = true
				return false, nil
			}
			s.rows = s.groups[s.g].Rows()
			s.g++
		}
		n, err := s.rows.ReadRows(s.buf)
		s.n, s.i = n, 0
		if errors.Is(err, io.EOF) {
			s.rows.Close()
			s.rows = nil
		} else if err != nil {
			return false, fmt.Errorf("%s: %w", s.path, err)
		}
	}
	return true, nil
}

// value returns column k (in the order of ensembleStream.col) of row r, NaN for a null.
func (s *ensembleStream) value(r parquet.Row, k int) float64 {
	c := s.col[k]
	for _, v := range r {
		if v.Column() == c {
			return tablefile.Float(v)
		}
	}
	return 0
}

// take calls fn for every row of sample (chain, index), which must be the next one in the
// file (files are ordered by chain, then sample; a sample with no source has no row), with
// for mixed kinds the source's kind and parameters (a scratch slice fn must not keep).
func (s *ensembleStream) take(chain, index int, fn func(x, y, flux float64, kind int32, params []float64)) error {
	for {
		ok, err := s.fill()
		if err != nil || !ok {
			return err
		}
		r := s.buf[s.i]
		c, k := int(s.value(r, 0)), int(s.value(r, 1))
		if c != chain || k != index {
			if c < chain || (c == chain && k < index) {
				return fmt.Errorf("%s: rows of sample %d of chain %d are out of order", s.path, k, c)
			}
			return nil
		}
		var kind int32
		if s.kinds != nil {
			kind = int32(s.value(r, 5))
			for j := range s.params {
				s.params[j] = s.value(r, 6+j)
			}
		}
		fn(s.value(r, 2), s.value(r, 3), s.value(r, 4), kind, s.params)
		s.i++
	}
}

// finish checks that every row was taken and closes the file.
func (s *ensembleStream) finish() error {
	ok, err := s.fill()
	s.close()
	if err != nil {
		return err
	}
	if ok {
		r := s.buf[s.i]
		return fmt.Errorf("%s: unexpected rows for sample %d of chain %d", s.path, int(s.value(r, 1)), int(s.value(r, 0)))
	}
	return nil
}

func (s *ensembleStream) close() {
	if s.rows != nil {
		s.rows.Close()
		s.rows = nil
	}
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
