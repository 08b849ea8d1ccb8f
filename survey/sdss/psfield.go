package sdss

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/psf"
)

// bandIndex returns the position of band in "ugriz" (the order of psField HDUs 1–5 and of
// photoField's per-band arrays).
func bandIndex(band string) (int, error) {
	i := strings.Index("ugriz", band)
	if len(band) != 1 || i < 0 {
		return 0, fmt.Errorf("band %q is not one of u, g, r, i, z", band)
	}
	return i, nil
}

// rcScale is photo's RC_SCALE: the spatial polynomial of a KL PSF is in units of 1000 pixels.
const rcScale = 1e-3

// KLPSF is the PSF model of one band of a psField file (HDUs 1–5 for u, g, r, i, z): a few
// eigen-images whose weights are polynomials in the frame position.
type KLPSF struct {
	// Band is the filter letter.
	Band string
	// Rows and Cols are the size of the eigen-images (51 × 51 for SDSS).
	Rows, Cols int
	// Eigen holds the eigen-images, each Rows×Cols row-major (RROWS).
	Eigen [][]float64
	// Coeff holds, per eigen-image, the polynomial coefficients Coeff[i][j*NCol+k] of
	// (rowc·10⁻³)^j (colc·10⁻³)^k, j < NRow, k < NCol.
	Coeff [][]float64
	// NRow and NCol are the polynomial orders in row and column (nrow_b and ncol_b).
	NRow, NCol []int
}

// ReadKLPSF reads the KL PSF of a band from a psField file.
//
// The layout follows photo's own reader (readAtlasImages: read_PSF and phPsfKLReconstruct):
// a table row is the PSF_KL_COMP struct byte for byte, so the 25 values of column c are C's
// float c[5][5] in memory order and c[j][k] multiplies (rowc·10⁻³)^j (colc·10⁻³)^k.
// (Schlegel's IDL sdss_psf_recon and pydl index c the other way round; see KLPSF.At.)
func ReadKLPSF(path, band string) (*KLPSF, error) {
	b, err := bandIndex(band)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	t, err := fits.ReadTable(path, b+1)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: HDU %d is not an SDSS KL PSF: %s", path, b+1, fmt.Sprintf(format, args...))
	}
	if t.Rows < 1 {
		return nil, bad("no eigen-images")
	}
	ints := func(name string) ([]int64, error) {
		c, err := t.Column(name)
		if err != nil {
			return nil, err
		}
		return c.Int64s()
	}
	nrow, err := ints("nrow_b")
	if err != nil {
		return nil, bad("%v", err)
	}
	ncol, err := ints("ncol_b")
	if err != nil {
		return nil, bad("%v", err)
	}
	rnrow, err := ints("RNROW")
	if err != nil {
		return nil, bad("%v", err)
	}
	rncol, err := ints("RNCOL")
	if err != nil {
		return nil, bad("%v", err)
	}
	cc, err := t.Column("c")
	if err != nil {
		return nil, bad("%v", err)
	}
	if cc.Repeat != 25 || (cc.Dim != nil && (len(cc.Dim) != 2 || cc.Dim[0] != 5 || cc.Dim[1] != 5)) {
		return nil, bad("column c has %d values (TDIM %v), want 5×5", cc.Repeat, cc.Dim)
	}
	c, err := cc.Float64s()
	if err != nil {
		return nil, bad("%v", err)
	}
	rr, err := t.Column("RROWS")
	if err != nil {
		return nil, bad("%v", err)
	}
	rows, err := rr.VarFloat64s()
	if err != nil {
		return nil, bad("%v", err)
	}
	k := &KLPSF{Band: band, Rows: int(rnrow[0]), Cols: int(rncol[0])}
	if k.Rows < 1 || k.Cols < 1 || k.Rows%2 == 0 || k.Cols%2 == 0 {
		return nil, bad("eigen-images are %d×%d, want odd sizes", k.Rows, k.Cols)
	}
	for i := range t.Rows {
		if int(rnrow[i]) != k.Rows || int(rncol[i]) != k.Cols {
			return nil, bad("eigen-image %d is %d×%d, eigen-image 0 is %d×%d", i, rnrow[i], rncol[i], k.Rows, k.Cols)
		}
		if len(rows[i]) < k.Rows*k.Cols {
			return nil, bad("eigen-image %d has %d values, want %d×%d", i, len(rows[i]), k.Rows, k.Cols)
		}
		nr, nc := int(nrow[i]), int(ncol[i])
		if nr < 1 || nc < 1 || nr > 5 || nc > 5 {
			return nil, bad("eigen-image %d has polynomial orders nrow_b=%d, ncol_b=%d, want 1…5", i, nr, nc)
		}
		co := make([]float64, nr*nc)
		for j := range nr {
			for l := range nc {
				co[j*nc+l] = c[i*25+j*5+l]
			}
		}
		for _, v := range append(co, rows[i][:k.Rows*k.Cols]...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad("eigen-image %d has non-finite values", i)
			}
		}
		k.Eigen = append(k.Eigen, rows[i][:k.Rows*k.Cols])
		k.Coeff = append(k.Coeff, co)
		k.NRow, k.NCol = append(k.NRow, nr), append(k.NCol, nc)
	}
	return k, nil
}

