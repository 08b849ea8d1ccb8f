package fits

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/probcat/probcat/internal/atomicfile"
)

// HDU is an HDU to write: an ImageHDU or a TableHDU.
type HDU interface{ isHDU() }

// ImageHDU is an image to write. Data fixes BITPIX: []uint8 (8), []int16 (16), []int32 (32),
// []int64 (64), []float32 (−32) or []float64 (−64), with Width×Height values, row-major
// (Data[y*Width+x]). Nil Data with zero size writes a header-only HDU. Values are stored as given:
// for integer data, BSCALE/BZERO/BLANK cards in Header describe them to readers; for real data
// those cards are dropped (see appendUser).
type ImageHDU struct {
	Name          string  // EXTNAME, optional
	Header        *Header // extra cards, may be nil; structural cards in it are ignored
	Width, Height int
	Data          any
}

// TableHDU is a binary table to write.
type TableHDU struct {
	Name    string  // EXTNAME, optional
	Header  *Header // extra cards, may be nil; structural and column cards in it are ignored
	Columns []TableColumn
}

// TableColumn is one column to write. Data is []float64 (D), []float32 (E), []int64 (K),
// []int32 (J), []int16 (I), []uint8 (B), []bool (L) or []string (A, as wide as the longest
// string). Numeric and logical columns hold Repeat values per row (Repeat 0 means 1), so Data
// has rows×Repeat values; Dim, if set, is written as TDIM (product must equal Repeat).
type TableColumn struct {
	Name   string
	Unit   string
	Data   any
	Repeat int
	Dim    []int
}

func (ImageHDU) isHDU() {}
func (TableHDU) isHDU() {}

