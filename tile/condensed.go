package tile

import (
	"math"
	"sort"

	"github.com/probcat/probcat/catalogue"
)

// near reports whether (x, y) lies within r of the tile's core region (as Owns, grown by r).
func (t *Tile) near(x, y, r float64) bool {
	lo := func(v float64, c int, edge bool) bool { return edge || v >= float64(c)-0.5-r }
	hi := func(v float64, c int, edge bool) bool { return edge || v < float64(c)-0.5+r }
	return lo(x, t.Core.X0, t.Edges[0]) && lo(y, t.Core.Y0, t.Edges[1]) &&
		hi(x, t.Core.X1, t.Edges[2]) && hi(y, t.Core.Y1, t.Edges[3])
}

// stitchCondensed joins the tiles' condensed catalogues into one; positions are in the parent
// frame, which is (x0, y0) from the tiled image's coordinates. Each tile condenses its own samples, so a source near a seam appears
// in both tiles' catalogues with slightly different mean positions that may fall on either
// side: keeping only each tile's own cores would then count it twice or not at all. So every
// tile offers its sources within radius (the condensing link radius) of its core; sources in
// their own tile's core come first, then by decreasing prevalence and flux; a source is kept
// unless an already kept source of another tile lies within radius. Sources of one tile never
// exclude each other (its condensing already told them apart). The result is sorted by
// decreasing prevalence, then flux, like catalogue.Condense.
func stitchCondensed(tiles []Tile, cats [][]catalogue.CondensedSource, radius, x0, y0 float64) []catalogue.CondensedSource {
	type cand struct {
		s     catalogue.CondensedSource
		tile  int
		owned bool
	}
	var cs []cand
	for i := range tiles {
		for _, s := range cats[i] {
			if x, y := s.X-x0, s.Y-y0; tiles[i].near(x, y, radius) {
				cs = append(cs, cand{s, i, tiles[i].Owns(x, y)})
			}
		}
	}
	sort.SliceStable(cs, func(a, b int) bool {
		x, y := &cs[a], &cs[b]
		if x.owned != y.owned {
			return x.owned
		}
		if x.s.Prevalence != y.s.Prevalence {
			return x.s.Prevalence > y.s.Prevalence
		}
		if x.s.Flux != y.s.Flux {
			return x.s.Flux > y.s.Flux
		}
		return x.tile < y.tile
	})
	// Kept sources in cells of side radius; a conflict lies in the 3×3 cells around.
	type key struct{ x, y int64 }
	cell := func(x, y float64) key { return key{int64(math.Floor(x / radius)), int64(math.Floor(y / radius))} }
	grid := map[key][]int{}
	var kept []cand
	r2 := radius * radius
	for _, c := range cs {
		k := cell(c.s.X, c.s.Y)
		clash := false
		for dy := int64(-1); dy <= 1 && !clash; dy++ {
			for dx := int64(-1); dx <= 1 && !clash; dx++ {
				for _, j := range grid[key{k.x + dx, k.y + dy}] {
					o := &kept[j]
					if o.tile != c.tile && (o.s.X-c.s.X)*(o.s.X-c.s.X)+(o.s.Y-c.s.Y)*(o.s.Y-c.s.Y) < r2 {
						clash = true
						break
					}
				}
			}
		}
		if !clash {
			grid[k] = append(grid[k], len(kept))
			kept = append(kept, c)
		}
	}
	out := make([]catalogue.CondensedSource, len(kept))
	for i := range kept {
		out[i] = kept[i].s
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Prevalence != out[b].Prevalence {
			return out[a].Prevalence > out[b].Prevalence
		}
		return out[a].Flux > out[b].Flux
	})
	return out
}
