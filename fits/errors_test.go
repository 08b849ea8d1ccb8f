package fits

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenErrorsNameFileAndProblem(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(fixture("multi.fits"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(good); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, want string
	}{
		{filepath.Join(dir, "absent.fits"), "no such file"},
		{write("empty.fits", nil), "empty file"},
		{write("text.fits", []byte("hello, this is not FITS\n")), "not a FITS file"},
		{write("png.fits", []byte("\x89PNG\r\n\x1a\n0000000000000000")), "not a FITS file"},
		{write("short-header.fits", good[:1000]), "truncated"},
		{write("no-data.fits", good[:2880]), "truncated"},
		{write("mid-data.fits", good[:2880+100]), "truncated"},
		{write("mid-table.fits", good[:len(good)-2880-10]), "truncated"},
		{write("trunc.fits.gz", gz.Bytes()[:gz.Len()/2]), "gzip"},
		{write("trunc.fits.bz2", []byte("BZh91AY&SY garbage")), "bzip2"},
	}
	for _, c := range cases {
		_, err := Open(c.path)
		if err == nil {
			t.Errorf("%s: no error", c.path)
			continue
		}
		if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q should name the file and say %q", c.path, err, c.want)
		}
	}

	f, err := Open(fixture("multi.fits"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{func() error { _, err := f.Image(3); return err }(), "HDU 3 out of range"},
		{func() error { _, err := f.Image(-1); return err }(), "HDU -1 out of range"},
		{func() error { _, err := f.Image(2); return err }(), "not an image"},
		{func() error { _, err := f.Table(0); return err }(), "not a binary table"},
		{func() error { _, err := ReadTable(fixture("multi.fits"), 9); return err }(), "out of range"},
		{func() error { _, err := f.Index("nope"); return err }(), "no HDU named"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), "multi.fits") || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v should name multi.fits and say %q", c.err, c.want)
		}
	}
	tab, err := f.Table(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Column("nope"); err == nil || !strings.Contains(err.Error(), "multi.fits") {
		t.Errorf("missing column: %v", err)
	}
	c, err := tab.Column("name")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Float64s(); err == nil || !strings.Contains(err.Error(), "column name") {
		t.Errorf("Float64s of a string column: %v", err)
	}
	h, err := f.Header(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Float("OBSERVER"); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("Float of a string card: %v", err)
	}
	if _, err := h.Float("ABSENT"); err == nil || !strings.Contains(err.Error(), "multi.fits") {
		t.Errorf("Float of a missing card: %v", err)
	}

	// An image HDU with no data.
	empty := filepath.Join(dir, "nodata.fits")
	if err := Write(empty, ImageHDU{}, TableHDU{Columns: []TableColumn{{Name: "x", Data: []float64{1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadImage(empty, 0); err == nil || !strings.Contains(err.Error(), "no data") || !strings.Contains(err.Error(), empty) {
		t.Errorf("image with no data: %v", err)
	}
}

// Every prefix of a valid file and random corruptions of its header give errors, never panics
// (fitsio panics on some malformed cards; those must come back as errors).
func TestCorruptInputsNeverPanic(t *testing.T) {
	good, err := os.ReadFile(fixture("multi.fits"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.fits")
	readAll := func() error {
		f, err := Open(p)
		if err != nil {
			return err
		}
		for i := range f.NumHDU() {
			if k, _ := f.Kind(i); k == KindImage {
				f.Image(i)
				continue
			}
			tab, err := f.Table(i)
			if err != nil {
				continue
			}
			for _, c := range tab.Columns {
				c.Float64s()
				c.VarFloat64s()
				c.Strings()
			}
		}
		return nil
	}
	for n := 0; n < len(good); n += 97 {
		if err := os.WriteFile(p, good[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if err := readAll(); err == nil {
			t.Errorf("prefix of %d bytes read without error", n)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	junk := []byte("=' /()0123456789-+.EDTFX ABC\x00\xff")
	for range 600 {
		b := bytes.Clone(good)
		for range 1 + r.IntN(4) {
			// corrupt the value fields of the header blocks (cards 0..35 of each header block)
			hdr := []int{0, 2880 * 3, 2880 * 5}[r.IntN(3)]
			pos := hdr + 80*r.IntN(36) + 8 + r.IntN(30)
			if pos < len(b) {
				b[pos] = junk[r.IntN(len(junk))]
			}
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		readAll() // must not panic
	}
}

// FuzzOpen: arbitrary bytes give a File or an error, never a panic; errors from opening the
// file name it in one line, and every HDU of a File decodes or gives an error naming the file.
// Seeds are the fixtures; run with go test -fuzz FuzzOpen ./fits (CI runs it for 30 s).
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"multi.fits", "bitpix16.fits", "blank16.fits", "multi.fits.gz"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "fuzz.fits")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sensible := func(what string, err error) {
			if err == nil {
				return
			}
			if msg := err.Error(); !strings.Contains(msg, p) || strings.Contains(msg, "\n") {
				t.Fatalf("%s: error %q does not name %s in one line", what, msg, p)
			}
		}
		_, err := ReadHeader(p, 1)
		sensible("ReadHeader", err)
		file, err := Open(p)
		if err != nil {
			sensible("Open", err)
			return
		}
		for i := range file.NumHDU() {
			_, err := file.Image(i)
			sensible("Image", err)
			tab, err := file.Table(i)
			sensible("Table", err)
			if err != nil {
				continue
			}
			for _, c := range tab.Columns {
				c.Float64s()
				c.Int64s()
				c.Strings()
				c.Bools()
				c.VarFloat64s()
				c.VarBytes()
			}
		}
	})
}

// Axis lengths whose product overflows an int are refused, not wrapped round to a small size
// (2^40 × 2^40 used to wrap to 0 and open as an empty image).
func TestHugeAxesRefused(t *testing.T) {
	for _, axes := range [][2]string{{"1099511627776", "1099511627776"}, {"4294967296", "4294967296"}, {"9223372036854775807", "2"}} {
		var b strings.Builder
		for _, c := range []string{"SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    2",
			"NAXIS1  = " + fmt.Sprintf("%20s", axes[0]), "NAXIS2  = " + fmt.Sprintf("%20s", axes[1]), "END"} {
			fmt.Fprintf(&b, "%-80s", c)
		}
		b.WriteString(strings.Repeat(" ", 2880-b.Len()))
		p := filepath.Join(t.TempDir(), "huge.fits")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("NAXIS1 = %s, NAXIS2 = %s: %v, want an error naming the file", axes[0], axes[1], err)
		}
	}
}
