package psf

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pcatText formats an oversampled grid in PCAT's text format.
func pcatText(size, factor int, fine []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\t%d\n", size, factor)
	n := size * factor
	for a := 0; a < n; a++ {
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.18e", fine[a*n+i])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// smallGrid is a 9×9-pixel, 5× oversampled Gaussian grid.
func smallGrid(t *testing.T) (int, int, []float64) {
	t.Helper()
	p, err := Parse("gaussian:fwhm=2,size=9")
	if err != nil {
		t.Fatal(err)
	}
	return p.Size, p.Factor, p.Fine
}

func TestReadPCATRoundTrip(t *testing.T) {
	size, factor, fine := smallGrid(t)
	p, err := ReadPCAT(strings.NewReader(pcatText(size, factor, fine)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Size != size || p.Factor != factor {
		t.Fatalf("read %d×%d at %d×", p.Size, p.Size, p.Factor)
	}
	for i := range fine {
		if math.Abs(p.Fine[i]-fine[i]) > 1e-15 {
			t.Fatalf("sample %d: read %g, wrote %g", i, p.Fine[i], fine[i])
		}
	}
	var buf bytes.Buffer
	if err := p.WritePCAT(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := ReadPCAT(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Coeffs {
		if p.Coeffs[i] != q.Coeffs[i] {
			t.Fatalf("coefficient %d changed in a write/read round trip: %g → %g", i, p.Coeffs[i], q.Coeffs[i])
		}
	}
	path := filepath.Join(t.TempDir(), "psf.txt")
	if err := p.WritePCATFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(path); err != nil {
		t.Fatal(err)
	}
}

func TestReadPCATErrors(t *testing.T) {
	size, factor, fine := smallGrid(t)
	good := pcatText(size, factor, fine)
	lines := strings.SplitAfter(good, "\n")
	nan := append([]float64(nil), fine...)
	nan[100] = math.NaN()
	neg := make([]float64, len(fine))
	for i := range neg {
		neg[i] = -fine[i]
	}
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "empty file"},
		{"blank", "\n\n", "empty file"},
		{"one number header", "45\n" + strings.Join(lines[1:], ""), "header"},
		{"three number header", "9 5 1\n" + strings.Join(lines[1:], ""), "header"},
		{"text header", "SIMPLE = T\n", "header"},
		{"zero factor", "9 0\n", "header"},
		{"wrong header size", "11 5\n" + strings.Join(lines[1:], ""), "line 2: 45 samples, want 55"},
		{"even size", "10 5\n" + strings.Repeat(strings.Repeat("0.1 ", 50)+"\n", 50), "odd"},
		{"truncated rows", strings.Join(lines[:30], ""), "truncated: 29 of 45 rows"},
		{"truncated mid-line", good[:len(good)/2], "samples, want 45"},
		{"extra data", good + "1 2 3\n", "after 45 rows"},
		{"not a number", strings.Replace(good, "e-", "x-", 1), "is not a number"},
		{"NaN", pcatText(size, factor, nan), "non-finite"},
		{"zero", pcatText(size, factor, make([]float64, len(fine))), "sums to 0"},
		{"negative", pcatText(size, factor, neg), "must be positive"},
	} {
		_, err := ReadPCAT(strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bad_psf.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:10], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(dir, "missing.txt")} {
		_, err := ReadPCATFile(p)
		if err == nil || !strings.Contains(err.Error(), p) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%s: error %v, want one line naming the file", p, err)
		}
	}
}

// FuzzReadPCAT checks that no input makes ReadPCAT panic, that what it refuses gets a one-line
// error (ReadPCATFile puts the file name in front), and that what it accepts is a usable PSF.
func FuzzReadPCAT(f *testing.F) {
	f.Add("1 3\n0 0 0\n0 1 0\n0 0 0\n")
	f.Add("3 3\n" + strings.Repeat(strings.Repeat("0.01 ", 9)+"\n", 9))
	f.Add("25\t5\n-1e-5 2\n")
	f.Add("1 3\n1 NaN 1\n1 1 1\n1 1 1\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ReadPCAT(strings.NewReader(text))
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line", msg)
			}
			return
		}
		if p.Size%2 != 1 || len(p.Coeffs) != 10*p.Size*p.Size {
			t.Fatalf("accepted a PSF of size %d with %d coefficients", p.Size, len(p.Coeffs))
		}
	})
}