// At reconstructs the PSF image (Rows×Cols, row-major, centred on the middle pixel, not
// normalised: it sums to about 1) for a source at frame pixel (x, y) in probcat's
// convention. Photo puts pixel centres at half-integers, so the polynomial is evaluated at
// rowc = y + ½, colc = x + ½, as the SDSS tools do.
//
// The SDSS PSF image sdss-002583-2-0136-psf-r.fits (the one PCAT and StarNet used) is
// reproduced to 7e−8 of its peak by At(500, 600): it is IDL sdss_psf_recon(psField, 600,
// 500) under IDL's transposed reading of c, which is photo's (rowc, colc) = (600.5, 500.5).
func (k *KLPSF) At(x, y float64) []float64 {
	rowc, colc := (y+0.5)*rcScale, (x+0.5)*rcScale
	out := make([]float64, k.Rows*k.Cols)
	for i, e := range k.Eigen {
		a := 0.0
		rp := 1.0
		for j := range k.NRow[i] {
			cp := 1.0
			for l := range k.NCol[i] {
				a += k.Coeff[i][j*k.NCol[i]+l] * rp * cp
				cp *= colc
			}
			rp *= rowc
		}
		for p, v := range e {
			out[p] += a * v
		}
	}
	return out
}

// Stamp returns the central size×size pixels of At(x, y) (size odd, at most Rows and Cols).
func (k *KLPSF) Stamp(x, y float64, size int) ([]float64, error) {
	if size < 1 || size%2 == 0 || size > k.Rows || size > k.Cols {
		return nil, fmt.Errorf("PSF stamp size %d must be odd and at most %d×%d", size, k.Rows, k.Cols)
	}
	full := k.At(x, y)
	r0, c0 := (k.Rows-size)/2, (k.Cols-size)/2
	out := make([]float64, 0, size*size)
	for r := r0; r < r0+size; r++ {
		out = append(out, full[r*k.Cols+c0:r*k.Cols+c0+size]...)
	}
	return out, nil
}

// PSF builds a probcat PSF of a size×size stamp at frame pixel (x, y), the source on the
// middle pixel. The whole Rows×Cols reconstruction goes to psf.FromImage, which cuts the stamp
// after resampling: the KL PSF falls to zero well inside its 51×51 image, whereas cutting
// first would put an edge of non-zero wing light into the Lanczos resampling, whose
// sinc-like kernel turns it into alternating ringing across the stamp (±1 % of the peak at
// half-pixel offsets: a bright star's model then misses the data by tens of σ in
// alternate rows, and the sampler splits the star).
func (k *KLPSF) PSF(x, y float64, size int) (*psf.PSF, error) {
	if size < 1 || size%2 == 0 || size > k.Rows || size > k.Cols {
		return nil, fmt.Errorf("PSF stamp size %d must be odd and at most %d×%d", size, k.Rows, k.Cols)
	}
	if k.Rows != k.Cols {
		return nil, fmt.Errorf("KL PSF images of %d×%d are not square", k.Rows, k.Cols)
	}
	return psf.FromImage(k.At(x, y), k.Cols, k.Rows, psf.ImageOptions{Factor: 1, Size: size, Centre: psf.CentreMiddle})
}

