package fits

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// expected.json is written by testdata/fits/make_fixtures.py with what astropy reads back.
type expectedImage struct {
	Width, Height, Bitpix int
	Pix                   []*float64
}

func loadExpected(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(fixture("expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fixture(name string) string { return filepath.Join("..", "testdata", "fits", name) }

func TestReadAstropyImages(t *testing.T) {
	exp := loadExpected(t)
	for _, name := range []string{"bitpix8", "bitpix16", "bitpix32", "bitpix64", "bitpixm32", "bitpixm64",
		"uint16", "scaled16", "blank16", "nan32"} {
		t.Run(name, func(t *testing.T) {
			var e expectedImage
			if err := json.Unmarshal(exp[name], &e); err != nil {
				t.Fatal(err)
			}
			im, err := ReadImage(fixture(name+".fits"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if im.Width != e.Width || im.Height != e.Height || im.Bitpix != e.Bitpix {
				t.Fatalf("got %d×%d BITPIX %d, astropy %d×%d BITPIX %d", im.Width, im.Height, im.Bitpix, e.Width, e.Height, e.Bitpix)
			}
			for i, v := range e.Pix {
				got := im.Pix[i]
				if v == nil {
					if !math.IsNaN(float64(got)) {
						t.Fatalf("pixel %d: got %v, astropy NaN", i, got)
					}
					continue
				}
				if got != float32(*v) {
					t.Fatalf("pixel (x=%d, y=%d): got %v, astropy %v", i%e.Width, i/e.Width, got, *v)
				}
			}
		})
	}
}

type expectedMulti struct {
	Header   map[string]any
	Columns  map[string]json.RawMessage
	StampDim []int `json:"stamp_dim"`
}

func TestReadAstropyMulti(t *testing.T) {
	var e expectedMulti
	if err := json.Unmarshal(loadExpected(t)["multi"], &e); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"multi.fits", "multi.fits.gz", "multi.fits.bz2", "multi-gzip-named-plain.fits"} {
		t.Run(name, func(t *testing.T) {
			f, err := Open(fixture(name))
			if err != nil {
				t.Fatal(err)
			}
			if f.NumHDU() != 3 {
				t.Fatalf("%d HDUs, want 3", f.NumHDU())
			}
			h, err := f.Header(0)
			if err != nil {
				t.Fatal(err)
			}
			checkHeader(t, h, e.Header)
			if i, err := f.Index("second"); err != nil || i != 1 {
				t.Errorf("Index(second) = %d, %v", i, err)
			}
			im, err := f.Image(1)
			if err != nil || im.Width != 7 || im.Height != 5 || im.Pix[7*2+3] != float32((3+20)*300-9000) {
				t.Errorf("extension image: %v %+v", err, im)
			}
			tab, err := f.Table(2)
			if err != nil {
				t.Fatal(err)
			}
			checkColumns(t, tab, e)
		})
	}
}

func checkHeader(t *testing.T, h *Header, want map[string]any) {
	t.Helper()
	for k, v := range want {
		switch v := v.(type) {
		case float64:
			got, err := h.Float(k)
			if err != nil || got != v {
				t.Errorf("%s = %v (%v), want %v", k, got, err, v)
			}
		case string:
			got, err := h.String(k)
			if err != nil || got != v {
				t.Errorf("%s = %q (%v), want %q", k, got, err, v)
			}
		case bool:
			got, err := h.Bool(k)
			if err != nil || got != v {
				t.Errorf("%s = %v (%v), want %v", k, got, err, v)
			}
		}
	}
}

func checkColumns(t *testing.T, tab *Table, e expectedMulti) {
	t.Helper()
	if tab.Rows != 6 {
		t.Fatalf("%d rows, want 6", tab.Rows)
	}
	col := func(name string) *Column {
		c, err := tab.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var want []float64
	for _, name := range []string{"x", "y", "byte", "short", "id", "scaled", "stamp"} {
		if err := json.Unmarshal(e.Columns[name], &want); err != nil {
			t.Fatal(err)
		}
		got, err := col(name).Float64s()
		if err != nil {
			t.Fatal(err)
		}
		if !equalFloats(got, want, 1e-12) {
			t.Errorf("column %s = %v, astropy %v", name, got, want)
		}
	}
	if d := col("stamp").Dim; len(d) != 2 || d[0] != e.StampDim[0] || d[1] != e.StampDim[1] {
		t.Errorf("stamp TDIM = %v, want %v", d, e.StampDim)
	}
	if u := col("x").Unit; u != "pix" {
		t.Errorf("x unit %q, want pix", u)
	}
	var wantInts []int64
	for _, name := range []string{"big", "u16"} {
		if err := json.Unmarshal(e.Columns[name], &wantInts); err != nil {
			t.Fatal(err)
		}
		got, err := col(name).Int64s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range wantInts {
			if got[i] != wantInts[i] {
				t.Errorf("column %s = %v, astropy %v", name, got, wantInts)
				break
			}
		}
	}
	var wantNull []int64
	if err := json.Unmarshal(e.Columns["withnull"], &wantNull); err != nil {
		t.Fatal(err)
	}
	wn := col("withnull")
	gotNull, err := wn.Float64s()
	if err != nil || !wn.HasNull || wn.Null != -999 {
		t.Fatalf("withnull: TNULL %v %d, %v", wn.HasNull, wn.Null, err)
	}
	for i, v := range wantNull {
		if (v == -999) != math.IsNaN(gotNull[i]) || (v != -999 && gotNull[i] != float64(v)) {
			t.Errorf("withnull = %v, stored %v with TNULL -999", gotNull, wantNull)
			break
		}
	}
	var wantStr []string
	if err := json.Unmarshal(e.Columns["name"], &wantStr); err != nil {
		t.Fatal(err)
	}
	gotStr, err := col("name").Strings()
	if err != nil || len(gotStr) != len(wantStr) {
		t.Fatalf("name: %v %v", gotStr, err)
	}
	for i := range wantStr {
		if gotStr[i] != wantStr[i] {
			t.Errorf("name = %q, astropy %q", gotStr, wantStr)
			break
		}
	}
	var wantBool []bool
	if err := json.Unmarshal(e.Columns["flag"], &wantBool); err != nil {
		t.Fatal(err)
	}
	gotBool, err := col("flag").Bools()
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantBool {
		if gotBool[i] != wantBool[i] {
			t.Errorf("flag = %v, astropy %v", gotBool, wantBool)
			break
		}
	}
	for _, name := range []string{"vla", "vlai"} {
		var wantVar [][]float64
		if err := json.Unmarshal(e.Columns[name], &wantVar); err != nil {
			t.Fatal(err)
		}
		c := col(name)
		if !c.Variable {
			t.Errorf("%s not variable", name)
		}
		got, err := c.VarFloat64s()
		if err != nil {
			t.Fatal(err)
		}
		for r := range wantVar {
			if !equalFloats(got[r], wantVar[r], 0) {
				t.Errorf("%s row %d = %v, astropy %v", name, r, got[r], wantVar[r])
			}
		}
		if _, err := c.Float64s(); err == nil {
			t.Errorf("Float64s on variable-length column %s gave no error", name)
		}
	}
}

func equalFloats(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*math.Max(1, math.Abs(b[i])) {
			return false
		}
	}
	return true
}

// ReadHeader stops reading at the wanted header but gives the same cards as Open.
func TestReadHeaderMatchesOpen(t *testing.T) {
	for _, name := range []string{"multi.fits", "multi.fits.gz", "multi.fits.bz2"} {
		f, err := Open(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		for i := range f.NumHDU() {
			want, err := f.Header(i)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadHeader(fixture(name), i)
			if err != nil {
				t.Fatalf("%s HDU %d: %v", name, i, err)
			}
			if len(got.Cards()) != len(want.Cards()) || got.Source != want.Source {
				t.Fatalf("%s HDU %d: %d cards, want %d", name, i, len(got.Cards()), len(want.Cards()))
			}
			for k, c := range want.Cards() {
				if got.Cards()[k] != c {
					t.Fatalf("%s HDU %d card %d: %+v, want %+v", name, i, k, got.Cards()[k], c)
				}
			}
		}
		if _, err := ReadHeader(fixture(name), 3); err == nil {
			t.Errorf("%s: HDU 3 read", name)
		}
	}
}
