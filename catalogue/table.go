package catalogue

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/gzip"

	"github.com/probcat/probcat/internal/atomicfile"
)

// colKind is the physical type of a column of ours: int32 for counters, float64 for the rest,
// and nullable float64 for parameters some rows lack (NaN is written as null).
type colKind int

const (
	kindInt32 colKind = iota
	kindDouble
	kindOptDouble
)

// column names one column of a table and its type.
type column struct {
	name string
	kind colKind
}

// schemaOf builds a Parquet schema whose columns keep the given order (parquet.Group would
// sort them by name), through a struct type made at run time: parquet-go keeps struct order.
func schemaOf(cols []column) *parquet.Schema {
	fields := make([]reflect.StructField, len(cols))
	for i, c := range cols {
		typ, tag := reflect.TypeFor[float64](), c.name
		switch c.kind {
		case kindInt32:
			typ = reflect.TypeFor[int32]()
		case kindOptDouble:
			typ, tag = reflect.TypeFor[*float64](), c.name+",optional"
		}
		fields[i] = reflect.StructField{
			Name: fmt.Sprintf("F%d", i),
			Type: typ,
			Tag:  reflect.StructTag(`parquet:"` + tag + `"`),
		}
	}
	return parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Elem().Interface())
}

// rowsPerGroup bounds the rows buffered in memory before a row group is written out.
const rowsPerGroup = 1 << 18

// rowsPerBatch is how many rows are handed to the Parquet writer at once.
const rowsPerBatch = 256

// tableWriter streams rows of a flat table to a Parquet file under a temporary name and renames
// it into place on close. Equal input gives equal bytes: no timestamps, fixed creator string,
// key-value metadata in sorted key order.
type tableWriter struct {
	path, tmp string
	f         *os.File
	w         *parquet.Writer
	cols      []column
	batch     []parquet.Row
	nb        int // rows used in batch
	inGroup   int // rows written since the last row group
	err       error
}

// createTable opens path for writing a table with the given columns and file metadata (plus
// the pixel convention, when the table has an x column: see withPixelOrigin).
func createTable(path string, cols []column, meta map[string]string) (*tableWriter, error) {
	f, err := os.Create(atomicfile.TempName(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	opts := []parquet.WriterOption{
		schemaOf(cols),
		&parquet.WriterConfig{CreatedBy: "probcat"}, // no library version or build: bytes depend only on the data
		parquet.Compression(&gzip.Codec{Level: gzip.BestSpeed}),
	}
	meta = withPixelOrigin(cols, meta)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, parquet.KeyValueMetadata(k, meta[k]))
	}
	t := &tableWriter{path: path, tmp: f.Name(), f: f, cols: cols, w: parquet.NewWriter(f, opts...)}
	t.batch = make([]parquet.Row, rowsPerBatch)
	for i := range t.batch {
		t.batch[i] = make(parquet.Row, len(cols))
	}
	return t, nil
}

// add appends one row; vals holds one number per column, in column order (int32 columns
// take integral values; NaN in a nullable column is null).
func (t *tableWriter) add(vals ...float64) error {
	if t.err != nil {
		return t.err
	}
	row := t.batch[t.nb]
	for i, c := range t.cols {
		switch {
		case c.kind == kindInt32:
			row[i] = parquet.Int32Value(int32(vals[i])).Level(0, 0, i)
		case c.kind == kindOptDouble && math.IsNaN(vals[i]):
			row[i] = parquet.NullValue().Level(0, 0, i)
		case c.kind == kindOptDouble:
			row[i] = parquet.DoubleValue(vals[i]).Level(0, 1, i)
		default:
			row[i] = parquet.DoubleValue(vals[i]).Level(0, 0, i)
		}
	}
	t.nb++
	if t.nb == len(t.batch) {
		return t.flushBatch()
	}
	return nil
}

func (t *tableWriter) flushBatch() error {
	if t.nb == 0 {
		return t.err
	}
	if _, err := t.w.WriteRows(t.batch[:t.nb]); err != nil {
		t.fail(err)
		return t.err
	}
	t.inGroup += t.nb
	t.nb = 0
	if t.inGroup >= rowsPerGroup {
		if err := t.w.Flush(); err != nil {
			t.fail(err)
			return t.err
		}
		t.inGroup = 0
	}
	return nil
}

// fail records the first error and removes the temporary file.
func (t *tableWriter) fail(err error) {
	if t.err == nil {
		t.err = fmt.Errorf("%s: %w", t.path, err)
	}
	t.abort()
}

func (t *tableWriter) abort() {
	if t.f != nil {
		t.f.Close()
		os.Remove(t.tmp)
		t.f = nil
	}
}

