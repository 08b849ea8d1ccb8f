package tile

import (
	"fmt"
	"math"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/survey"
)

// Rect is a box of pixels [X0, X1) × [Y0, Y1) in the coordinates of the tiled image (0-based,
// before the image's own X0/Y0 offset).
type Rect struct {
	X0 int `json:"x0"`
	Y0 int `json:"y0"`
	X1 int `json:"x1"`
	Y1 int `json:"y1"`
}

// Dx returns the width of r.
func (r Rect) Dx() int { return r.X1 - r.X0 }

// Dy returns the height of r.
func (r Rect) Dy() int { return r.Y1 - r.Y0 }

// String formats r as X0,Y0,W,H (the form of --cutout).
func (r Rect) String() string { return fmt.Sprintf("%d,%d,%d,%d", r.X0, r.Y0, r.Dx(), r.Dy()) }

// Tile is one piece of the grid: the core it owns and the outer box it samples.
type Tile struct {
	Index int `json:"index"`
	// Core is the region whose sources the tile reports.
	Core Rect `json:"core"`
	// Outer is the core grown by the margin and clipped to the image: the pixels sampled.
	Outer Rect `json:"outer"`
	// Edges says which sides of the core are image edges (left, bottom, right, top as
	// x-min, y-min, x-max, y-max): there the core extends to infinity, so that sources the
	// sampler places just outside the image still have an owner.
	Edges [4]bool `json:"edges"`
}

// Grid cuts a Width×Height image into cores of Size×Size pixels whose boundaries fall at
// Offset + k·Size (a piece narrower than a quarter tile at either end joins its neighbour),
// each sampled with Margin pixels around it.
type Grid struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	Size   int `json:"size"`
	Margin int `json:"margin"`
	// OffsetX and OffsetY shift the grid (0 ≤ offset < Size); a shift by half a tile tests
	// that results do not depend on where the seams fall.
	OffsetX int `json:"offset_x"`
	OffsetY int `json:"offset_y"`
}

// MarginFor returns the margin for a PSF of the given radius: sources up to one radius outside
// the core light its pixels, and their own stamps reach one radius further, so 2·radius + 2
// pixels of context make every pixel of the core see the full model.
func MarginFor(radius int) int { return 2*radius + 2 }

// Validate reports a grid that cannot be built.
func (g Grid) Validate() error {
	switch {
	case g.Width <= 0 || g.Height <= 0:
		return fmt.Errorf("image has size %d×%d", g.Width, g.Height)
	case g.Size < 1:
		return fmt.Errorf("tile size must be positive, got %d", g.Size)
	case g.Margin < 0:
		return fmt.Errorf("tile margin must not be negative, got %d", g.Margin)
	case g.OffsetX < 0 || g.OffsetX >= g.Size || g.OffsetY < 0 || g.OffsetY >= g.Size:
		return fmt.Errorf("grid offset %d,%d must lie in [0, %d)", g.OffsetX, g.OffsetY, g.Size)
	}
	return nil
}

// cuts returns the core boundaries along one axis of length n.
func cuts(n, size, off int) []int {
	b := []int{0}
	start := off
	if start == 0 {
		start = size
	}
	for c := start; c < n; c += size {
		b = append(b, c)
	}
	b = append(b, n)
	small := max(1, size/4)
	if len(b) > 2 && b[1]-b[0] < small {
		b = append(b[:1], b[2:]...)
	}
	if k := len(b); k > 2 && b[k-1]-b[k-2] < small {
		b = append(b[:k-2], b[k-1])
	}
	return b
}

// Tiles lists the grid's tiles in row-major order (x fastest).
func (g Grid) Tiles() ([]Tile, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	xs, ys := cuts(g.Width, g.Size, g.OffsetX), cuts(g.Height, g.Size, g.OffsetY)
	var out []Tile
	for j := 0; j+1 < len(ys); j++ {
		for i := 0; i+1 < len(xs); i++ {
			core := Rect{xs[i], ys[j], xs[i+1], ys[j+1]}
			outer := Rect{max(0, core.X0-g.Margin), max(0, core.Y0-g.Margin),
				min(g.Width, core.X1+g.Margin), min(g.Height, core.Y1+g.Margin)}
			out = append(out, Tile{Index: len(out), Core: core, Outer: outer,
				Edges: [4]bool{i == 0, j == 0, i+2 == len(xs), j+2 == len(ys)}})
		}
	}
	return out, nil
}

// Owns reports whether a source at (x, y), in the tiled image's coordinates, belongs to the
// tile: its position falls in the core's pixels [X0 − ½, X1 − ½) × [Y0 − ½, Y1 − ½), extended
// to infinity across image edges. Every position belongs to exactly one tile of a grid.
func (t *Tile) Owns(x, y float64) bool {
	lo := func(v float64, c int, edge bool) bool { return edge || v >= float64(c)-0.5 }
	hi := func(v float64, c int, edge bool) bool { return edge || v < float64(c)-0.5 }
	return lo(x, t.Core.X0, t.Edges[0]) && lo(y, t.Core.Y0, t.Edges[1]) &&
		hi(x, t.Core.X1, t.Edges[2]) && hi(y, t.Core.Y1, t.Edges[3]) &&
		!math.IsNaN(x) && !math.IsNaN(y)
}

// Cut returns the tile's outer box of im as an image of its own (survey.Cut): pixels, mask and
// variance map are copied; X0 and Y0 are shifted so that positions stay in the parent frame's
// coordinates, and the WCS (which maps parent-frame pixels) is shared. It fails only for a
// tile of another image.
func Cut(im *model.Image, t *Tile) (*model.Image, error) {
	r := t.Outer
	return survey.Cut(im, r.X0, r.Y0, r.Dx(), r.Dy())
}

// Seed returns tile index's seed derived from the run's seed (a SplitMix64 finaliser of both),
// so that every tile has its own reproducible random streams, whatever runs it.
func Seed(seed uint64, index int) uint64 {
	z := seed ^ mix(uint64(index)+0x243f6a8885a308d3)
	return mix(z)
}

func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
