package psf

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadPCAT reads a PSF in PCAT's oversampled text format: a first line "size factor"
// (for example "25<TAB>5"), then size·factor lines of size·factor numbers separated by
// white space. Sample (a, b) (line a, column b, 0-based) is the light in a native pixel whose
// centre lies (b/factor − size/2, a/factor − size/2) pixels from the source, which is the
// layout of PSF.Fine: PCAT's M2 r-band PSF peaks at (60, 60), and its samples at a, b
// multiples of 5 are the native SDSS PSF image.
//
// A source at sub-pixel offset d > 0 from the stamp centre sees the samples at
// displacements from −size/2 + d onwards, so the stamp drops light sitting in the grid's
// first native pixel's worth of rows or columns. When these hold more than 1e−5 of the
// light, the grid is padded with one native pixel of zeros on every side (size + 2), so
// that a source renders all the file's light at any offset. PCAT's M2 r PSF holds −4e−4 of
// its light there (in small negative wings): unpadded, the rendered flux would vary by
// 4e−4 with sub-pixel position; padded to 27×27 it varies by less than 1e−6.
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
	if err1 != nil || err2 != nil || size < 1 || factor < 1 || size*factor > 4096 {
		return nil, fmt.Errorf("line %d: header %q must hold two positive integers, size and oversampling factor", line, head)
	}
	n := size * factor
	fine := make([]float64, 0, n*n)
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
	if lowEdgeLight(fine, size, factor) > 1e-5 {
		fine, size = pad(fine, size, factor), size+2
	}
	return FromEffective(fine, size, factor)
}

// lowEdgeLight returns the absolute light in the first native pixel's worth of rows and of
// columns of an oversampled grid (the samples at displacements in [−c, −c + 1)), as a
// fraction of the absolute light of the whole grid. A source at sub-pixel offset d > 0
// loses the part of it below −c + d from its stamp.
func lowEdgeLight(fine []float64, size, factor int) float64 {
	n := size * factor
	edge, all := 0.0, 0.0
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			v := math.Abs(fine[a*n+b])
			all += v
			if a < factor || b < factor {
				edge += v
			}
		}
	}
	return edge / all
}

// pad surrounds an oversampled grid with one native pixel of zeros on every side.
func pad(fine []float64, size, factor int) []float64 {
	n, m := size*factor, (size+2)*factor
	out := make([]float64, m*m)
	for a := 0; a < n; a++ {
		copy(out[(a+factor)*m+factor:], fine[a*n:(a+1)*n])
	}
	return out
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
	return writeAtomic(path, p.WritePCAT)
}

// writeAtomic writes a file through a temporary name in the same folder, then renames it.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
