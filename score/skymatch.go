package score

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// SkyCatalogue is a catalogue on the sky: RA and Dec in degrees and a magnitude for each
// source, and where each source came from in its file (row First+i, or Row[i] when Row is
// not nil: rows are 0-based and count data rows only).
type SkyCatalogue struct {
	RA, Dec, Mag []float64
	First        int
	Row          []int32
}

// Len returns the number of sources.
func (c *SkyCatalogue) Len() int { return len(c.RA) }

// FileRow returns the file row of source i.
func (c *SkyCatalogue) FileRow(i int) int {
	if c.Row != nil {
		return int(c.Row[i])
	}
	return c.First + i
}

// SkyPair is one match between a reference source and an estimated one: their indices in
// their catalogues, the great-circle separation in arcseconds and Δmag = estimated −
// reference − the magnitude offset.
type SkyPair struct {
	Ref, Est int
	Sep      float64
	DMag     float64
}

const arcsec = math.Pi / (180 * 3600)

// unitVector returns the unit vector of RA and Dec in degrees.
func unitVector(ra, dec float64) [3]float64 {
	sa, ca := math.Sincos(ra * math.Pi / 180)
	sd, cd := math.Sincos(dec * math.Pi / 180)
	return [3]float64{cd * ca, cd * sa, sd}
}

// separation is the angle between two unit vectors in radians, atan2(|a×b|, a·b): accurate
// at every angle, as Vincenty's formula that astropy uses.
func separation(a, b [3]float64) float64 {
	cx := a[1]*b[2] - a[2]*b[1]
	cy := a[2]*b[0] - a[0]*b[2]
	cz := a[0]*b[1] - a[1]*b[0]
	return math.Atan2(math.Sqrt(cx*cx+cy*cy+cz*cz), a[0]*b[0]+a[1]*b[1]+a[2]*b[2])
}

// skyIndex buckets unit vectors into a 3-D grid of cubes at least as wide as the chord of the
// search radius, so that every point within the radius of a query lies in the 3×3×3 cubes
// around it. Working on unit vectors, it has no special case at RA = 0/360 or at the poles.
type skyIndex struct {
	cell  float64
	cells map[uint64][2]int32 // key → positions [lo, hi) in v and id
	v     [][3]float64        // points in cell order
	id    []int32             // caller's index of the point at each position
}

// cellBias offsets cell coordinates to make them non-negative; 21 bits per axis hold them as
// long as cells are at least 1/(2^20−2) wide.
const cellBias = 1 << 20

func (ix *skyIndex) coord(x float64) int64 { return int64(math.Floor(x/ix.cell)) + cellBias }

func cellKey(i, j, k int64) uint64 { return uint64(i)<<42 | uint64(j)<<21 | uint64(k) }

// newSkyIndex indexes the unit vectors for queries within a chord of length chord.
func newSkyIndex(v [][3]float64, chord float64) *skyIndex {
	ix := &skyIndex{cell: math.Max(chord, 1e-6), cells: map[uint64][2]int32{}}
	keys := make([]uint64, len(v))
	order := make([]int32, len(v))
	for i, p := range v {
		keys[i] = cellKey(ix.coord(p[0]), ix.coord(p[1]), ix.coord(p[2]))
		order[i] = int32(i)
	}
	sort.Slice(order, func(a, b int) bool {
		ka, kb := keys[order[a]], keys[order[b]]
		return ka < kb || (ka == kb && order[a] < order[b])
	})
	ix.v = make([][3]float64, len(v))
	ix.id = order
	for p, i := range order {
		ix.v[p] = v[i]
		k := keys[i]
		r, ok := ix.cells[k]
		if !ok {
			r = [2]int32{int32(p), int32(p)}
		}
		r[1] = int32(p) + 1
		ix.cells[k] = r
	}
	return ix
}

// each calls fn for every indexed point in the 27 cells around u, with its position.
func (ix *skyIndex) each(u [3]float64, fn func(p int32)) {
	ci, cj, ck := ix.coord(u[0]), ix.coord(u[1]), ix.coord(u[2])
	for i := ci - 1; i <= ci+1; i++ {
		for j := cj - 1; j <= cj+1; j++ {
			for k := ck - 1; k <= ck+1; k++ {
				r, ok := ix.cells[cellKey(i, j, k)]
				if !ok {
					continue
				}
				for p := r[0]; p < r[1]; p++ {
					fn(p)
				}
			}
		}
	}
}