// close finishes the file and renames it into place.
func (t *tableWriter) close() error {
	if t.err != nil {
		return t.err
	}
	if t.f == nil {
		return fmt.Errorf("%s: writer already closed", t.path)
	}
	if err := t.flushBatch(); err != nil {
		return err
	}
	if err := t.w.Close(); err != nil {
		t.fail(err)
		return t.err
	}
	if err := t.f.Sync(); err != nil {
		t.fail(err)
		return t.err
	}
	if err := t.f.Close(); err != nil {
		t.f = nil
		os.Remove(t.tmp)
		t.err = fmt.Errorf("%s: %w", t.path, err)
		return t.err
	}
	t.f = nil
	if err := os.Rename(t.tmp, t.path); err != nil {
		os.Remove(t.tmp)
		t.err = fmt.Errorf("%s: %w", t.path, err)
		return t.err
	}
	t.err = errors.New(t.path + ": writer already closed")
	return nil
}

// table is a flat table read back from Parquet: the named columns as float64 (integer columns
// converted; nulls become NaN), plus the file's key-value metadata.
type table struct {
	names []string
	cols  map[string][]float64
	meta  map[string]string
	rows  int
}

// readTable reads every column of a flat Parquet file. required lists columns that must be
// present.
func readTable(path string, required ...string) (tab *table, err error) {
	return readTableBand(path, "", required...)
}

// readTableBand is readTable that, for a multi-band catalogue, reads band's flux_<band> and
// flux_<band>_err columns as flux and flux_err (selectBand).
func readTableBand(path, band string, required ...string) (tab *table, err error) {
	err = withParquet(path, func(pf *parquet.File) error {
		names, leaves := flatLeaves(pf)
		tab = &table{names: names, cols: map[string][]float64{}, meta: parquetMeta(pf), rows: int(pf.NumRows())}
		_, multi := tab.meta[bandsKey]
		for _, name := range required {
			if _, ok := leaves[name]; !ok && !(multi && name == "flux") {
				return fmt.Errorf("%s: no column %q (has %s)", path, name, strings.Join(tab.names, ", "))
			}
		}
		// Column by column, page by page: no row assembly.
		for _, name := range tab.names {
			col := make([]float64, 0, tab.rows)
			if err := readColumn(pf, path, name, leaves[name].ColumnIndex, func(v parquet.Value) {
				col = append(col, valueFloat(v))
			}); err != nil {
				return err
			}
			if len(col) != tab.rows {
				return fmt.Errorf("%s: column %q has %d values for %d rows", path, name, len(col), tab.rows)
			}
			tab.cols[name] = col
		}
		return selectBand(path, tab, band)
	})
	if err != nil {
		return nil, err
	}
	return tab, nil
}

// readMeta returns a Parquet file's key-value metadata without reading its columns.
func readMeta(path string) (meta map[string]string, err error) {
	err = withParquet(path, func(pf *parquet.File) error {
		meta = parquetMeta(pf)
		return nil
	})
	return meta, err
}

// withParquet opens a Parquet file and hands it to fn, turning the panics parquet-go raises
// on some malformed files into an error naming the file: a bad file must give an error, not a
// crash.
func withParquet(path string, fn func(pf *parquet.File) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: malformed Parquet file (%v)", path, r)
		}
	}()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	return fn(pf)
}

// flatLeaves returns the names of a Parquet file's top-level, non-repeated leaf columns in
// schema order, and their leaves by name.
func flatLeaves(pf *parquet.File) ([]string, map[string]parquet.LeafColumn) {
	schema := pf.Schema()
	var names []string
	leaves := map[string]parquet.LeafColumn{}
	for _, fl := range schema.Fields() {
		if !fl.Leaf() || fl.Repeated() {
			continue
		}
		leaf, ok := schema.Lookup(fl.Name())
		if !ok {
			continue
		}
		leaves[fl.Name()] = leaf
		names = append(names, fl.Name())
	}
	return names, leaves
}

// parquetMeta returns a Parquet file's key-value metadata.
func parquetMeta(pf *parquet.File) map[string]string {
	meta := map[string]string{}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		meta[kv.Key] = kv.Value
	}
	return meta
}

// readColumn hands every value of column ci (named name, for errors) of every row group to
// fn, page by page.
func readColumn(pf *parquet.File, path, name string, ci int, fn func(parquet.Value)) error {
	buf := make([]parquet.Value, 4096)
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		if ci >= len(chunks) {
			return fmt.Errorf("%s: row group lacks column %q", path, name)
		}
		pages := chunks[ci].Pages()
		for {
			p, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				pages.Close()
				return fmt.Errorf("%s: column %q: %w", path, name, err)
			}
			vr := p.Values()
			for {
				n, err := vr.ReadValues(buf)
				for _, v := range buf[:n] {
					fn(v)
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					parquet.Release(p)
					pages.Close()
					return fmt.Errorf("%s: column %q: %w", path, name, err)
				}
			}
			parquet.Release(p)
		}
		pages.Close()
	}
	return nil
}

// valueFloat converts a numeric Parquet value to float64 (NaN for null or non-numeric).
func valueFloat(v parquet.Value) float64 {
	if v.IsNull() {
		return math.NaN()
	}
	switch v.Kind() {
	case parquet.Int32:
		return float64(v.Int32())
	case parquet.Int64:
		return float64(v.Int64())
	case parquet.Float:
		return float64(v.Float())
	case parquet.Double:
		return v.Double()
	case parquet.Boolean:
		if v.Boolean() {
			return 1
		}
		return 0
	}
	return math.NaN()
}
