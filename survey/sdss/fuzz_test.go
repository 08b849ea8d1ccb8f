package sdss

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fitsCard formats one 80-character header card; string values are quoted.
func fitsCard(key string, v any) string {
	var val string
	switch v := v.(type) {
	case string:
		val = fmt.Sprintf("'%-8s'", v)
	case bool:
		val = fmt.Sprintf("%20s", map[bool]string{true: "T", false: "F"}[v])
	default:
		val = fmt.Sprintf("%20v", v)
	}
	return fmt.Sprintf("%-80s", fmt.Sprintf("%-8s= %s", key, val))
}

// fitsHDU is a header (cards as key, value pairs, END added) and its data, each padded to
// whole 2880-byte blocks.
func fitsHDU(cards []any, data []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < len(cards); i += 2 {
		b.WriteString(fitsCard(cards[i].(string), cards[i+1]))
	}
	b.WriteString(fmt.Sprintf("%-80s", "END"))
	for b.Len()%2880 != 0 {
		b.WriteByte(' ')
	}
	b.Write(data)
	for b.Len()%2880 != 0 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// klTable is a psField KL PSF HDU written byte by byte, as photo writes it: nEigen rows of
// RROWS (variable-length float32 array in the heap), RNROW, RNCOL, nrow_b, ncol_b (int32) and
// c (float32[5][5]); eigen-images are size×size and polynomials of order 2×2.
func klTable(nEigen, size int) []byte {
	const rowLen = 8 + 4*4 + 25*4
	var rows, heap bytes.Buffer
	be := binary.BigEndian
	for i := range nEigen {
		binary.Write(&rows, be, []int32{int32(size * size), int32(heap.Len())})
		binary.Write(&rows, be, []int32{int32(size), int32(size), 2, 2})
		var c [25]float32
		c[0], c[1], c[5] = float32(1-i)/float32(1+i), 1e-3, -2e-3
		binary.Write(&rows, be, c)
		for p := range size * size {
			r, q := p/size-size/2, p%size-size/2
			binary.Write(&heap, be, float32(math.Exp(-float64(r*r+q*q)/float64(2+i))))
		}
	}
	cards := []any{"XTENSION", "BINTABLE", "BITPIX", 8, "NAXIS", 2, "NAXIS1", rowLen, "NAXIS2", nEigen,
		"PCOUNT", heap.Len(), "GCOUNT", 1, "TFIELDS", 6,
		"TTYPE1", "RROWS", "TFORM1", fmt.Sprintf("1PE(%d)", size*size),
		"TTYPE2", "RNROW", "TFORM2", "1J", "TTYPE3", "RNCOL", "TFORM3", "1J",
		"TTYPE4", "nrow_b", "TFORM4", "1J", "TTYPE5", "ncol_b", "TFORM5", "1J",
		"TTYPE6", "c", "TFORM6", "25E", "TDIM6", "(5,5)"}
	return fitsHDU(cards, append(rows.Bytes(), heap.Bytes()...))
}

// paramsTable is psField HDU6 with one row of gain and dark_variance for u, g, r, i, z.
func paramsTable() []byte {
	var row bytes.Buffer
	binary.Write(&row, binary.BigEndian, []float32{4.7, 4.6, 4.8, 5.0, 4.7, 9.6, 1.8, 1.4, 7.9, 1.0})
	cards := []any{"XTENSION", "BINTABLE", "BITPIX", 8, "NAXIS", 2, "NAXIS1", 40, "NAXIS2", 1,
		"PCOUNT", 0, "GCOUNT", 1, "TFIELDS", 2,
		"TTYPE1", "gain", "TFORM1", "5E", "TTYPE2", "dark_variance", "TFORM2", "5E"}
	return fitsHDU(cards, row.Bytes())
}

// synthPsField is a small psField: a primary HDU, KL PSFs of 3×3 (two eigen-images) in
// HDUs 1–5 and the detector parameters in HDU6.
func synthPsField() []byte {
	b := fitsHDU([]any{"SIMPLE", true, "BITPIX", 8, "NAXIS", 0, "EXTEND", true}, nil)
	for range 5 {
		b = append(b, klTable(2, 3)...)
	}
	return append(b, paramsTable()...)
}

// The synthetic psField is read as a psField: the fuzz seeds exercise the whole reader.
func TestSynthPsField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "psField-000001-1-0001.fit")
	if err := os.WriteFile(p, synthPsField(), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := ReadKLPSF(p, "r")
	if err != nil {
		t.Fatal(err)
	}
	if k.Rows != 3 || k.Cols != 3 || len(k.Eigen) != 2 || k.NRow[1] != 2 || k.Coeff[0][0] != 1 || k.Eigen[0][4] != 1 {
		t.Errorf("read %d eigen-images of %d×%d, orders %v, coefficients %v, eigen-image 0 %v", len(k.Eigen), k.Rows, k.Cols, k.NRow, k.Coeff, k.Eigen[0])
	}
	fp, err := ReadPsFieldParams(p, "r")
	if err != nil || fp.Gain != 4.8 || fp.DarkVariance != 1.4 {
		t.Errorf("r-band parameters %+v, %v; want gain 4.8, dark variance 1.4", fp, err)
	}
}

// FuzzReadPsField: arbitrary bytes as a psField give a KL PSF or an error naming the file, in
// one line, never a panic; an accepted PSF has consistent shapes and reconstructs a stamp of
// its full (odd) size. Seeds are a synthetic psField (see synthPsField) and a
// primary HDU followed by one KL HDU.
func FuzzReadPsField(f *testing.F) {
	f.Add(synthPsField())
	f.Add(append(fitsHDU([]any{"SIMPLE", true, "BITPIX", 8, "NAXIS", 0, "EXTEND", true}, nil), klTable(1, 5)...))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "psField.fit")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sensible := func(err error) {
			if msg := err.Error(); !strings.Contains(msg, p) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q does not name %s in one line", msg, p)
			}
		}
		if fp, err := ReadPsFieldParams(p, "u"); err != nil {
			sensible(err)
		} else if !(fp.Gain > 0) || !(fp.DarkVariance >= 0) || math.IsInf(fp.Gain+fp.DarkVariance, 0) {
			t.Fatalf("accepted parameters %+v", fp)
		}
		k, err := ReadKLPSF(p, "u")
		if err != nil {
			sensible(err)
			return
		}
		if k.Rows < 1 || k.Cols < 1 || len(k.Eigen) < 1 || len(k.Coeff) != len(k.Eigen) {
			t.Fatalf("accepted %d eigen-images of %d×%d with %d coefficient sets", len(k.Eigen), k.Rows, k.Cols, len(k.Coeff))
		}
		for i := range k.Eigen {
			if len(k.Eigen[i]) != k.Rows*k.Cols || len(k.Coeff[i]) != k.NRow[i]*k.NCol[i] {
				t.Fatalf("eigen-image %d: %d values for %d×%d, %d coefficients for orders %d×%d",
					i, len(k.Eigen[i]), k.Rows, k.Cols, len(k.Coeff[i]), k.NRow[i], k.NCol[i])
			}
		}
		if k.Rows*k.Cols > 1<<16 {
			return // a valid but large PSF: reconstructing it is not the reader's business
		}
		size := min(k.Rows, k.Cols)
		if _, err := k.Stamp(1024, 744, size); err != nil {
			t.Fatalf("stamp of size %d of a %d×%d PSF: %v", size, k.Rows, k.Cols, err)
		}
	})
}
