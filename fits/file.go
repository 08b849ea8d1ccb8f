package fits

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"

	"codeberg.org/astrogo/fitsio"
)

const blockSize = 2880

// Kind is the type of an HDU.
type Kind int

// HDU kinds.
const (
	KindImage       Kind = iota // the primary HDU or an IMAGE extension
	KindBinaryTable             // a BINTABLE extension
	KindASCIITable              // a TABLE extension (listed, but not decoded)
)

// String names the kind, with its article ("an image", "a binary table").
func (k Kind) String() string {
	switch k {
	case KindImage:
		return "an image"
	case KindBinaryTable:
		return "a binary table"
	case KindASCIITable:
		return "an ASCII table (not supported)"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// File is a FITS file read into memory, plain or compressed with gzip or bzip2 (detected from
// the magic bytes, whatever the file name).
type File struct {
	Path string
	hdus []hdu
	raw  []byte // the whole file, decompressed, as read by Open
}

type hdu struct {
	header *Header
	kind   Kind
	bitpix int
	axes   []int
	data   []byte // the data array (and heap, for tables) without block padding
	off    int    // the offset of data in the file
	cols   []fitsio.Column
}

// Open reads a FITS file and splits it into HDUs. Errors name the file and say whether it is
// missing, not FITS, truncated or malformed.
func Open(path string) (*File, error) {
	r, closeFile, err := openStream(path)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	buf, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("fits: %s: %v", path, r.describe(err))
	}
	f := &File{Path: path, raw: buf}
	if err := f.split(buf, -1); err != nil {
		return nil, fmt.Errorf("fits: %s: %v", path, err)
	}
	return f, nil
}

// stream reads a file, decompressing gzip or bzip2 as its magic bytes say.
type stream struct {
	io.Reader
	codec string // "", "gzip" or "bzip2"
}

func (s stream) describe(err error) error {
	if s.codec == "" {
		return err
	}
	return fmt.Errorf("corrupt or truncated %s data: %v", s.codec, err)
}

func openStream(path string) (stream, func(), error) {
	file, err := os.Open(path)
	if err != nil {
		return stream{}, nil, fmt.Errorf("fits: %w", err)
	}
	br := bufio.NewReaderSize(file, 1<<16)
	magic, _ := br.Peek(3)
	s := stream{Reader: br}
	switch {
	case len(magic) == 0:
		file.Close()
		return stream{}, nil, fmt.Errorf("fits: %s: empty file, not FITS", path)
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			file.Close()
			return stream{}, nil, fmt.Errorf("fits: %s: corrupt gzip data: %v", path, err)
		}
		s = stream{Reader: zr, codec: "gzip"}
	case bytes.HasPrefix(magic, []byte("BZh")):
		s = stream{Reader: bzip2.NewReader(br), codec: "bzip2"}
	}
	return s, func() { file.Close() }, nil
}

// errTruncated marks errors caused by the data ending early, which ReadHeader answers by reading
// more of the file.
type errTruncated struct{ msg string }

func (e *errTruncated) Error() string { return "truncated file: " + e.msg }

func truncated(format string, args ...any) error {
	return &errTruncated{msg: fmt.Sprintf(format, args...)}
}

// split walks the HDUs. fitsio parses each header; the sizes and bounds are checked here so that
// truncation is reported precisely and never read as zeros. When last ≥ 0, split stops after the
// header of HDU last, which then has no data.
func (f *File) split(buf []byte, last int) error {
	if !bytes.HasPrefix(buf, []byte("SIMPLE  =")) {
		return errors.New("not a FITS file (it does not start with SIMPLE)")
	}
	for off := 0; off < len(buf); {
		i := len(f.hdus)
		if i > 0 && !bytes.HasPrefix(buf[off:], []byte("XTENSION=")) {
			// Trailing bytes that are not an extension (zero padding, junk) are ignored, as
			// astropy does.
			break
		}
		hlen, err := headerLength(buf[off:])
		if err != nil {
			return fmt.Errorf("HDU %d: %w", i, err)
		}
		if n := rawDataSize(buf[off : off+hlen]); n > int64(len(buf)-off-hlen) && i != last {
			return truncated("HDU %d needs %d data bytes, only %d remain", i, n, len(buf)-off-hlen)
		}
		h, err := decodeHDU(buf[off:], hlen)
		if err != nil {
			return fmt.Errorf("HDU %d: %v", i, err)
		}
		h.header.Source = fmt.Sprintf("%s HDU %d", f.Path, i)
		if g, err := h.header.Bool("GROUPS"); err == nil && g && i == 0 {
			return errors.New("random-groups FITS (GROUPS = T) is not supported")
		}
		size, err := dataSize(h)
		if err != nil {
			return fmt.Errorf("HDU %d: %v", i, err)
		}
		if i == last {
			f.hdus = append(f.hdus, *h)
			return nil
		}
		start := off + hlen
		if start+size > len(buf) {
			return truncated("HDU %d needs %d data bytes, only %d remain", i, size, len(buf)-start)
		}
		h.data, h.off = buf[start:start+size], start
		f.hdus = append(f.hdus, *h)
		off = start + (size+blockSize-1)/blockSize*blockSize
		if off > len(buf) {
			// The standard requires the padding; its absence is how a cut-off download looks
			// when the cut falls after the last data byte of an HDU.
			return truncated("HDU %d is not padded to a whole 2880-byte block (%d bytes missing)", i, off-len(buf))
		}
	}
	return nil
}