// Write writes the HDUs to path as one FITS file: the first ImageHDU becomes the primary HDU
// (an empty primary is added when the first HDU is a table), the others become extensions. The
// file is written under a temporary name in the same folder and renamed, so a failure leaves no
// partial file.
func Write(path string, hdus ...HDU) error {
	if len(hdus) == 0 {
		return fmt.Errorf("fits: %s: nothing to write", path)
	}
	if _, ok := hdus[0].(TableHDU); ok {
		hdus = append([]HDU{ImageHDU{}}, hdus...)
	}
	err := atomicfile.Write(path, func(w *bufio.Writer) error {
		for i, h := range hdus {
			var err error
			switch h := h.(type) {
			case ImageHDU:
				err = encodeImage(w, h, i == 0, len(hdus) > 1)
			case *ImageHDU:
				err = encodeImage(w, *h, i == 0, len(hdus) > 1)
			case TableHDU:
				err = encodeTable(w, h)
			case *TableHDU:
				err = encodeTable(w, *h)
			default:
				err = fmt.Errorf("unknown HDU type %T", h)
			}
			if err != nil {
				return fmt.Errorf("HDU %d: %v", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fits: %w", err)
	}
	return nil
}

func encodeImage(buf *bufio.Writer, h ImageHDU, primary, extend bool) error {
	var bitpix, n int
	switch d := h.Data.(type) {
	case nil:
		if h.Width != 0 || h.Height != 0 {
			return fmt.Errorf("image is %d×%d but has no data", h.Width, h.Height)
		}
		bitpix = 8
	case []uint8:
		bitpix, n = 8, len(d)
	case []int16:
		bitpix, n = 16, len(d)
	case []int32:
		bitpix, n = 32, len(d)
	case []int64:
		bitpix, n = 64, len(d)
	case []float32:
		bitpix, n = -32, len(d)
	case []float64:
		bitpix, n = -64, len(d)
	default:
		return fmt.Errorf("unsupported image data type %T", h.Data)
	}
	if h.Data != nil && (h.Width <= 0 || h.Height <= 0 || n != h.Width*h.Height) {
		return fmt.Errorf("image is %d×%d but has %d values", h.Width, h.Height, n)
	}
	var cards []Card
	if primary {
		cards = append(cards, Card{Key: "SIMPLE", Value: true, Comment: "conforms to FITS standard"})
	} else {
		cards = append(cards, Card{Key: "XTENSION", Value: "IMAGE", Comment: "image extension"})
	}
	cards = append(cards, Card{Key: "BITPIX", Value: int64(bitpix), Comment: "array data type"})
	if h.Data == nil {
		cards = append(cards, Card{Key: "NAXIS", Value: int64(0), Comment: "number of array dimensions"})
	} else {
		cards = append(cards,
			Card{Key: "NAXIS", Value: int64(2), Comment: "number of array dimensions"},
			Card{Key: "NAXIS1", Value: int64(h.Width), Comment: "columns (x)"},
			Card{Key: "NAXIS2", Value: int64(h.Height), Comment: "rows (y)"})
	}
	if primary {
		if extend {
			cards = append(cards, Card{Key: "EXTEND", Value: true})
		}
	} else {
		cards = append(cards, Card{Key: "PCOUNT", Value: int64(0)}, Card{Key: "GCOUNT", Value: int64(1)})
	}
	if h.Name != "" {
		cards = append(cards, Card{Key: "EXTNAME", Value: h.Name, Comment: "extension name"})
	}
	cards = appendUser(cards, h.Header, false, bitpix < 0)
	if err := encodeHeader(buf, cards); err != nil {
		return err
	}
	// The data go out in chunks of whole values through a small buffer rather than as one
	// image-sized copy: images can be hundreds of megabytes.
	size := max(bitpix, -bitpix) / 8
	chunk := make([]byte, min(n, 1<<14)*size)
	be := binary.BigEndian
	for lo := 0; lo < n; lo += len(chunk) / size {
		hi := min(n, lo+len(chunk)/size)
		out := chunk[:(hi-lo)*size]
		switch d := h.Data.(type) {
		case []uint8:
			copy(out, d[lo:hi])
		case []int16:
			for i, v := range d[lo:hi] {
				be.PutUint16(out[2*i:], uint16(v))
			}
		case []int32:
			for i, v := range d[lo:hi] {
				be.PutUint32(out[4*i:], uint32(v))
			}
		case []int64:
			for i, v := range d[lo:hi] {
				be.PutUint64(out[8*i:], uint64(v))
			}
		case []float32:
			for i, v := range d[lo:hi] {
				be.PutUint32(out[4*i:], math.Float32bits(v))
			}
		case []float64:
			for i, v := range d[lo:hi] {
				be.PutUint64(out[8*i:], math.Float64bits(v))
			}
		}
		buf.Write(out)
	}
	pad(buf, n*size, 0)
	return nil
}

type colEnc struct {
	form  string
	width int
	rows  int
	put   func(b []byte, r int) // writes row r into b (width bytes)
}

func columnEncoder(c TableColumn) (colEnc, error) {
	rep := c.Repeat
	if rep == 0 {
		rep = 1
	}
	if rep < 0 {
		return colEnc{}, fmt.Errorf("column %s: negative Repeat", c.Name)
	}
	be := binary.BigEndian
	num := func(n, size int, code string, put func(b []byte, i int)) (colEnc, error) {
		if n%rep != 0 {
			return colEnc{}, fmt.Errorf("column %s: %d values is not a multiple of Repeat %d", c.Name, n, rep)
		}
		return colEnc{form: strconv.Itoa(rep) + code, width: rep * size, rows: n / rep, put: func(b []byte, r int) {
			for k := range rep {
				put(b[k*size:], r*rep+k)
			}
		}}, nil
	}
	switch d := c.Data.(type) {
	case []float64:
		return num(len(d), 8, "D", func(b []byte, i int) { be.PutUint64(b, math.Float64bits(d[i])) })
	case []float32:
		return num(len(d), 4, "E", func(b []byte, i int) { be.PutUint32(b, math.Float32bits(d[i])) })
	case []int64:
		return num(len(d), 8, "K", func(b []byte, i int) { be.PutUint64(b, uint64(d[i])) })
	case []int32:
		return num(len(d), 4, "J", func(b []byte, i int) { be.PutUint32(b, uint32(d[i])) })
	case []int16:
		return num(len(d), 2, "I", func(b []byte, i int) { be.PutUint16(b, uint16(d[i])) })
	case []uint8:
		return num(len(d), 1, "B", func(b []byte, i int) { b[0] = d[i] })
	case []bool:
		return num(len(d), 1, "L", func(b []byte, i int) {
			b[0] = 'F'
			if d[i] {
				b[0] = 'T'
			}
		})
	case []string:
		if rep != 1 {
			return colEnc{}, fmt.Errorf("column %s: string columns take no Repeat", c.Name)
		}
		w := 1
		for r, s := range d {
			for i := range len(s) {
				if s[i] < 32 || s[i] > 126 {
					return colEnc{}, fmt.Errorf("column %s row %d: string is not printable ASCII", c.Name, r)
				}
			}
			w = max(w, len(s))
		}
		return colEnc{form: strconv.Itoa(w) + "A", width: w, rows: len(d), put: func(b []byte, r int) {
			n := copy(b, d[r])
			clear(b[n:w]) // NUL-terminated, as astropy and cfitsio write
		}}, nil
	}
	return colEnc{}, fmt.Errorf("column %s: unsupported data type %T", c.Name, c.Data)
}

func encodeTable(buf *bufio.Writer, t TableHDU) error {
	encs := make([]colEnc, len(t.Columns))
	rowLen, rows := 0, -1
	for i, c := range t.Columns {
		if c.Name == "" {
			return fmt.Errorf("column %d has no name", i+1)
		}
		e, err := columnEncoder(c)
		if err != nil {
			return err
		}
		if rows >= 0 && e.rows != rows {
			return fmt.Errorf("column %s has %d rows, column %s has %d", c.Name, e.rows, t.Columns[0].Name, rows)
		}
		if len(c.Dim) > 0 {
			p := 1
			for _, d := range c.Dim {
				p *= d
			}
			if _, isStr := c.Data.([]string); isStr || p != max(c.Repeat, 1) {
				return fmt.Errorf("column %s: TDIM %v does not match Repeat %d", c.Name, c.Dim, c.Repeat)
			}
		}
		rows = e.rows
		encs[i] = e
		rowLen += e.width
	}
	rows = max(rows, 0)
	cards := []Card{
		{Key: "XTENSION", Value: "BINTABLE", Comment: "binary table extension"},
		{Key: "BITPIX", Value: int64(8), Comment: "array data type"},
		{Key: "NAXIS", Value: int64(2), Comment: "number of array dimensions"},
		{Key: "NAXIS1", Value: int64(rowLen), Comment: "bytes per row"},
		{Key: "NAXIS2", Value: int64(rows), Comment: "number of rows"},
		{Key: "PCOUNT", Value: int64(0), Comment: "size of the heap"},
		{Key: "GCOUNT", Value: int64(1)},
		{Key: "TFIELDS", Value: int64(len(t.Columns)), Comment: "number of columns"},
	}
	for i, c := range t.Columns {
		n := strconv.Itoa(i + 1)
		cards = append(cards, Card{Key: "TTYPE" + n, Value: c.Name}, Card{Key: "TFORM" + n, Value: encs[i].form})
		if c.Unit != "" {
			cards = append(cards, Card{Key: "TUNIT" + n, Value: c.Unit})
		}
		if len(c.Dim) > 0 {
			s := make([]string, len(c.Dim))
			for k, d := range c.Dim {
				s[k] = strconv.Itoa(d)
			}
			cards = append(cards, Card{Key: "TDIM" + n, Value: "(" + strings.Join(s, ",") + ")"})
		}
	}
	if t.Name != "" {
		cards = append(cards, Card{Key: "EXTNAME", Value: t.Name, Comment: "extension name"})
	}
	cards = appendUser(cards, t.Header, true, false)
	if err := encodeHeader(buf, cards); err != nil {
		return err
	}
	row := make([]byte, rowLen)
	for r := range rows {
		off := 0
		for _, e := range encs {
			e.put(row[off:off+e.width], r)
			off += e.width
		}
		buf.Write(row)
	}
	pad(buf, rows*rowLen, 0)
	return nil
}

var (
	structural  = regexp.MustCompile(`^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|EXTNAME|END|GROUPS|THEAP|CHECKSUM|DATASUM)$`)
	scaling     = regexp.MustCompile(`^(BSCALE|BZERO|BLANK)$`)
	columnKey   = regexp.MustCompile(`^(TFIELDS|T(TYPE|FORM|UNIT|DIM|SCAL|ZERO|NULL|DISP|BCOL)\d+)$`)
	validKey    = regexp.MustCompile(`^[A-Z0-9_-]{1,8}$`)
	hierarchKey = regexp.MustCompile(`^[A-Z0-9_-]+( [A-Z0-9_-]+)*$`)
)

// appendUser appends the caller's cards, leaving out those Write derives from the data (and
// checksums, which would be stale): a header read from one file can be passed to Write without
// producing inconsistent structure cards. For real-valued images BSCALE, BZERO and BLANK are left
// out too: Image.Pix already has them applied, so copying them would apply them twice.
func appendUser(cards []Card, h *Header, table, real bool) []Card {
	if h == nil {
		return cards
	}
	for _, c := range h.cards {
		if structural.MatchString(c.Key) || (table && columnKey.MatchString(c.Key)) || (real && scaling.MatchString(c.Key)) {
			continue
		}
		cards = append(cards, c)
	}
	return cards
}

func encodeHeader(buf *bufio.Writer, cards []Card) error {
	n := 0
	long, hasLongstrn := false, false
	for _, c := range cards {
		lines, err := formatCard(c)
		if err != nil {
			return err
		}
		for _, l := range lines {
			buf.WriteString(l)
			n += len(l)
			long = long || strings.HasPrefix(l, "CONTINUE")
		}
		hasLongstrn = hasLongstrn || c.Key == "LONGSTRN"
	}
	if long && !hasLongstrn {
		// Announces the long-string convention, as cfitsio does.
		l, _ := formatCard(Card{Key: "LONGSTRN", Value: "OGIP 1.0", Comment: "CONTINUE cards may follow strings ending in &"})
		buf.WriteString(l[0])
		n += len(l[0])
	}
	end := fmt.Sprintf("%-80s", "END")
	buf.WriteString(end)
	pad(buf, n+len(end), ' ')
	return nil
}

// pad writes the fill bytes b that complete a FITS block after n bytes of header or data.
func pad(buf *bufio.Writer, n int, b byte) {
	if r := n % blockSize; r != 0 {
		buf.Write(bytes.Repeat([]byte{b}, blockSize-r))
	}
}

// formatCard renders a card as one or more 80-character lines. Reals are written with the
// shortest representation that reads back to the same float64, so WCS cards keep full precision.
func formatCard(c Card) ([]string, error) {
	key := c.Key
	if key == "COMMENT" || key == "HISTORY" || key == "" {
		if c.Value != nil {
			return nil, fmt.Errorf("card %s cannot have a value", key)
		}
		text := c.Comment
		if err := printable(key, text); err != nil {
			return nil, err
		}
		var lines []string
		for {
			n := min(len(text), 72)
			lines = append(lines, fmt.Sprintf("%-8s%-72s", key, text[:n]))
			text = text[n:]
			if text == "" {
				return lines, nil
			}
		}
	}
	prefix := fmt.Sprintf("%-8s= ", key)
	if !validKey.MatchString(key) {
		if !hierarchKey.MatchString(key) {
			return nil, fmt.Errorf("invalid card key %q (A-Z 0-9 _ -, and spaces in HIERARCH keys)", key)
		}
		prefix = "HIERARCH " + key + " = " // the ESO convention, as fitsio reads it back
	}
	if err := printable(key, c.Comment); err != nil {
		return nil, err
	}
	var val string
	switch v := normalise(c.Value).(type) {
	case nil:
		val = fmt.Sprintf("%20s", "") // an undefined value
	case bool:
		val = "F"
		if v {
			val = "T"
		}
		val = fmt.Sprintf("%20s", val)
	case int64:
		val = fmt.Sprintf("%20d", v)
	case float64:
		s, err := formatReal(key, v)
		if err != nil {
			return nil, err
		}
		val = fmt.Sprintf("%20s", s)
	case string:
		if err := printable(key, v); err != nil {
			return nil, err
		}
		q := quote(v)
		if len(q) > 70 && len(prefix) == 10 {
			return longString(key, v, c.Comment), nil
		}
		val = fmt.Sprintf("%-20s", q)
	case complex128:
		re, err := formatReal(key, real(v))
		if err != nil {
			return nil, err
		}
		im, err := formatReal(key, imag(v))
		if err != nil {
			return nil, err
		}
		val = fmt.Sprintf("%20s", "("+re+", "+im+")")
	default:
		return nil, fmt.Errorf("card %s: unsupported value type %T", key, c.Value)
	}
	if len(prefix) > 10 {
		val = strings.TrimSpace(val)
	}
	line := prefix + val
	if len(line) > 80 {
		return nil, fmt.Errorf("card %s: value too long", key)
	}
	if c.Comment != "" {
		line += " / " + c.Comment
	}
	return []string{fit80(line)}, nil
}

func quote(v string) string {
	q := "'" + strings.ReplaceAll(v, "'", "''")
	for len(q) < 9 {
		q += " "
	}
	return q + "'"
}

// longString writes a string too long for one card with the FITS long-string convention: each
// piece but the last ends with '&' and continues on a CONTINUE card (FITS 4.0, section 4.2.1.2).
func longString(key, v, comment string) []string {
	var lines []string
	prefix := fmt.Sprintf("%-8s= ", key)
	for {
		// 80 − 10 columns, minus two quotes and the '&'; a quote counts twice when escaped.
		n, w := 0, 0
		for n < len(v) && w+1+strings.Count(v[n:n+1], "'") <= 67 {
			w += 1 + strings.Count(v[n:n+1], "'")
			n++
		}
		if n == len(v) {
			line := prefix + quote(v)
			if comment != "" && len(line)+3 < 80 {
				line += " / " + comment
			}
			return append(lines, fit80(line))
		}
		lines = append(lines, fit80(prefix+quote(v[:n]+"&")))
		v = v[n:]
		prefix = "CONTINUE  "
	}
}

func formatReal(key string, v float64) (string, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", fmt.Errorf("card %s: %v cannot be written in a FITS header", key, v)
	}
	s := strconv.FormatFloat(v, 'G', -1, 64)
	if !strings.ContainsAny(s, ".") {
		if i := strings.IndexByte(s, 'E'); i >= 0 {
			s = s[:i] + ".0" + s[i:]
		} else {
			s += ".0"
		}
	}
	return s, nil
}

func printable(key, s string) error {
	for i := range len(s) {
		if s[i] < 32 || s[i] > 126 {
			return errors.New("card " + key + ": text is not printable ASCII")
		}
	}
	return nil
}

// fit80 pads or truncates (only ever the comment) a card line to 80 characters.
func fit80(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return fmt.Sprintf("%-80s", s)
}
