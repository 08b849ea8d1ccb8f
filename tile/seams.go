package tile

import (
	"math"

	"github.com/probcat/probcat/catalogue"
)

// SeamPairs counts close pairs of sources in one frame sample, at seams and, as a control, at
// lines where there is no seam.
//
// Tiles are sampled independently, so a source near a seam is drawn by both tiles and kept by
// whichever owns the position each drew: in one frame sample it may appear once, twice (a pair
// of nearby sources, one owned by each tile) or not at all. Cross counts the pairs closer than
// the radius whose sources are owned by different tiles; Control counts the pairs closer than
// the radius owned by one tile that straddle the midline of its core (the same geometry with
// no seam: close pairs the model itself makes, from blends or splits). Compared per pixel of
// line (SeamLength, ControlLength), Cross well above Control measures seam duplicates.
type SeamPairs struct {
	Cross, Control            int
	SeamLength, ControlLength float64
}

// Add accumulates o into p (for totals over samples).
func (p *SeamPairs) Add(o SeamPairs) {
	p.Cross += o.Cross
	p.Control += o.Control
	p.SeamLength += o.SeamLength
	p.ControlLength += o.ControlLength
}

// CrossRate and ControlRate are the pairs per 100 pixels of seam and of control line.
func (p SeamPairs) CrossRate() float64 { return 100 * float64(p.Cross) / p.SeamLength }

// ControlRate is the control's pairs per 100 pixels of line (see CrossRate).
func (p SeamPairs) ControlRate() float64 { return 100 * float64(p.Control) / p.ControlLength }

// SeamPairs counts the close pairs of the frame sample s (positions in the parent frame, as in
// the merged ensemble) closer than radius; see the type.
func (m *Manifest) SeamPairs(s *catalogue.Sample, radius float64) SeamPairs {
	var p SeamPairs
	for i := range m.Tiles {
		t := &m.Tiles[i]
		p.ControlLength += float64(t.Core.Dx() + t.Core.Dy())
		if !t.Edges[2] {
			p.SeamLength += float64(t.Core.Dy())
		}
		if !t.Edges[3] {
			p.SeamLength += float64(t.Core.Dx())
		}
	}
	x0, y0 := float64(m.Image.X0), float64(m.Image.Y0)
	owner := make([]int, s.Len())
	for k := range owner {
		owner[k] = -1
		for i := range m.Tiles {
			if m.Tiles[i].Owns(s.X[k]-x0, s.Y[k]-y0) {
				owner[k] = i
				break
			}
		}
	}
	type key struct{ x, y int64 }
	cell := func(x, y float64) key { return key{int64(math.Floor(x / radius)), int64(math.Floor(y / radius))} }
	grid := map[key][]int{}
	r2 := radius * radius
	for b := range owner {
		k := cell(s.X[b], s.Y[b])
		for dy := int64(-1); dy <= 1; dy++ {
			for dx := int64(-1); dx <= 1; dx++ {
				for _, a := range grid[key{k.x + dx, k.y + dy}] {
					ddx, ddy := s.X[a]-s.X[b], s.Y[a]-s.Y[b]
					if ddx*ddx+ddy*ddy >= r2 || owner[a] < 0 || owner[b] < 0 {
						continue
					}
					if owner[a] != owner[b] {
						p.Cross++
						continue
					}
					c := m.Tiles[owner[a]].Core
					xm, ym := float64(c.X0+c.X1)/2-0.5+x0, float64(c.Y0+c.Y1)/2-0.5+y0
					if (s.X[a]-xm)*(s.X[b]-xm) < 0 || (s.Y[a]-ym)*(s.Y[b]-ym) < 0 {
						p.Control++
					}
				}
			}
		}
		grid[k] = append(grid[k], b)
	}
	return p
}
