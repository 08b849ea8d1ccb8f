package psf

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/probcat/probcat/fits"
)

// STDPSFFactor is the oversampling of Anderson's STDPSF effective PSFs (the format does not
// record it; photutils assumes the same).
const STDPSFFactor = 4

// Grid is a grid of effective PSFs measured at detector positions, such as J. Anderson's
// empirical "STDPSF" libraries for HST's cameras: PSF (i, j) was measured at detector pixel
// (X[i], Y[j]) and is sampled Factor times finer than the pixels, Side samples a side with
// the source on the middle sample.
type Grid struct {
	X, Y   []float64   // grid positions in detector pixels, increasing
	Factor int         // oversampling
	Side   int         // samples per side of each PSF (odd)
	PSFs   [][]float64 // len(Y)·len(X) images, row-major over (j, i)
}

// ReadSTDPSF reads an STDPSF file: one primary HDU holding a cube of NXPSFS·NYPSFS effective
// PSFs, 4× oversampled with the source at the middle sample, measured at the detector
// positions IPSFXnn (columns) and JPSFYnn (rows). The keywords may be in lower case, as in
// STScI's files. Grid positions are taken as 0-based pixel coordinates, as photutils does.
//
// ACS/WFC and WFC3/UVIS files cover both chips of the camera, stacked in y (their y positions
// run 0…2048 for WFC2/UVIS2 and again from 2048 for WFC1/UVIS1); chip selects one by its
// CCDCHIP (2: the lower, the flt/flc file's SCI,1; 1: the upper, SCI,2, whose positions then
// start at 0), and must be 0 for single-chip grids. Errors name the file and the problem.
func ReadSTDPSF(path string, chip int) (*Grid, error) {
	g, err := readSTDPSF(path, chip)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

func readSTDPSF(path string, chip int) (*Grid, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	c, err := f.Cube(0)
	if err != nil {
		return nil, err
	}
	h := c.Header
	nx, err1 := h.Int("NXPSFS")
	ny, err2 := h.Int("NYPSFS")
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("not an STDPSF file (no NXPSFS/NYPSFS): %w", err)
	}
	if nx < 1 || ny < 1 || int(nx*ny) != c.Depth {
		return nil, fmt.Errorf("NXPSFS×NYPSFS = %d×%d does not match the cube's %d PSFs", nx, ny, c.Depth)
	}
	if c.Width != c.Height || c.Width%2 == 0 {
		return nil, fmt.Errorf("PSFs are %d×%d, want square with an odd side", c.Width, c.Height)
	}
	xs, err := positions(h, "IPSFX", int(nx))
	if err != nil {
		return nil, err
	}
	ys, err := positions(h, "JPSFY", int(ny))
	if err != nil {
		return nil, err
	}
	n := c.Width * c.Height
	psfs := make([][]float64, c.Depth)
	for k := range psfs {
		psfs[k] = make([]float64, n)
		for i, v := range c.Pix[k*n : (k+1)*n] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("PSF %d has non-finite values", k)
			}
			psfs[k][i] = float64(v)
		}
	}
	twoChip := c.Depth == 90 || c.Depth == 56 // ACS/WFC, WFC3/UVIS
	switch {
	case twoChip && chip != 1 && chip != 2:
		return nil, fmt.Errorf("the grid covers the two chips of ACS/WFC or WFC3/UVIS: give the image's CCDCHIP (1 or 2), not %d", chip)
	case !twoChip && chip != 0:
		return nil, fmt.Errorf("the grid covers one detector: chip %d does not apply", chip)
	case twoChip:
		half := int(ny) / 2
		rows := int(nx) * half
		if chip == 2 {
			ys, psfs = ys[:half], psfs[:rows]
		} else {
			ys, psfs = ys[half:], psfs[rows:]
			for j := range ys {
				ys[j] -= 2048
			}
		}
	}
	for _, v := range [][]float64{xs, ys} {
		if !sort.Float64sAreSorted(v) {
			return nil, fmt.Errorf("grid positions %v are not increasing", v)
		}
	}
	return &Grid{X: xs, Y: ys, Factor: STDPSFFactor, Side: c.Width, PSFs: psfs}, nil
}

// positions reads the n grid positions prefix01, prefix02, ….
func positions(h *fits.Header, prefix string, n int) ([]float64, error) {
	v := make([]float64, n)
	for i := range v {
		key := fmt.Sprintf("%s%02d", prefix, i+1)
		x, err := h.Float(key)
		if err != nil {
			return nil, fmt.Errorf("grid position %s: %w", key, err)
		}
		v[i] = x
	}
	return v, nil
}

