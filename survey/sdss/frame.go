package sdss

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/wcs"
)

// Frame is an SDSS calibrated frame (frame-BAND-RUN6-CAMCOL-FIELD4.fits[.bz2]) read into
// memory.
type Frame struct {
	// Path is the file the frame was read from.
	Path string
	// Band is the filter letter (u, g, r, i or z) from the FILTER card.
	Band string
	// Run and Camcol are the RUN and CAMCOL cards.
	Run, Camcol int
	// Field is the field number, from the file name frame-BAND-RUN6-CAMCOL-FIELD4 (the
	// psField, photoField and fpM files use it). The FRAME card equals it only for r: the
	// other filters' CCDs see the same sky in later frames (2583-2-136: i 138, u 140, z 142,
	// g 144). For a file not named the SDSS way Field is the FRAME card for r and 0
	// (unknown) otherwise.
	Field int
	// Width and Height are the frame's size in pixels (2048 × 1489 for SDSS).
	Width, Height int
	// Image is HDU0: sky-subtracted, calibrated nanomaggies, row-major (Image[y*Width+x]).
	Image []float32
	// Calib is HDU1: nanomaggies per count for each column.
	Calib []float64
	// Sky is the sky in counts at each pixel, interpolated from HDU2's ALLSKY grid.
	Sky []float32
	// NMGY is the NMGY card: the frame's nominal nanomaggies per count (photoField's
	// NMGYPERCOUNT). Calib differs from it by the flat field (about 1.7 % for r in field
	// 2583-2-136); PCAT's and An et al.'s catalogues converted magnitudes with NMGY.
	NMGY float64
	// SoftBias is the SOFTBIAS card (1000 counts), the pedestal SDSS adds to raw data.
	SoftBias float64
	// Header is HDU0's header.
	Header *fits.Header
	// WCS is the frame's TAN WCS (from Header), in 0-based frame pixels.
	WCS *wcs.WCS
	// AsTrans is the frame's own copy of SDSS's astrometric solution (HDU3), which the TAN
	// WCS approximates; nil when the file has no HDU3.
	AsTrans *AsTrans
}

// frameName matches SDSS frame file names: band, run, camcol, field.
var frameName = regexp.MustCompile(`^frame-([ugriz])-(\d{6})-(\d)-(\d{4})\.fits`)

