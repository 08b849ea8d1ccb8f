package psf

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/probcat/probcat/internal/atomicfile"
)

// ReadPCAT reads a PSF in PCAT's oversampled text format: a first line "size factor"
// (for example "25<TAB>5"), then size·factor lines of size·factor numbers separated by
// white space. Sample (a, b) (line a, column b, 0-based) is the light in a native pixel whose
// centre lies (b/factor − size/2, a/factor − size/2) pixels from the source, which is the
// layout of PSF.Fine: PCAT's M2 r-band PSF peaks at (60, 60), and its samples at a, b
// multiples of 5 are the native SDSS PSF image.

// Errors give the line and the problem.
func ReadPCAT(r io.Reader) (*PSF, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	next := func() (string, bool) {
		for sc.Scan() {
			line++
			if s := strings.TrimSpace(sc.Text()); s != "" {
				return s, true
			}
		}
		return "", false
	}
	head, ok := next()
	if !ok {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("empty file, want a header line \"size factor\"")
	}
	hf := strings.Fields(head)
	if len(hf) != 2 {
		return nil, fmt.Errorf("line %d: header %q must hold two integers, size and oversampling factor", line, head)
	}
	size, err1 := strconv.Atoi(hf[0])
	factor, err2 := strconv.Atoi(hf[1])
	if err1 != nil || err2 != nil || size < 1 || factor < 1 || size > 4096 || factor > 4096 || size*factor > 4096 { // each alone first: the product may overflow
		return nil, fmt.Errorf("line %d: header %q must hold two positive integers, size and oversampling factor", line, head)
	}
	n := size * factor
	fine := make([]float64, 0, min(n*n, 1<<16)) // grows only as the file delivers
	for a := 0; a < n; a++ {
		s, ok := next()
		if !ok {
			if err := sc.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("truncated: %d of %d rows of samples", a, n)
		}
		f := strings.Fields(s)
		if len(f) != n {
			return nil, fmt.Errorf("line %d: %d samples, want %d", line, len(f), n)
		}
		for i, t := range f {
			v, err := strconv.ParseFloat(t, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d, column %d: %q is not a number", line, i+1, t)
			}
			fine = append(fine, v)
		}
	}
	if s, ok := next(); ok {
		return nil, fmt.Errorf("line %d: unexpected data %.20q after %d rows of samples", line, s, n)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return FromEffective(fine, size, factor)
}

// ReadPCATFile reads a PSF in PCAT's oversampled text format (see ReadPCAT) from a file;
// errors name the file.
func ReadPCATFile(path string) (*PSF, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ReadPCAT(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// WritePCAT writes p in PCAT's oversampled text format, so that PCAT itself (or ReadPCAT)
// can use it. Values are written with 17 significant digits, so ReadPCAT gives back the
// same PSF.
func (p *PSF) WritePCAT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d\t%d\n", p.Size, p.Factor)
	n := p.Size * p.Factor
	var buf []byte
	for a := 0; a < n; a++ {
		buf = buf[:0]
		for b := 0; b < n; b++ {
			if b > 0 {
				buf = append(buf, ' ')
			}
			buf = strconv.AppendFloat(buf, p.Fine[a*n+b], 'e', 16, 64)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WritePCATFile writes p in PCAT's text format to path, through a temporary file in the
// same folder renamed into place, so that a failure leaves no partial file.
func (p *PSF) WritePCATFile(path string) error {
	return atomicfile.Write(path, func(w *bufio.Writer) error { return p.WritePCAT(w) })
}
