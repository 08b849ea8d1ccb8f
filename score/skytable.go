package score

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/probcat/probcat/fits"

	"github.com/probcat/probcat/internal/tablefile"
)

// columns is a set of named columns read from a catalogue file of any kind probcat reads
// (Parquet, FITS binary table, CSV): numeric columns as float64 (nulls and empty CSV cells as
// NaN, FITS logicals as 0 and 1), text columns as strings. Only the columns asked for are read.
type columns struct {
	path  string
	rows  int
	names []string // every column of the file, in file order
	num   map[string][]float64
	str   map[string][]string
	meta  map[string]string // Parquet key-value metadata (nil for other kinds)
}

// has reports whether the column was read (under the name asked for).
func (c *columns) has(name string) bool {
	_, n := c.num[name]
	_, s := c.str[name]
	return n || s
}

// numeric returns a numeric column, or an error naming the file when the column is missing or
// holds text.
func (c *columns) numeric(name, role string) ([]float64, error) {
	if v, ok := c.num[name]; ok {
		return v, nil
	}
	if _, ok := c.str[name]; ok {
		return nil, fmt.Errorf("%s: column %q (%s) holds text, not numbers", c.path, name, role)
	}
	return nil, fmt.Errorf("%s: no column %q for %s (has %s)", c.path, name, role, strings.Join(c.names, ", "))
}

// resolve maps each wanted name to the file's column of that name: the exact name, else the
// only one equal to it ignoring case (as astropy matches FITS columns). Names not in the file
// are left out.
func resolve(names, want []string) map[string]string {
	out := map[string]string{}
	for _, w := range want {
		for _, n := range names {
			if n == w {
				out[w] = n
			}
		}
		if _, ok := out[w]; ok {
			continue
		}
		var fold []string
		for _, n := range names {
			if strings.EqualFold(n, w) {
				fold = append(fold, n)
			}
		}
		if len(fold) == 1 {
			out[w] = fold[0]
		}
	}
	return out
}