// SkyMatcher matches catalogues one-to-one against a reference on the sky.
type SkyMatcher struct {
	ref   *SkyCatalogue
	index *skyIndex
	// chord2 is the squared chord of the radius: pairs with |u−v|² ≤ chord2 are within it.
	chord2            float64
	magTol, magOffset float64
}

// NewSkyMatcher prepares matching against ref within radius arcseconds (inclusive, as
// astropy's search_around_sky) and, when magTol > 0, |mag − ref mag − magOffset| < magTol.
// Every RA and Dec of ref must be finite.
func NewSkyMatcher(ref *SkyCatalogue, radius, magTol, magOffset float64) (*SkyMatcher, error) {
	if !(radius > 0) || radius > 3600 {
		return nil, fmt.Errorf("match radius must be in (0, 3600] arcsec, got %g", radius)
	}
	if !(magTol >= 0) || math.IsNaN(magOffset) || math.IsInf(magOffset, 0) {
		return nil, fmt.Errorf("magnitude tolerance must be ≥ 0 and the offset finite, got %g and %g", magTol, magOffset)
	}
	if len(ref.Dec) != len(ref.RA) || len(ref.Mag) != len(ref.RA) {
		return nil, fmt.Errorf("reference catalogue has %d RA, %d Dec and %d magnitudes", len(ref.RA), len(ref.Dec), len(ref.Mag))
	}
	v := make([][3]float64, len(ref.RA))
	for i := range v {
		if !finite(ref.RA[i]) || !finite(ref.Dec[i]) {
			return nil, fmt.Errorf("reference source %d has RA %g, Dec %g", ref.FileRow(i), ref.RA[i], ref.Dec[i])
		}
		v[i] = unitVector(ref.RA[i], ref.Dec[i])
	}
	chord := 2 * math.Sin(radius*arcsec/2)
	return &SkyMatcher{ref: ref, index: newSkyIndex(v, chord), chord2: chord * chord, magTol: magTol, magOffset: magOffset}, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// candidate is a pair within the radius (and magnitude tolerance) before assignment.
type candidate struct {
	d2       float64
	ref, est int32
}

// Match pairs the sources of est with the reference one-to-one, nearest first: every pair
// within the radius (and magnitude tolerance) is a candidate; candidates are taken in order of
// increasing separation (ties by reference index, then estimate index), each accepted when
// neither of its sources is matched yet. This greedy assignment pairs every two sources that
// are each other's nearest candidate. Sources with a non-finite RA or Dec match nothing. The
// pairs are returned in the order they were accepted.
func (m *SkyMatcher) Match(est *SkyCatalogue) []SkyPair {
	pairs, _ := m.match(est, nil)
	return pairs
}

// match is Match with a reusable buffer of candidates, returned for the next call.
func (m *SkyMatcher) match(est *SkyCatalogue, cands []candidate) ([]SkyPair, []candidate) {
	cands = cands[:0]
	for i := range est.RA {
		if !finite(est.RA[i]) || !finite(est.Dec[i]) {
			continue
		}
		u := unitVector(est.RA[i], est.Dec[i])
		m.index.each(u, func(p int32) {
			w := &m.index.v[p]
			dx, dy, dz := u[0]-w[0], u[1]-w[1], u[2]-w[2]
			d2 := dx*dx + dy*dy + dz*dz
			if d2 > m.chord2 {
				return
			}
			j := m.index.id[p]
			if m.magTol > 0 && !(math.Abs(est.Mag[i]-m.ref.Mag[j]-m.magOffset) < m.magTol) {
				return
			}
			cands = append(cands, candidate{d2: d2, ref: j, est: int32(i)})
		})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.d2 < b.d2:
			return -1
		case a.d2 > b.d2:
			return 1
		case a.ref != b.ref:
			return int(a.ref - b.ref)
		}
		return int(a.est - b.est)
	})
	usedRef := make([]bool, len(m.ref.RA))
	usedEst := make([]bool, len(est.RA))
	var pairs []SkyPair
	for _, c := range cands {
		if usedRef[c.ref] || usedEst[c.est] {
			continue
		}
		usedRef[c.ref], usedEst[c.est] = true, true
		i, j := int(c.est), int(c.ref)
		sep := separation(unitVector(est.RA[i], est.Dec[i]), unitVector(m.ref.RA[j], m.ref.Dec[j])) / arcsec
		pairs = append(pairs, SkyPair{Ref: j, Est: i, Sep: sep, DMag: est.Mag[i] - m.ref.Mag[j] - m.magOffset})
	}
	return pairs, cands
}
