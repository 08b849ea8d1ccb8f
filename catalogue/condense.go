package catalogue

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
)

// CondensedSource is one source of a condensed catalogue: the mean position and flux of the
// ensemble's sources linked to it, the half-width of their central 68 % interval (half the
// distance between the 16th and 84th percentiles, a σ for Gaussian scatter), and its
// prevalence, the fraction of samples in which it is present.
type CondensedSource struct {
	X, Y, Flux          float64
	XErr, YErr, FluxErr float64
	Prevalence          float64
	// For ensembles of mixed kinds: KindFrac[k] is the fraction of the source's samples in
	// which it has kind k, and Params the mean of each kind parameter over the samples in
	// which it has its most frequent kind (NaN for parameters that kind lacks).
	KindFrac []float64
	Params   []float64
	// For multi-band ensembles (Sample.Bands): BandFlux[j] and BandFluxErr[j] are the mean and
	// 68 % half-width of the source's flux in band j+1 (Flux and FluxErr are the reference
	// band's).
	BandFlux, BandFluxErr []float64
}

// Condense links the sources of an ensemble across samples into one catalogue, following
// PCAT's procedure:
//
//  1. every source's degree is the number of other samples holding at least one source within
//     radius of it;
//  2. sources are taken as seeds in order of decreasing degree (ties: brighter first, then
//     earlier sample, then earlier source, so the result never depends on map or goroutine
//     order);
//  3. a seed not yet used takes, in every other sample, the brightest unused source within
//     radius of it; the seed and those sources form one condensed source and are marked used.
//
// The degree counts samples rather than neighbours (PCAT counts graph edges): a seed should be
// a source that many samples agree on, and two close sources in one sample should not make a
// neighbour look more certain. Sources whose prevalence is below minPrevalence are dropped.
// The result is sorted by decreasing prevalence, then decreasing flux.
func Condense(samples []Sample, radius, minPrevalence float64) ([]CondensedSource, error) {
	if !(radius > 0) || math.IsInf(radius, 0) {
		return nil, fmt.Errorf("condense: link radius must be positive, got %g", radius)
	}
	if !(minPrevalence >= 0 && minPrevalence <= 1) {
		return nil, fmt.Errorf("condense: minimum prevalence must lie in [0, 1], got %g", minPrevalence)
	}
	if len(samples) == 0 {
		return nil, nil
	}
	// Flatten the ensemble: source k belongs to sample smp[k].
	var xs, ys, fs []float64
	var smp []int32
	var kind []int32       // flattened kinds, for ensembles of mixed kinds
	var params [][]float64 // params[j]: flattened values of parameter j
	nkinds := 0
	mixed := samples[0].Kind != nil
	if mixed {
		params = make([][]float64, len(samples[0].Params))
	}
	bands := make([][]float64, len(samples[0].Bands)) // bands[j]: flattened fluxes of band j+1
	for s := range samples {
		sa := &samples[s]
		if len(sa.Y) != len(sa.X) || len(sa.Flux) != len(sa.X) {
			return nil, fmt.Errorf("condense: sample %d of chain %d has mismatched columns", sa.Index, sa.Chain)
		}
		for i := range sa.X {
			if math.IsNaN(sa.X[i]) || math.IsNaN(sa.Y[i]) || math.IsInf(sa.X[i], 0) || math.IsInf(sa.Y[i], 0) {
				return nil, fmt.Errorf("condense: sample %d of chain %d has a non-finite position", sa.Index, sa.Chain)
			}
			xs, ys, fs = append(xs, sa.X[i]), append(ys, sa.Y[i]), append(fs, sa.Flux[i])
			smp = append(smp, int32(s))
		}
		if len(sa.Bands) != len(bands) {
			return nil, fmt.Errorf("condense: sample %d of chain %d has fluxes in %d bands, sample 0 in %d", sa.Index, sa.Chain, len(sa.Bands)+1, len(bands)+1)
		}
		for j, b := range sa.Bands {
			if len(b) != len(sa.X) {
				return nil, fmt.Errorf("condense: sample %d of chain %d has mismatched band columns", sa.Index, sa.Chain)
			}
			bands[j] = append(bands[j], b...)
		}
		if mixed {
			if len(sa.Kind) != len(sa.X) || len(sa.Params) != len(params) {
				return nil, fmt.Errorf("condense: sample %d of chain %d has mismatched kind columns", sa.Index, sa.Chain)
			}
			for _, k := range sa.Kind {
				nkinds = max(nkinds, int(k)+1)
			}
			kind = append(kind, sa.Kind...)
			for j := range params {
				params[j] = append(params[j], sa.Params[j]...)
			}
		}
	}
	g := newGrid(xs, ys, radius)
	gs := make([]int32, len(xs)) // sample of the point at each grid position
	for p, id := range g.ID {
		gs[p] = smp[id]
	}
	r2 := radius * radius

	// 1. Degrees.
	deg := degrees(xs, ys, smp, len(samples), radius)

	// 2. Seed order.
	order := make([]int32, len(xs))
	for k := range order {
		order[k] = int32(k)
	}
	sort.Slice(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if deg[i] != deg[j] {
			return deg[i] > deg[j]
		}
		if fs[i] != fs[j] {
			return fs[i] > fs[j]
		}
		return i < j // flattened index: sample order, then source order
	})

	// 3. Greedy assignment.
	used := make([]bool, len(xs))
	best := make([]int32, len(samples)) // best[s]: chosen source of sample s for this seed, or -1
	for s := range best {
		best[s] = -1
	}
	var touched []int32
	var rs [][2]int32
	var out []CondensedSource
	var mx, my, mf []float64
	var members []int32
	for _, k := range order {
		if used[k] {
			continue
		}
		used[k] = true
		touched = touched[:0]
		rs = g.near(xs[k], ys[k], rs)
		for _, r := range rs {
			for p := r[0]; p < r[1]; p++ {
				j, s := g.ID[p], gs[p]
				if used[j] || s == smp[k] {
					continue
				}
				dx, dy := g.X[p]-xs[k], g.Y[p]-ys[k]
				if dx*dx+dy*dy >= r2 {
					continue
				}
				b := best[s]
				if b < 0 {
					touched = append(touched, s)
					best[s] = j
				} else if fs[j] > fs[b] || (fs[j] == fs[b] && j < b) {
					best[s] = j
				}
			}
		}
		mx, my, mf = append(mx[:0], xs[k]), append(my[:0], ys[k]), append(mf[:0], fs[k])
		members = append(members[:0], k)
		for _, s := range touched {
			j := best[s]
			used[j] = true
			mx, my, mf = append(mx, xs[j]), append(my, ys[j]), append(mf, fs[j])
			members = append(members, j)
			best[s] = -1
		}
		prev := float64(len(mx)) / float64(len(samples))
		if prev < minPrevalence {
			continue
		}
		cs := CondensedSource{
			X: mean(mx), Y: mean(my), Flux: mean(mf),
			XErr: halfWidth68(mx), YErr: halfWidth68(my), FluxErr: halfWidth68(mf),
			Prevalence: prev,
		}
		if mixed {
			cs.KindFrac, cs.Params = kindSummary(members, kind, params, nkinds)
		}
		if len(bands) > 0 {
			cs.BandFlux, cs.BandFluxErr = make([]float64, len(bands)), make([]float64, len(bands))
			for j, b := range bands {
				mf = mf[:0]
				for _, m := range members {
					mf = append(mf, b[m])
				}
				cs.BandFlux[j], cs.BandFluxErr[j] = mean(mf), halfWidth68(mf)
			}
		}
		out = append(out, cs)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Prevalence != out[b].Prevalence {
			return out[a].Prevalence > out[b].Prevalence
		}
		return out[a].Flux > out[b].Flux
	})
	return out, nil
}

