package sdss

import (
	"fmt"
	"math"
)

// Astrometry takes frame pixels (probcat's convention) to the sky and back: a frame's TAN
// WCS (*wcs.WCS) or its SDSS astrometric solution (*AsTrans).
type Astrometry interface {
	PixelToSky(x, y float64) (ra, dec float64)
	SkyToPixel(ra, dec float64) (x, y float64, err error)
}

// BandMap takes a position in one band's frame pixels (the reference band, From) to another
// band's frame pixels (To) through the sky: From.PixelToSky, then To.SkyToPixel. The five
// SDSS bands of a field are exposed one after another as the sky drifts across the camera,
// so one star lands several pixels apart in their frames (near M2's PCAT cutout, i is offset
// by (−0.5, +2.8) px from r and g by (+3.1, +10.8) px) and the frames are rotated against
// each other by a few 10⁻⁴ rad.
type BandMap struct {
	From, To Astrometry
}

// Map returns the To-band pixel of the From-band pixel (x, y).
func (m BandMap) Map(x, y float64) (float64, float64, error) {
	ra, dec := m.From.PixelToSky(x, y)
	return m.To.SkyToPixel(ra, dec)
}

// Affine is a linear approximation of a BandMap over a box: position (x, y) maps to
// (U, V) + J·(x − X0, y − Y0).
type Affine struct {
	// X0, Y0 is the point of expansion (the box's centre) in From-band pixels, and U, V its
	// image in To-band pixels.
	X0, Y0, U, V float64
	// J is the Jacobian: J[0] = (∂x'/∂x, ∂x'/∂y), J[1] = (∂y'/∂x, ∂y'/∂y).
	J [2][2]float64
}

// Apply returns the To-band pixel of the From-band pixel (x, y).
func (a Affine) Apply(x, y float64) (float64, float64) {
	dx, dy := x-a.X0, y-a.Y0
	return a.U + a.J[0][0]*dx + a.J[0][1]*dy, a.V + a.J[1][0]*dx + a.J[1][1]*dy
}

// affineFitPoints and affineCheckPoints are the sides of the grids on which Affine fits the
// map and measures its error.
const affineFitPoints, affineCheckPoints = 9, 33

// Affine fits the map by least squares on a 9×9 grid spanning box b's area (from the outer
// edges of its edge pixels, where a source in the box can still be) and returns it with its
// worst error in To-band pixels over a 33×33 grid on the same area. The grid is symmetric
// about the box's centre, so the fit decouples: (U, V) is the mean image and each row of J a
// ratio of sums.
func (m BandMap) Affine(b Box) (Affine, float64, error) {
	if b.Empty() {
		return Affine{}, 0, fmt.Errorf("band map: box %v is empty", b)
	}
	cx, cy := b.Centre()
	a := Affine{X0: cx, Y0: cy}
	hw, hh := float64(b.W)/2, float64(b.H)/2
	grid := func(n, i int, half float64) float64 { return half * (2*float64(i)/float64(n-1) - 1) }
	var sum, sx, sy [2]float64 // Σ image, Σ image·dx, Σ image·dy per coordinate
	var sdx2, sdy2 float64
	const n = affineFitPoints
	for j := range n {
		for i := range n {
			dx, dy := grid(n, i, hw), grid(n, j, hh)
			u, v, err := m.Map(cx+dx, cy+dy)
			if err != nil {
				return Affine{}, 0, fmt.Errorf("band map at (%g, %g): %v", cx+dx, cy+dy, err)
			}
			for k, w := range [2]float64{u, v} {
				sum[k] += w
				sx[k] += w * dx
				sy[k] += w * dy
			}
			sdx2 += dx * dx
			sdy2 += dy * dy
		}
	}
	a.U, a.V = sum[0]/(n*n), sum[1]/(n*n)
	for k := range 2 {
		a.J[k] = [2]float64{sx[k] / sdx2, sy[k] / sdy2}
	}
	worst := 0.0
	const c = affineCheckPoints
	for j := range c {
		for i := range c {
			x, y := cx+grid(c, i, hw), cy+grid(c, j, hh)
			u, v, err := m.Map(x, y)
			if err != nil {
				return Affine{}, 0, fmt.Errorf("band map at (%g, %g): %v", x, y, err)
			}
			au, av := a.Apply(x, y)
			worst = math.Max(worst, math.Hypot(au-u, av-v))
		}
	}
	return a, worst, nil
}

// Cover returns the smallest box of To-band pixels that contains the image of From-band box
// b (its whole area, out to the outer edges of its edge pixels), grown by margin pixels on
// every side and clipped to a w×h frame. The image is traced along b's edges every 8 pixels
// or closer. It fails when nothing is left after clipping.
func (m BandMap) Cover(b Box, margin, w, h int) (Box, error) {
	if b.Empty() || margin < 0 {
		return Box{}, fmt.Errorf("band map: cannot cover box %v with margin %d", b, margin)
	}
	x0, y0 := float64(b.X0)-0.5, float64(b.Y0)-0.5
	x1, y1 := x0+float64(b.W), y0+float64(b.H)
	xmin, ymin, xmax, ymax := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	trace := func(xa, ya, xb, yb float64) error {
		n := int(math.Ceil(math.Hypot(xb-xa, yb-ya)/8)) + 1
		for i := range n + 1 {
			f := float64(i) / float64(n)
			u, v, err := m.Map(xa+f*(xb-xa), ya+f*(yb-ya))
			if err != nil {
				return fmt.Errorf("band map at (%g, %g): %v", xa+f*(xb-xa), ya+f*(yb-ya), err)
			}
			xmin, xmax = math.Min(xmin, u), math.Max(xmax, u)
			ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
		}
		return nil
	}
	for _, e := range [][4]float64{{x0, y0, x1, y0}, {x1, y0, x1, y1}, {x1, y1, x0, y1}, {x0, y1, x0, y0}} {
		if err := trace(e[0], e[1], e[2], e[3]); err != nil {
			return Box{}, err
		}
	}
	// Pixel i covers [i − ½, i + ½).
	px0 := int(math.Floor(xmin+0.5)) - margin
	py0 := int(math.Floor(ymin+0.5)) - margin
	px1 := int(math.Ceil(xmax+0.5)) - 1 + margin
	py1 := int(math.Ceil(ymax+0.5)) - 1 + margin
	px0, py0 = max(px0, 0), max(py0, 0)
	px1, py1 = min(px1, w-1), min(py1, h-1)
	out := Box{X0: px0, Y0: py0, W: px1 - px0 + 1, H: py1 - py0 + 1}
	if out.Empty() {
		return Box{}, fmt.Errorf("band map: box %v maps to x %.1f…%.1f, y %.1f…%.1f, outside the %d×%d frame", b, xmin, xmax, ymin, ymax, w, h)
	}
	return out, nil
}