// headerLength returns the length in bytes of the header blocks, up to and including the block
// holding the END card.
func headerLength(buf []byte) (int, error) {
	for pos := 0; pos+80 <= len(buf); pos += 80 {
		if bytes.Equal(buf[pos:pos+8], []byte("END     ")) {
			return (pos/blockSize + 1) * blockSize, checkLength(buf, pos)
		}
	}
	return 0, truncated("header has no END card")
}

func checkLength(buf []byte, endPos int) error {
	if n := (endPos/blockSize + 1) * blockSize; n > len(buf) {
		return truncated("header block ends at byte %d, file has %d", n, len(buf))
	}
	return nil
}

// rawDataSize estimates the data size from the raw NAXISn and BITPIX cards, before fitsio
// allocates a buffer of that size: a truncated or corrupt file must not make it allocate more
// than the file holds. PCOUNT is checked later, after parsing.
func rawDataSize(hdr []byte) int64 {
	n, pix := int64(1), int64(1)
	naxis := false
	for pos := 0; pos+80 <= len(hdr); pos += 80 {
		key := strings.TrimSpace(string(hdr[pos : pos+8]))
		if string(hdr[pos+8:pos+10]) != "= " {
			continue
		}
		val := strings.TrimSpace(strings.SplitN(string(hdr[pos+10:pos+80]), "/", 2)[0])
		v, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			continue
		}
		switch {
		case key == "BITPIX":
			pix = max(v, -v) / 8
		case strings.HasPrefix(key, "NAXIS") && key != "NAXIS":
			naxis = true
			if v < 0 || (v > 0 && n > (1<<40)/v) {
				return math.MaxInt64
			}
			n *= v
		}
	}
	if !naxis {
		return 0
	}
	return n * pix
}

// decodeHDU parses one header with fitsio, turning its panics on malformed cards into errors.
func decodeHDU(buf []byte, hlen int) (h *hdu, err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("malformed header: %v", r)
		}
	}()
	// fitsio v0.4.0 reads the data with the header. It is given a copy of the header in which
	// the sizes (NAXISn, PCOUNT) are 0, so it reads and allocates nothing; the real values are
	// restored below, and split bounds-checks and slices the real bytes.
	//
	// It also misplaces the heap when THEAP is present (it slices past the data, and panics for
	// SDSS fpM masks), so THEAP is hidden from it under another key and restored below; this
	// package locates the heap itself.
	hb := bytes.Clone(buf[:hlen])
	sizes := map[string]Card{}
	for pos := 0; pos+80 <= hlen; pos += 80 {
		line := hb[pos : pos+80]
		key := strings.TrimSpace(string(line[:8]))
		switch {
		case string(line[:10]) == "THEAP   = ":
			copy(line, hiddenTHEAP)
		case string(line[8:10]) == "= " && (key == "PCOUNT" || strings.HasPrefix(key, "NAXIS") && key != "NAXIS"):
			val, com, _ := strings.Cut(string(line[10:]), "/")
			v, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("malformed header: %s is not an integer", key)
			}
			if _, dup := sizes[key]; !dup {
				sizes[key] = Card{Key: key, Value: v, Comment: strings.TrimSpace(com)}
			}
			copy(line[10:], fmt.Sprintf("%20d%50s", 0, ""))
		}
	}
	u, err := fitsio.NewDecoder(bytes.NewReader(hb)).DecodeHDU()
	if err != nil {
		return nil, fmt.Errorf("malformed header: %v", strings.TrimPrefix(err.Error(), "fitsio: "))
	}
	fh := u.Header()
	h = &hdu{header: &Header{}, bitpix: fh.Bitpix()}
	for i := 0; ; i++ {
		c := cardAt(fh, i)
		if c == nil {
			break
		}
		if c.Name == "END" {
			continue
		}
		// keys in lower case are not valid FITS, but STScI's STDPSF files have them (NXPSFs):
		// take them in upper case, as astropy does when it fixes them
		card := Card{Key: strings.ToUpper(c.Name), Value: cardValue(c.Value), Comment: c.Comment}
		if card.Key == strings.TrimSpace(hiddenTHEAP) {
			card.Key = "THEAP"
		}
		if orig, ok := sizes[card.Key]; ok {
			card = orig
		}
		h.header.cards = append(h.header.cards, card)
	}
	for k := range fh.Axes() {
		n, err := h.header.Int(fmt.Sprintf("NAXIS%d", k+1))
		if err != nil {
			return nil, fmt.Errorf("malformed header: %v", err)
		}
		h.axes = append(h.axes, int(n))
	}
	switch fh.Type() {
	case fitsio.IMAGE_HDU:
		h.kind = KindImage
	case fitsio.BINARY_TBL:
		h.kind = KindBinaryTable
		h.cols = u.(*fitsio.Table).Cols()
	case fitsio.ASCII_TBL:
		h.kind = KindASCIITable
	default:
		return nil, fmt.Errorf("unsupported HDU type %v", fh.Type())
	}
	return h, nil
}