// ReadFrame reads a calibrated frame, plain or compressed (gzip or bzip2, as distributed).
// Errors name the file and the problem.
func ReadFrame(path string) (*Frame, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not an SDSS frame: %s", path, fmt.Sprintf(format, args...))
	}
	if f.NumHDU() < 3 {
		return nil, bad("%d HDUs, want image, calibration and sky (3 or more)", f.NumHDU())
	}
	im, err := f.Image(0)
	if err != nil {
		return nil, err
	}
	fr := &Frame{Path: path, Width: im.Width, Height: im.Height, Image: im.Pix, Header: im.Header, SoftBias: 1000}
	h := im.Header
	if fr.Band, err = h.String("FILTER"); err != nil {
		return nil, bad("%v", err)
	}
	fr.Band = strings.TrimSpace(fr.Band)
	if !strings.Contains("ugriz", fr.Band) || len(fr.Band) != 1 {
		return nil, bad("FILTER %q is not one of u, g, r, i, z", fr.Band)
	}
	for _, c := range []struct {
		key string
		v   *int
	}{{"RUN", &fr.Run}, {"CAMCOL", &fr.Camcol}} {
		v, err := h.Int(c.key)
		if err != nil {
			return nil, bad("%v", err)
		}
		*c.v = int(v)
	}
	if m := frameName.FindStringSubmatch(filepath.Base(path)); m != nil {
		run, _ := strconv.Atoi(m[2])
		camcol, _ := strconv.Atoi(m[3])
		if m[1] != fr.Band || run != fr.Run || camcol != fr.Camcol {
			return nil, bad("the name says band %s, run %d, camcol %d but the header says %s, %d, %d", m[1], run, camcol, fr.Band, fr.Run, fr.Camcol)
		}
		fr.Field, _ = strconv.Atoi(m[4])
	} else if fr.Band == "r" {
		v, err := h.Int("FRAME")
		if err != nil {
			return nil, bad("%v", err)
		}
		fr.Field = int(v)
	}
	if fr.NMGY, err = h.Float("NMGY"); err != nil {
		return nil, bad("%v", err)
	}
	if !(fr.NMGY > 0) {
		return nil, bad("NMGY = %g, must be positive", fr.NMGY)
	}
	if h.Has("SOFTBIAS") {
		if fr.SoftBias, err = h.Float("SOFTBIAS"); err != nil {
			return nil, bad("%v", err)
		}
	}

	if fr.WCS, err = wcs.FromHeader(h); err != nil {
		return nil, bad("%v", err)
	}

	cal, err := f.Image(1)
	if err != nil {
		return nil, err
	}
	if cal.Width != fr.Width || cal.Height != 1 {
		return nil, bad("calibration HDU1 is %d×%d, want %d values", cal.Width, cal.Height, fr.Width)
	}
	fr.Calib = make([]float64, fr.Width)
	for i, v := range cal.Pix {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return nil, bad("calibration of column %d is %g, must be positive", i, v)
		}
		fr.Calib[i] = float64(v)
	}

	if fr.Sky, err = readSky(f, fr.Width, fr.Height); err != nil {
		return nil, bad("%v", err)
	}
	if f.NumHDU() > 3 {
		at, err := readFrameAsTrans(f)
		if err != nil {
			return nil, bad("astrometry HDU3: %v", err)
		}
		if at.Band != fr.Band || at.Run != fr.Run || at.Camcol != fr.Camcol || (fr.Field > 0 && at.Field != fr.Field) {
			return nil, bad("astrometry HDU3 is for band %s, run %d, camcol %d, field %d", at.Band, at.Run, at.Camcol, at.Field)
		}
		fr.AsTrans = at
	}
	return fr, nil
}

// readSky interpolates HDU2's ALLSKY grid bilinearly onto every pixel.
func readSky(f *fits.File, w, h int) ([]float32, error) {
	t, err := f.Table(2)
	if err != nil {
		return nil, err
	}
	if t.Rows != 1 {
		return nil, fmt.Errorf("sky table HDU2 has %d rows, want 1", t.Rows)
	}
	col := func(name string, n int) ([]float64, error) {
		c, err := t.Column(name)
		if err != nil {
			return nil, err
		}
		v, err := c.Float64s()
		if err != nil {
			return nil, err
		}
		if n > 0 && len(v) != n {
			return nil, fmt.Errorf("sky column %s has %d values, want %d", name, len(v), n)
		}
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("sky column %s has non-finite values", name)
			}
		}
		return v, nil
	}
	c, err := t.Column("ALLSKY")
	if err != nil {
		return nil, err
	}
	if len(c.Dim) != 2 {
		return nil, errors.New("sky column ALLSKY has no two-dimensional TDIM")
	}
	gw, gh := c.Dim[0], c.Dim[1] // TDIM's first axis (columns) varies fastest
	grid, err := col("ALLSKY", gw*gh)
	if err != nil {
		return nil, err
	}
	xi, err := col("XINTERP", w)
	if err != nil {
		return nil, err
	}
	yi, err := col("YINTERP", h)
	if err != nil {
		return nil, err
	}
	return interpolateGrid(grid, gw, gh, xi, yi), nil
}

// interpolateGrid evaluates a gw×gh grid (row-major) bilinearly at every (xi[x], yi[y]),
// clamping positions outside the grid to its edge.
func interpolateGrid(grid []float64, gw, gh int, xi, yi []float64) []float32 {
	type tap struct {
		i0, i1 int
		f      float64
	}
	taps := func(v []float64, n int) []tap {
		out := make([]tap, len(v))
		for k, p := range v {
			p = math.Max(0, math.Min(p, float64(n-1)))
			i0 := int(p)
			out[k] = tap{i0, min(i0+1, n-1), p - float64(i0)}
		}
		return out
	}
	tx, ty := taps(xi, gw), taps(yi, gh)
	out := make([]float32, len(xi)*len(yi))
	for y, b := range ty {
		r0, r1 := grid[b.i0*gw:(b.i0+1)*gw], grid[b.i1*gw:(b.i1+1)*gw]
		row := out[y*len(xi) : (y+1)*len(xi)]
		for x, a := range tx {
			top := r0[a.i0] + a.f*(r0[a.i1]-r0[a.i0])
			bot := r1[a.i0] + a.f*(r1[a.i1]-r1[a.i0])
			row[x] = float32(top + b.f*(bot-top))
		}
	}
	return out
}

