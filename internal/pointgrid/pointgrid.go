// Package pointgrid buckets points of the plane into a uniform grid of cells for
// fixed-radius neighbour queries: condensing an ensemble and matching catalogues both ask
// which points lie near a position.
package pointgrid

import "math"

// Grid is a uniform bucket grid over points for fixed-radius neighbour queries: a query visits
// the 3×3 cells around a position, so every point within one cell size is seen. Points are
// stored in cell order (X, Y, ID at each position) so that a query reads memory in sequence.
type Grid struct {
	x0, y0, cell float64
	nx, ny       int
	start        []int32   // positions start[c] .. start[c+1] hold the points of cell c
	X, Y         []float64 // coordinates in cell order
	ID           []int32   // ID[p]: the caller's index of the point at position p
}

// New buckets the points (xs[i], ys[i]) into cells at least cell wide; the points must be
// finite.
func New(xs, ys []float64, cell float64) *Grid {
	g := &Grid{cell: cell}
	if len(xs) == 0 {
		g.nx, g.ny = 1, 1
		g.start = make([]int32, 2)
		return g
	}
	minX, maxX, minY, maxY := xs[0], xs[0], ys[0], ys[0]
	for i := range xs {
		minX, maxX = math.Min(minX, xs[i]), math.Max(maxX, xs[i])
		minY, maxY = math.Min(minY, ys[i]), math.Max(maxY, ys[i])
	}
	g.x0, g.y0 = minX, minY
	// Widen the cells when the points are spread so far that the grid would be huge; wider
	// cells still cover the query radius.
	limit := float64(max(4*len(xs), 1<<20))
	for ((maxX-minX)/g.cell+1)*((maxY-minY)/g.cell+1) > limit {
		g.cell *= 2
	}
	g.nx = int((maxX-minX)/g.cell) + 1
	g.ny = int((maxY-minY)/g.cell) + 1
	cells := make([]int32, len(xs))
	g.start = make([]int32, g.nx*g.ny+1)
	for i := range xs {
		c := g.cellOf(xs[i], ys[i])
		cells[i] = int32(c)
		g.start[c+1]++
	}
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	fill := append([]int32(nil), g.start[:len(g.start)-1]...)
	g.ID = make([]int32, len(xs))
	g.X, g.Y = make([]float64, len(xs)), make([]float64, len(xs))
	for i, c := range cells {
		p := fill[c]
		g.ID[p], g.X[p], g.Y[p] = int32(i), xs[i], ys[i]
		fill[c]++
	}
	return g
}

func (g *Grid) cellOf(x, y float64) int {
	cx := min(max(int((x-g.x0)/g.cell), 0), g.nx-1)
	cy := min(max(int((y-g.y0)/g.cell), 0), g.ny-1)
	return cy*g.nx + cx
}

// Near appends to dst the position ranges [lo, hi) that hold the points of the 3×3 cells
// around (x, y): one range per row of cells, in increasing order.
func (g *Grid) Near(x, y float64, dst [][2]int32) [][2]int32 {
	dst = dst[:0]
	fx, fy := math.Floor((x-g.x0)/g.cell), math.Floor((y-g.y0)/g.cell)
	if !(fx >= -1 && fy >= -1 && fx <= float64(g.nx) && fy <= float64(g.ny)) {
		return dst
	}
	cx, cy := int(fx), int(fy)
	xlo, xhi := max(cx-1, 0), min(cx+1, g.nx-1)
	if xlo > xhi {
		return dst
	}
	for yy := max(cy-1, 0); yy <= min(cy+1, g.ny-1); yy++ {
		lo, hi := g.start[yy*g.nx+xlo], g.start[yy*g.nx+xhi+1]
		if lo < hi {
			dst = append(dst, [2]int32{lo, hi})
		}
	}
	return dst
}

// NearDisk appends to dst the position ranges [lo, hi) that hold the points of the cells
// meeting the disk of radius r around (x, y), widened by a margin far above rounding error:
// one range per row of cells, in increasing order.
func (g *Grid) NearDisk(x, y, r float64, dst [][2]int32) [][2]int32 {
	dst = dst[:0]
	fx, fy, fr := (x-g.x0)/g.cell, (y-g.y0)/g.cell, r/g.cell // in cells
	m := 1e-9 * (1 + math.Abs(fx) + math.Abs(fy) + fr)
	ylo, yhi := math.Max(math.Floor(fy-fr-m), 0), math.Min(math.Floor(fy+fr+m), float64(g.ny-1))
	for yy := int(ylo); float64(yy) <= yhi; yy++ {
		// Distance from fy to the band [yy, yy+1) of this row.
		gap := math.Max(0, math.Max(float64(yy)-fy, fy-float64(yy+1))-m)
		if gap >= fr {
			continue
		}
		w := math.Sqrt(fr*fr-gap*gap) + m
		xlo, xhi := math.Max(math.Floor(fx-w), 0), math.Min(math.Floor(fx+w), float64(g.nx-1))
		if xlo > xhi {
			continue
		}
		lo, hi := g.start[yy*g.nx+int(xlo)], g.start[yy*g.nx+int(xhi)+1]
		if lo < hi {
			dst = append(dst, [2]int32{lo, hi})
		}
	}
	return dst
}