// kindSummary returns the fractions of each of nkinds kinds among the member sources and
// the mean of each parameter over the members of the most frequent kind (NaN where it has
// none of them).
func kindSummary(members, kind []int32, params [][]float64, nkinds int) (frac, mean []float64) {
	frac = make([]float64, nkinds)
	for _, m := range members {
		frac[kind[m]]++
	}
	for k := range frac {
		frac[k] /= float64(len(members))
	}
	mode := int32(modeKind(frac))
	mean = make([]float64, len(params))
	for j, col := range params {
		s, n := 0.0, 0
		for _, m := range members {
			if kind[m] == mode && !math.IsNaN(col[m]) {
				s += col[m]
				n++
			}
		}
		mean[j] = math.NaN()
		if n > 0 {
			mean[j] = s / float64(n)
		}
	}
	return frac, mean
}

// degreeCells is the number of degree-grid cells per link radius: with finer cells, the cells
// meeting a query disk cover little more than its π r² instead of the 9 r² of 3×3 cells of
// size r.
const degreeCells = 4

// degrees returns, for every source k, the number of samples other than smp[k] holding a
// source strictly within radius of (xs[k], ys[k]). It works in parallel over contiguous blocks
// of grid positions on a grid of cells radius/degreeCells wide, visiting only the cells that
// meet the disk; the result does not depend on the visiting order.
func degrees(xs, ys []float64, smp []int32, nSamples int, radius float64) []int32 {
	g := newGrid(xs, ys, radius/degreeCells)
	gs := make([]int32, len(xs)) // sample of the point at each grid position
	for p, id := range g.ID {
		gs[p] = smp[id]
	}
	r2 := radius * radius
	deg := make([]int32, len(xs))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := len(xs)*w/workers, len(xs)*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			mark := make([]int32, nSamples) // mark[s] == q+1: sample s already counted for query q
			var rs [][2]int32
			// Take the sources in cell order, so that consecutive queries read the same
			// neighbourhood from cache.
			for q := lo; q < hi; q++ {
				// Count distinct samples within radius, the source's own sample included (it
				// is at distance 0), then take that one away.
				n := int32(-1)
				x, y, tag := g.X[q], g.Y[q], int32(q+1)
				rs = g.nearDisk(x, y, radius, rs)
				for _, r := range rs {
					px, py, ps := g.X[r[0]:r[1]], g.Y[r[0]:r[1]], gs[r[0]:r[1]]
					for p := range px {
						dx, dy := px[p]-x, py[p]-y
						if dx*dx+dy*dy < r2 && mark[ps[p]] != tag {
							mark[ps[p]] = tag
							n++
						}
					}
				}
				deg[g.ID[q]] = n
			}
		}()
	}
	wg.Wait()
	return deg
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// halfWidth68 returns (p84 − p16)/2 with percentiles interpolated linearly between order
// statistics (numpy's default); it sorts v in place.
func halfWidth68(v []float64) float64 {
	sort.Float64s(v)
	return (percentile(v, 84) - percentile(v, 16)) / 2
}

