// Package tablefile reads and writes the flat tables of probcat's files, for the packages
// that own those files (catalogue, score): Parquet tables of numeric columns written
// atomically with the same bytes for the same rows, Parquet columns read page by page into
// float64, the kind of a file from its first bytes, and the metadata key that lists an
// ensemble's samples without sources.
package tablefile

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/gzip"

	"github.com/probcat/probcat/internal/atomicfile"
)

// Kind is the physical type of a column of ours: int32 for counters, float64 for the rest,
// and nullable float64 for parameters some rows lack (NaN is written as null).
type Kind int

// The kinds of column.
const (
	Int32 Kind = iota
	Double
	OptDouble
)

// Column names one column of a table and its type.
type Column struct {
	Name string
	Kind Kind
}

// schemaOf builds a Parquet schema whose columns keep the given order (parquet.Group would
// sort them by name), through a struct type made at run time: parquet-go keeps struct order.
func schemaOf(cols []Column) *parquet.Schema {
	fields := make([]reflect.StructField, len(cols))
	for i, c := range cols {
		typ, tag := reflect.TypeFor[float64](), c.Name
		switch c.Kind {
		case Int32:
			typ = reflect.TypeFor[int32]()
		case OptDouble:
			typ, tag = reflect.TypeFor[*float64](), c.Name+",optional"
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

// Writer streams rows of a flat table to a Parquet file under a temporary name and renames
// it into place on close. Equal input gives equal bytes: no timestamps, fixed creator string,
// key-value metadata in sorted key order.
type Writer struct {
	path, tmp string
	f         *os.File
	w         *parquet.Writer
	cols      []Column
	batch     []parquet.Row
	nb        int // rows used in batch
	inGroup   int // rows written since the last row group
	err       error
}

// Create opens path for writing a table with the given columns and file metadata.
func Create(path string, cols []Column, meta map[string]string) (*Writer, error) {
	f, err := os.Create(atomicfile.TempName(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	opts := []parquet.WriterOption{
		schemaOf(cols),
		&parquet.WriterConfig{CreatedBy: "probcat"}, // no library version or build: bytes depend only on the data
		parquet.Compression(&gzip.Codec{Level: gzip.BestSpeed}),
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, parquet.KeyValueMetadata(k, meta[k]))
	}
	t := &Writer{path: path, tmp: f.Name(), f: f, cols: cols, w: parquet.NewWriter(f, opts...)}
	t.batch = make([]parquet.Row, rowsPerBatch)
	for i := range t.batch {
		t.batch[i] = make(parquet.Row, len(cols))
	}
	return t, nil
}

// Add appends one row; vals holds one number per column, in column order (int32 columns
// take integral values; NaN in a nullable column is null).
func (t *Writer) Add(vals ...float64) error {
	if t.err != nil {
		return t.err
	}
	row := t.batch[t.nb]
	for i, c := range t.cols {
		switch {
		case c.Kind == Int32:
			row[i] = parquet.Int32Value(int32(vals[i])).Level(0, 0, i)
		case c.Kind == OptDouble && math.IsNaN(vals[i]):
			row[i] = parquet.NullValue().Level(0, 0, i)
		case c.Kind == OptDouble:
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

func (t *Writer) flushBatch() error {
	if t.nb == 0 {
		return t.err
	}
	if _, err := t.w.WriteRows(t.batch[:t.nb]); err != nil {
		return t.Fail(err)
	}
	t.inGroup += t.nb
	t.nb = 0
	if t.inGroup >= rowsPerGroup {
		if err := t.w.Flush(); err != nil {
			return t.Fail(err)
		}
		t.inGroup = 0
	}
	return nil
}

// Fail records err as the writer's failure unless it has one already, removes the
// temporary file and returns the failure (the first), naming the file.
func (t *Writer) Fail(err error) error {
	if t.err == nil {
		t.err = fmt.Errorf("%s: %w", t.path, err)
	}
	t.Abort()
	return t.err
}

// Abort removes the unfinished file.
func (t *Writer) Abort() {
	if t.f != nil {
		t.f.Close()
		os.Remove(t.tmp)
		t.f = nil
	}
}

// SetMeta sets a key of the file's metadata, for values known only once every row is written;
// it does nothing after a failure.
func (t *Writer) SetMeta(key, value string) {
	if t.err == nil {
		t.w.SetKeyValueMetadata(key, value)
	}
}

// Close finishes the file and renames it into place.
func (t *Writer) Close() error {
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
		return t.Fail(err)
	}
	if err := t.f.Sync(); err != nil {
		return t.Fail(err)
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

// With opens a Parquet file and hands it to fn, turning the panics parquet-go raises
// on some malformed files into an error naming the file: a bad file must give an error, not a
// crash.
func With(path string, fn func(pf *parquet.File) error) (err error) {
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

// Leaves returns the names of a Parquet file's top-level, non-repeated leaf columns in
// schema order, and their leaves by name.
func Leaves(pf *parquet.File) ([]string, map[string]parquet.LeafColumn) {
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

// Meta returns a Parquet file's key-value metadata.
func Meta(pf *parquet.File) map[string]string {
	meta := map[string]string{}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		meta[kv.Key] = kv.Value
	}
	return meta
}

// ReadColumn hands every value of column ci (named name, for errors) of every row group to
// fn, page by page.
func ReadColumn(pf *parquet.File, path, name string, ci int, fn func(parquet.Value)) error {
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

// Float converts a numeric Parquet value to float64 (NaN for null or non-numeric).
func Float(v parquet.Value) float64 {
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

// Magic names the kind of file from its first bytes: "PAR1" (Parquet), "SIMPLE" (uncompressed
// FITS), "PK" (zip, as NumPy .npz) or "" for anything else (taken as text).
func Magic(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b [9]byte
	n, _ := io.ReadFull(f, b[:])
	h := string(b[:n])
	switch {
	case strings.HasPrefix(h, "PAR1"):
		return "PAR1"
	case strings.HasPrefix(h, "SIMPLE  ="):
		return "SIMPLE"
	case strings.HasPrefix(h, "PK\x03\x04"):
		return "PK"
	}
	return ""
}

// EmptySamplesKey is the file metadata key listing, as JSON [[chain, sample], ...], the samples
// that had no source, so that a reader recovers every sample.
const EmptySamplesKey = "probcat.empty_samples"

// WithEmptySamples adds to the samples read from an ensemble's rows those that its metadata
// lists as empty (they have no row), and sorts them by chain then sample.
// id gives a sample's chain and index, and empty makes an empty sample.
func WithEmptySamples[S any](path string, meta map[string]string, out []S, id func(*S) (int, int), empty func(chain, index int) S) ([]S, error) {
	if v, ok := meta[EmptySamplesKey]; ok {
		var list [][2]int
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return nil, fmt.Errorf("%s: bad %s metadata: %v", path, EmptySamplesKey, err)
		}
		seen := make(map[[2]int]bool, len(out))
		for i := range out {
			c, s := id(&out[i])
			seen[[2]int{c, s}] = true
		}
		for _, e := range list {
			if seen[e] {
				return nil, fmt.Errorf("%s: sample %d of chain %d is listed as empty but has rows", path, e[1], e[0])
			}
			seen[e] = true
			out = append(out, empty(e[0], e[1]))
		}
	}
	slices.SortStableFunc(out, func(a, b S) int {
		ca, ia := id(&a)
		cb, ib := id(&b)
		return cmp.Or(cmp.Compare(ca, cb), cmp.Compare(ia, ib))
	})
	return out, nil
}
