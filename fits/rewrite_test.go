package fits

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithImageData replaces one image of a multi-extension file and checks that only its
// data bytes change, and that integer images are refused.
func TestWithImageData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mef.fits")
	h := NewHeader()
	h.Set("BUNIT", "COUNTS/S", "")
	err := Write(path,
		ImageHDU{},
		ImageHDU{Name: "SCI", Header: h, Width: 3, Height: 2, Data: []float32{1, 2, 3, 4, 5, 6}},
		ImageHDU{Name: "DQ", Width: 3, Height: 2, Data: []int16{0, 1, 0, 0, 2, 0}},
		TableHDU{Name: "T", Columns: []TableColumn{{Name: "a", Data: []float64{1, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.WithImageData(map[int][]float32{1: {6, 5, 4, 3, 2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(path)
	if len(b) != len(orig) {
		t.Fatalf("%d bytes, want %d", len(b), len(orig))
	}
	diff := 0
	for i := range b {
		if b[i] != orig[i] {
			diff++
		}
	}
	if diff == 0 || diff > 6*4 {
		t.Errorf("%d bytes differ, want some of the 24 data bytes of SCI", diff)
	}
	out := filepath.Join(t.TempDir(), "out.fits")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := g.Image(1)
	if err != nil {
		t.Fatal(err)
	}
	if im.Pix[0] != 6 || im.Pix[5] != 1 || !bytes.Equal(g.hdus[2].data, f.hdus[2].data) {
		t.Errorf("rewritten SCI %v, DQ kept %v", im.Pix, bytes.Equal(g.hdus[2].data, f.hdus[2].data))
	}
	if _, err := f.WithImageData(map[int][]float32{2: make([]float32, 6)}); err == nil || !strings.Contains(err.Error(), "BITPIX 16") {
		t.Errorf("integer image: error %v", err)
	}
	if _, err := f.WithImageData(map[int][]float32{1: make([]float32, 5)}); err == nil {
		t.Error("wrong pixel count accepted")
	}
}