// At returns the effective PSF image at detector position (x, y): the bilinear interpolation
// of the four grid PSFs around it (clamped at the grid's edges), as photutils' GriddedPSFModel
// interpolates.
func (g *Grid) At(x, y float64) []float64 {
	i, u := bracket(g.X, x)
	j, v := bracket(g.Y, y)
	nx := len(g.X)
	out := make([]float64, g.Side*g.Side)
	for _, c := range []struct {
		k int
		w float64
	}{{j*nx + i, (1 - u) * (1 - v)}, {j*nx + i + 1, u * (1 - v)}, {(j+1)*nx + i, (1 - u) * v}, {(j+1)*nx + i + 1, u * v}} {
		if c.w == 0 {
			continue
		}
		for s, p := range g.PSFs[c.k] {
			out[s] += c.w * p
		}
	}
	return out
}

// bracket returns the interval [v[k], v[k+1]] holding t (clamped to the ends) and t's
// fraction along it; a single position gives k = 0 with fraction 0 (and needs no k+1, since
// its weight is then zero).
func bracket(v []float64, t float64) (int, float64) {
	if len(v) == 1 {
		return 0, 0
	}
	k := sort.SearchFloat64s(v, t) - 1
	k = min(max(k, 0), len(v)-2)
	if v[k+1] == v[k] {
		return k, 0
	}
	u := (t - v[k]) / (v[k+1] - v[k])
	return k, min(max(u, 0), 1)
}

// PSF builds the PSF at detector position (x, y) with FromImage (native stamp side size, 0 to
// choose).
func (g *Grid) PSF(x, y float64, size int) (*PSF, error) {
	c := float64(g.Side / 2)
	return FromImage(g.At(x, y), g.Side, g.Side, ImageOptions{Factor: g.Factor, Size: size, Centre: CentreAt, X: c, Y: c})
}

// CellFor returns the side in pixels of field cells within which the interpolated PSF changes
// by at most tol of its peak (0.005 in the PSF issue's terms), between 16 and 512: the change
// between neighbouring grid PSFs divided by their distance bounds the change per pixel, since
// the interpolation is linear between them.
func (g *Grid) CellFor(tol float64) int {
	grad := 0.0
	nx := len(g.X)
	change := func(a, b int, dist float64) {
		if dist <= 0 {
			return
		}
		pa, d := 0.0, 0.0
		for s, v := range g.PSFs[a] {
			pa = math.Max(pa, v)
			d = math.Max(d, math.Abs(v-g.PSFs[b][s]))
		}
		if pa > 0 {
			grad = math.Max(grad, d/pa/dist)
		}
	}
	for j := range g.Y {
		for i := range g.X {
			if i+1 < nx {
				change(j*nx+i, j*nx+i+1, g.X[i+1]-g.X[i])
			}
			if j+1 < len(g.Y) {
				change(j*nx+i, (j+1)*nx+i, g.Y[j+1]-g.Y[j])
			}
		}
	}
	if grad == 0 {
		return 512
	}
	return min(max(int(tol/grad), 16), 512)
}

// Field returns the PSF field of an image whose pixel (0, 0) is detector pixel (x0, y0) and
// which is w×h pixels: square cells of side cell pixels, each with the grid's PSF at its
// centre. All cells share the native stamp side of the PSF at the image's centre.
func (g *Grid) Field(x0, y0, w, h, cell int) (*Field, error) {
	if w < 1 || h < 1 || cell < 1 {
		return nil, fmt.Errorf("field of %d×%d pixels in cells of %d is empty", w, h, cell)
	}
	centre, err := g.PSF(float64(x0)+float64(w-1)/2, float64(y0)+float64(h-1)/2, 0)
	if err != nil {
		return nil, err
	}
	nx, ny := (w+cell-1)/cell, (h+cell-1)/cell
	psfs := make([]*PSF, 0, nx*ny)
	for j := range ny {
		for i := range nx {
			cx := float64(x0) + float64(i*cell) + float64(min(cell, w-i*cell)-1)/2
			cy := float64(y0) + float64(j*cell) + float64(min(cell, h-j*cell)-1)/2
			p, err := g.PSF(cx, cy, centre.Size)
			if err != nil {
				return nil, fmt.Errorf("PSF at detector pixel (%.0f, %.0f): %w", cx, cy, err)
			}
			psfs = append(psfs, p)
		}
	}
	return NewField(-0.5, -0.5, cell, nx, ny, psfs)
}

// IsSTDPSF reports whether path is a FITS file whose primary HDU is an STDPSF grid (a cube
// with NXPSFS and NYPSFS cards); false for anything else, including unreadable files.
func IsSTDPSF(path string) bool {
	f, err := fits.Open(path)
	if err != nil {
		return false
	}
	h, err := f.Header(0)
	if err != nil {
		return false
	}
	n, err := h.Int("NAXIS")
	return err == nil && n == 3 && h.Has("NXPSFS") && h.Has("NYPSFS")
}