// Counts returns the data numbers at frame pixel (x, y) above the soft bias:
// Image/Calib[x] + Sky.
func (f *Frame) Counts(x, y int) float64 {
	i := y*f.Width + x
	return float64(f.Image[i])/f.Calib[x] + float64(f.Sky[i])
}

// Box is a rectangle of frame pixels: columns X0 … X0+W−1 and rows Y0 … Y0+H−1.
type Box struct {
	X0, Y0, W, H int
}

// String formats the box as "X0,Y0,W,H", the form ParseBox reads.
func (b Box) String() string { return fmt.Sprintf("%d,%d,%d,%d", b.X0, b.Y0, b.W, b.H) }

// Empty reports whether the box has no pixels.
func (b Box) Empty() bool { return b.W <= 0 || b.H <= 0 }

// Centre returns the box's centre in frame pixel coordinates.
func (b Box) Centre() (x, y float64) {
	return float64(b.X0) + float64(b.W-1)/2, float64(b.Y0) + float64(b.H-1)/2
}

// ParseBox reads a box written "X0,Y0,W,H" (frame column and row of the first pixel, width
// and height), as given to the command line's --cutout.
func ParseBox(s string) (Box, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return Box{}, fmt.Errorf("cutout %q: want X0,Y0,W,H", s)
	}
	var v [4]int
	for i, p := range parts {
		if _, err := fmt.Sscan(strings.TrimSpace(p), &v[i]); err != nil {
			return Box{}, fmt.Errorf("cutout %q: %q is not an integer", s, p)
		}
	}
	b := Box{v[0], v[1], v[2], v[3]}
	if b.Empty() {
		return Box{}, fmt.Errorf("cutout %q: width and height must be positive", s)
	}
	return b, nil
}

// check verifies that the box lies inside the frame.
func (f *Frame) check(b Box) error {
	if b.Empty() {
		return fmt.Errorf("%s: cutout %v is empty", f.Path, b)
	}
	if b.X0 < 0 || b.Y0 < 0 || b.X0+b.W > f.Width || b.Y0+b.H > f.Height {
		return fmt.Errorf("%s: cutout %v (x0,y0,w,h) does not lie inside the %d×%d frame", f.Path, b, f.Width, f.Height)
	}
	return nil
}

// CountsIn returns the counts (above the soft bias) of the pixels of box b, row-major.
func (f *Frame) CountsIn(b Box) ([]float32, error) {
	if err := f.check(b); err != nil {
		return nil, err
	}
	out := make([]float32, 0, b.W*b.H)
	for y := b.Y0; y < b.Y0+b.H; y++ {
		for x := b.X0; x < b.X0+b.W; x++ {
			out = append(out, float32(f.Counts(x, y)))
		}
	}
	return out, nil
}

// MedianSky returns the median sky level in counts over box b.
func (f *Frame) MedianSky(b Box) (float64, error) {
	if err := f.check(b); err != nil {
		return 0, err
	}
	v := make([]float64, 0, b.W*b.H)
	for y := b.Y0; y < b.Y0+b.H; y++ {
		for _, s := range f.Sky[y*f.Width+b.X0 : y*f.Width+b.X0+b.W] {
			v = append(v, float64(s))
		}
	}
	return order.Median(v), nil
}

// MeanCalib returns the mean of Calib over the box's columns: the nanomaggies per count that
// Load uses for the cutout's zero point.
func (f *Frame) MeanCalib(b Box) (float64, error) {
	if err := f.check(b); err != nil {
		return 0, err
	}
	s := 0.0
	for _, c := range f.Calib[b.X0 : b.X0+b.W] {
		s += c
	}
	return s / float64(b.W), nil
}