const hiddenTHEAP = "THEAP_X "

// cardAt returns card i, or nil past the last card: fitsio's Header has no length and its Card
// panics out of range.
func cardAt(h *fitsio.Header, i int) (c *fitsio.Card) {
	defer func() {
		if recover() != nil {
			c = nil
		}
	}()
	return h.Card(i)
}

func cardValue(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case big.Int:
		f, _ := new(big.Float).SetInt(&v).Float64()
		return f
	case string:
		return strings.TrimRight(v, " ")
	}
	return v
}

// dataSize is the number of data bytes (without padding) that follow the header.
func dataSize(h *hdu) (int, error) {
	switch h.bitpix {
	case 8, 16, 32, 64, -32, -64:
	default:
		return 0, fmt.Errorf("invalid BITPIX %d", h.bitpix)
	}
	if len(h.axes) == 0 {
		return 0, nil
	}
	// Sizes are checked before they are multiplied, so that no header overflows them.
	const maxData = 1 << 40
	n := int64(1)
	for k, a := range h.axes {
		if a < 0 {
			return 0, fmt.Errorf("invalid NAXIS%d = %d", k+1, a)
		}
		if a > 0 && n > maxData/int64(a) {
			return 0, errors.New("data array too large")
		}
		n *= int64(a)
	}
	pcount, gcount := int64(0), int64(1)
	if h.header.Has("PCOUNT") {
		v, err := h.header.Int("PCOUNT")
		if err != nil || v < 0 {
			return 0, fmt.Errorf("invalid PCOUNT")
		}
		pcount = v
	}
	if h.header.Has("GCOUNT") {
		v, err := h.header.Int("GCOUNT")
		if err != nil || v < 0 {
			return 0, fmt.Errorf("invalid GCOUNT")
		}
		gcount = v
	}
	pix := int64(h.bitpix / 8)
	if pix < 0 {
		pix = -pix
	}
	if pcount > maxData || (gcount > 0 && pcount+n > maxData/(pix*gcount)) || pix*gcount*(pcount+n) > math.MaxInt {
		return 0, errors.New("data array too large")
	}
	return int(pix * gcount * (pcount + n)), nil
}

// NumHDU returns the number of HDUs.
func (f *File) NumHDU() int { return len(f.hdus) }

func (f *File) get(i int) (*hdu, error) {
	if i < 0 || i >= len(f.hdus) {
		return nil, fmt.Errorf("fits: %s: HDU %d out of range (the file has %d HDUs, numbered from 0)", f.Path, i, len(f.hdus))
	}
	return &f.hdus[i], nil
}

// Kind returns the type of HDU i (0 is the primary HDU).
func (f *File) Kind(i int) (Kind, error) {
	h, err := f.get(i)
	if err != nil {
		return 0, err
	}
	return h.kind, nil
}

// Header returns the header of HDU i (0 is the primary HDU).
func (f *File) Header(i int) (*Header, error) {
	h, err := f.get(i)
	if err != nil {
		return nil, err
	}
	return h.header, nil
}

// Index returns the number of the first HDU whose EXTNAME is name (case-insensitive).
func (f *File) Index(name string) (int, error) {
	for i := range f.hdus {
		if s, err := f.hdus[i].header.String("EXTNAME"); err == nil && strings.EqualFold(strings.TrimSpace(s), name) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("fits: %s: no HDU named %q", f.Path, name)
}

// ReadHeader returns the header of HDU hdu of the file at path. It decompresses and reads only as
// far as that header, so reading the primary header of a large compressed frame is quick.
func ReadHeader(path string, hdu int) (*Header, error) {
	r, closeFile, err := openStream(path)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	var buf []byte
	chunk := 16 * blockSize
	for {
		n := len(buf)
		buf = append(buf, make([]byte, chunk)...)
		got, rerr := io.ReadFull(r, buf[n:])
		buf = buf[:n+got]
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return nil, fmt.Errorf("fits: %s: %v", path, r.describe(rerr))
		}
		f := &File{Path: path}
		err := f.split(buf, max(hdu, 0))
		var short *errTruncated
		switch {
		case err == nil && len(f.hdus) > hdu:
			return f.Header(hdu)
		case !eof && (err == nil || errors.As(err, &short)):
			chunk *= 2 // read more and walk again
		case err != nil:
			return nil, fmt.Errorf("fits: %s: %v", path, err)
		default:
			return f.Header(hdu)
		}
	}
}