// Field builds the PSF of a frame box as it varies: the box is cut into cells of cell pixels
// (DefaultPSFCell when 0) from its lower corner, and each cell's PSF is reconstructed at the
// centre of the cell's part inside the box. The field is in the box's pixel coordinates.
func (k *KLPSF) Field(b Box, cell, size int) (*psf.Field, error) {
	if cell == 0 {
		cell = DefaultPSFCell
	}
	if cell < 1 {
		return nil, fmt.Errorf("PSF cell side must be positive, got %d", cell)
	}
	nx, ny := (b.W+cell-1)/cell, (b.H+cell-1)/cell
	psfs := make([]*psf.PSF, 0, nx*ny)
	for j := range ny {
		for i := range nx {
			x0, x1 := b.X0+i*cell, min(b.X0+(i+1)*cell, b.X0+b.W)
			y0, y1 := b.Y0+j*cell, min(b.Y0+(j+1)*cell, b.Y0+b.H)
			p, err := k.PSF(float64(x0+x1-1)/2, float64(y0+y1-1)/2, size)
			if err != nil {
				return nil, err
			}
			psfs = append(psfs, p)
		}
	}
	return psf.NewField(-0.5, -0.5, cell, nx, ny, psfs)
}

// FieldParams are the per-field, per-band detector parameters needed for the noise model.
type FieldParams struct {
	// Gain is electrons per count.
	Gain float64
	// DarkVariance is the variance, in counts², of the read noise and dark current.
	DarkVariance float64
	// Source says where the values came from ("FILE (psField HDU6)" or "FILE (photoField
	// field N)").
	Source string
}

// ReadPsFieldParams reads gain and dark variance for a band from a psField file's HDU6.
func ReadPsFieldParams(path, band string) (FieldParams, error) {
	b, err := bandIndex(band)
	if err != nil {
		return FieldParams{}, fmt.Errorf("%s: %v", path, err)
	}
	t, err := fits.ReadTable(path, 6)
	if err != nil {
		return FieldParams{}, err
	}
	if t.Rows != 1 {
		return FieldParams{}, fmt.Errorf("%s: psField HDU6 has %d rows, want 1", path, t.Rows)
	}
	p, err := params(t, 0, b, "gain", "dark_variance")
	if err != nil {
		return FieldParams{}, fmt.Errorf("%s: psField HDU6: %v", path, err)
	}
	p.Source = path + " (psField HDU6)"
	return p, nil
}

// ReadPhotoFieldParams reads gain and dark variance for a band and field from a photoField
// file (one row per field of a run and camcol).
func ReadPhotoFieldParams(path string, field int, band string) (FieldParams, error) {
	b, err := bandIndex(band)
	if err != nil {
		return FieldParams{}, fmt.Errorf("%s: %v", path, err)
	}
	t, err := fits.ReadTable(path, 1)
	if err != nil {
		return FieldParams{}, err
	}
	fc, err := t.Column("FIELD")
	if err != nil {
		return FieldParams{}, fmt.Errorf("%s: photoField: %v", path, err)
	}
	fields, err := fc.Int64s()
	if err != nil {
		return FieldParams{}, fmt.Errorf("%s: photoField: %v", path, err)
	}
	for r, f := range fields {
		if int(f) != field {
			continue
		}
		p, err := params(t, r, b, "GAIN", "DARK_VARIANCE")
		if err != nil {
			return FieldParams{}, fmt.Errorf("%s: photoField: %v", path, err)
		}
		p.Source = fmt.Sprintf("%s (photoField field %d)", path, field)
		return p, nil
	}
	return FieldParams{}, fmt.Errorf("%s: photoField has no row for field %d", path, field)
}

// params reads band b of the five-element gain and dark-variance columns of table row r.
func params(t *fits.Table, r, b int, gainCol, darkCol string) (FieldParams, error) {
	get := func(name string) (float64, error) {
		c, err := t.Column(name)
		if err != nil {
			return 0, err
		}
		if c.Repeat != 5 {
			return 0, fmt.Errorf("column %s has %d values per row, want 5 (u, g, r, i, z)", name, c.Repeat)
		}
		v, err := c.Float64s()
		if err != nil {
			return 0, err
		}
		if c.Type == 'E' { // the shortest decimal that rounds to the float32: 4.6, not 4.5999999
			return strconv.ParseFloat(strconv.FormatFloat(v[r*5+b], 'g', -1, 32), 64)
		}
		return v[r*5+b], nil
	}
	var p FieldParams
	var err error
	if p.Gain, err = get(gainCol); err != nil {
		return p, err
	}
	if p.DarkVariance, err = get(darkCol); err != nil {
		return p, err
	}
	if !(p.Gain > 0) || math.IsInf(p.Gain, 0) {
		return p, fmt.Errorf("gain %g must be positive", p.Gain)
	}
	if !(p.DarkVariance >= 0) || math.IsInf(p.DarkVariance, 0) {
		return p, fmt.Errorf("dark variance %g must not be negative", p.DarkVariance)
	}
	return p, nil
}
