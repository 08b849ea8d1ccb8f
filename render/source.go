package render

import (
	"cmp"
	"math"
	"slices"
)

// FullStamp is a stamp radius that renders the whole PSF stamp whatever its size.
const FullStamp = math.MaxInt32

// Source is one source ready for the kernels: the pixel that anchors its stamp and its ten
// basis weights flux·b(dx, dy) (see the package comment). Rendering is linear in the weights,
// so sources sharing an anchor can be summed into one (see Merge), and a source is removed by
// rendering it with negated weights (see Subtract).
type Source struct {
	// X, Y are ⌈x⌉ and ⌈y⌉ in box coordinates.
	X, Y int32
	// R is the half-width of the square of stamp pixels rendered around the stamp centre,
	// clamped to [0, size/2]; FullStamp renders every pixel. Faint sources can use a small R
	// (see psf.PSF.RadiusFor) so that they do not pay for the whole stamp.
	R int32
	// W holds flux × the ten cubic terms of the sub-pixel offset.
	W [NumCoeffs]float32
}

// NewSource places a source of the given flux at box position (x, y), rendering the stamp
// pixels within radius of its centre (FullStamp for all). Positions must be finite and within
// ±2³⁰ pixels of the box.
func NewSource(x, y, flux float64, radius int) Source {
	ix, dx := Place(x)
	iy, dy := Place(y)
	var b [NumCoeffs]float64
	Basis(dx, dy, &b)
	s := Source{X: int32(ix), Y: int32(iy), R: int32(min(max(radius, 0), FullStamp))}
	for k, v := range b {
		s.W[k] = float32(flux * v)
	}
	return s
}

// Merge sums sources that share an anchor pixel and a stamp radius into one (their weights
// add), as PCAT does before rendering: a move that stays within its pixel then costs one
// stamp instead of two. Sources of different radii are left apart, so that every source
// leaves the model exactly as it entered it (rendering is linear per anchor and radius). It
// reorders src in place (by row, column and radius) and returns the merged prefix.
func Merge(src []Source) []Source {
	if len(src) < 2 {
		return src
	}
	slices.SortStableFunc(src, func(a, b Source) int {
		if c := cmp.Compare(a.Y, b.Y); c != 0 {
			return c
		}
		if c := cmp.Compare(a.X, b.X); c != 0 {
			return c
		}
		return cmp.Compare(a.R, b.R)
	})
	n := 0
	for i := range src {
		if p := &src[max(n-1, 0)]; n > 0 && p.X == src[i].X && p.Y == src[i].Y && p.R == src[i].R {
			for k := range p.W {
				p.W[k] += src[i].W[k]
			}
			continue
		}
		src[n] = src[i]
		n++
	}
	return src[:n]
}