// percentile returns the p-th percentile of sorted v, numpy's "linear" method.
func percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := p / 100 * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// grid is a uniform bucket grid over points for fixed-radius neighbour queries: a query visits
// the 3×3 cells around a position, so every point within one cell size is seen. Points are
// stored in cell order (X, Y, ID at each position) so that a query reads memory in sequence.
type grid struct {
	x0, y0, cell float64
	nx, ny       int
	start        []int32   // positions start[c] .. start[c+1] hold the points of cell c
	X, Y         []float64 // coordinates in cell order
	ID           []int32   // ID[p]: the caller's index of the point at position p
}

// newGrid buckets the points (xs[i], ys[i]) into cells at least cell wide; the points must be
// finite.
func newGrid(xs, ys []float64, cell float64) *grid {
	g := &grid{cell: cell}
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

func (g *grid) cellOf(x, y float64) int {
	cx := min(max(int((x-g.x0)/g.cell), 0), g.nx-1)
	cy := min(max(int((y-g.y0)/g.cell), 0), g.ny-1)
	return cy*g.nx + cx
}

// near appends to dst the position ranges [lo, hi) that hold the points of the 3×3 cells
// around (x, y): one range per row of cells, in increasing order.
func (g *grid) near(x, y float64, dst [][2]int32) [][2]int32 {
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

// nearDisk appends to dst the position ranges [lo, hi) that hold the points of the cells
// meeting the disk of radius r around (x, y), widened by a margin far above rounding error:
// one range per row of cells, in increasing order.
func (g *grid) nearDisk(x, y, r float64, dst [][2]int32) [][2]int32 {
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