// readColumns reads the columns named in want (those present) from a Parquet file (by its
// magic bytes), a CSV file (by a .csv name) or a FITS file (anything else; compressed FITS
// too). For FITS the first binary table holding every column in required is read.
func readColumns(path string, want, required []string) (*columns, error) {
	var c *columns
	var err error
	switch {
	case tablefile.Magic(path) == "PAR1":
		c, err = readParquetColumns(path, want)
	case strings.HasSuffix(strings.ToLower(path), ".csv"):
		c, err = readCSVColumns(path, want)
	default:
		c, err = readFITSColumns(path, want, required)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func readParquetColumns(path string, want []string) (c *columns, err error) {
	err = tablefile.With(path, func(pf *parquet.File) error {
		names, leaves := tablefile.Leaves(pf)
		c = &columns{path: path, rows: int(pf.NumRows()), names: names, num: map[string][]float64{}, str: map[string][]string{}, meta: tablefile.Meta(pf)}
		for w, name := range resolve(c.names, want) {
			leaf := leaves[name]
			text := leaf.Node.Type().Kind() == parquet.ByteArray || leaf.Node.Type().Kind() == parquet.FixedLenByteArray
			var nums []float64
			var strs []string
			if text {
				strs = make([]string, 0, c.rows)
			} else {
				nums = make([]float64, 0, c.rows)
			}
			if err := tablefile.ReadColumn(pf, path, name, leaf.ColumnIndex, func(v parquet.Value) {
				switch {
				case !text:
					nums = append(nums, tablefile.Float(v))
				case v.IsNull():
					strs = append(strs, "")
				default:
					strs = append(strs, string(v.ByteArray()))
				}
			}); err != nil {
				return err
			}
			if len(nums)+len(strs) != c.rows {
				return fmt.Errorf("%s: column %q has %d values for %d rows", path, name, len(nums)+len(strs), c.rows)
			}
			if text {
				c.str[w] = strs
			} else {
				c.num[w] = nums
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// readCSVColumns reads a CSV file with a header row (lines starting with # are comments). A
// column is numeric when every cell parses as a number or is empty (NaN); otherwise text.
func readCSVColumns(path string, want []string) (*columns, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty CSV file (want a header row)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &columns{path: path, num: map[string][]float64{}, str: map[string][]string{}}
	for _, h := range head {
		c.names = append(c.names, strings.TrimSpace(h))
	}
	res := resolve(c.names, want)
	type col struct {
		want  string
		index int
		cells []string
	}
	var cols []col
	for w, name := range res {
		for i, n := range c.names {
			if n == name {
				cols = append(cols, col{want: w, index: i})
				break
			}
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for k := range cols {
			cols[k].cells = append(cols[k].cells, strings.TrimSpace(rec[cols[k].index]))
		}
		c.rows++
	}
	for _, cl := range cols {
		nums := make([]float64, len(cl.cells))
		numeric := true
		for i, s := range cl.cells {
			if s == "" {
				nums[i] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				numeric = false
				break
			}
			nums[i] = v
		}
		if numeric {
			c.num[cl.want] = nums
		} else {
			c.str[cl.want] = cl.cells
		}
	}
	return c, nil
}

// readFITSColumns reads the first binary table of a FITS file that has every required column
// (or, when none has, the first binary table, for the caller to name what is missing).
func readFITSColumns(path string, want, required []string) (*columns, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	var chosen *fits.Table
	for i := 0; i < f.NumHDU(); i++ {
		if k, err := f.Kind(i); err != nil || k != fits.KindBinaryTable {
			continue
		}
		t, err := f.Table(i)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, col := range t.Columns {
			names = append(names, col.Name)
		}
		res := resolve(names, required)
		if chosen == nil || len(res) == len(required) {
			chosen = t
		}
		if len(res) == len(required) {
			break
		}
	}
	if chosen == nil {
		return nil, fmt.Errorf("%s: no binary table", path)
	}
	c := &columns{path: path, rows: chosen.Rows, num: map[string][]float64{}, str: map[string][]string{}}
	for _, col := range chosen.Columns {
		c.names = append(c.names, col.Name)
	}
	for w, name := range resolve(c.names, want) {
		col, err := chosen.Column(name)
		if err != nil {
			return nil, err
		}
		switch {
		case col.Type == 'A':
			s, err := col.Strings()
			if err != nil {
				return nil, fmt.Errorf("%s: column %q: %w", path, name, err)
			}
			c.str[w] = s
		case col.Type == 'L' && col.Repeat == 1:
			b, err := col.Bools()
			if err != nil {
				return nil, fmt.Errorf("%s: column %q: %w", path, name, err)
			}
			v := make([]float64, len(b))
			for k, x := range b {
				if x {
					v[k] = 1
				}
			}
			c.num[w] = v
		case col.Repeat == 1:
			v, err := col.Float64s()
			if err != nil {
				return nil, fmt.Errorf("%s: column %q: %w", path, name, err)
			}
			c.num[w] = v
		default:
			return nil, fmt.Errorf("%s: column %q holds %d values per row, want one", path, name, col.Repeat)
		}
	}
	return c, nil
}

// Condition selects catalogue rows by one column: Column Op Value, where Op is =, !=, <, <=,
// > or >=. Numeric columns compare as numbers (NaN fails every test but !=); text columns
// allow = and != only, comparing the trimmed text exactly.
type Condition struct {
	Column, Op, Value string
}

// String gives the condition as it is written on the command line.
func (c Condition) String() string { return c.Column + c.Op + c.Value }

// ParseCondition reads COLUMN=VALUE, COLUMN!=VALUE, COLUMN<VALUE, COLUMN<=VALUE, COLUMN>VALUE
// or COLUMN>=VALUE.
func ParseCondition(s string) (Condition, error) {
	i := strings.IndexAny(s, "=!<>")
	if i <= 0 {
		return Condition{}, fmt.Errorf("condition %q: want COLUMN=VALUE (or !=, <, <=, >, >=)", s)
	}
	op := s[i : i+1]
	if i+1 < len(s) && s[i+1] == '=' && op != "=" {
		op += "="
	}
	if op == "!" {
		return Condition{}, fmt.Errorf("condition %q: want COLUMN=VALUE (or !=, <, <=, >, >=)", s)
	}
	c := Condition{Column: strings.TrimSpace(s[:i]), Op: op, Value: strings.TrimSpace(s[i+len(op):])}
	if c.Column == "" || c.Value == "" {
		return Condition{}, fmt.Errorf("condition %q: want COLUMN=VALUE (or !=, <, <=, >, >=)", s)
	}
	return c, nil
}

// selectRows returns, for each row, whether it passes every condition.
func selectRows(c *columns, conds []Condition) ([]bool, error) {
	keep := make([]bool, c.rows)
	for i := range keep {
		keep[i] = true
	}
	for _, cd := range conds {
		if v, ok := c.num[cd.Column]; ok {
			x, err := strconv.ParseFloat(cd.Value, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: column %q is numeric but %q is not a number", c.path, cd, cd.Column, cd.Value)
			}
			for i, y := range v {
				var ok bool
				switch cd.Op {
				case "=":
					ok = y == x
				case "!=":
					ok = y != x
				case "<":
					ok = y < x
				case "<=":
					ok = y <= x
				case ">":
					ok = y > x
				case ">=":
					ok = y >= x
				}
				keep[i] = keep[i] && ok
			}
			continue
		}
		if v, ok := c.str[cd.Column]; ok {
			if cd.Op != "=" && cd.Op != "!=" {
				return nil, fmt.Errorf("%s: %s: column %q holds text, which allows only = and !=", c.path, cd, cd.Column)
			}
			for i, s := range v {
				eq := strings.TrimSpace(s) == cd.Value
				keep[i] = keep[i] && eq == (cd.Op == "=")
			}
			continue
		}
		return nil, fmt.Errorf("%s: no column %q for --truth-where %s (has %s)", c.path, cd.Column, cd, strings.Join(c.names, ", "))
	}
	return keep, nil
}
