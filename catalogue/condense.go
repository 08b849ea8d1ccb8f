package catalogue

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/internal/pointgrid"
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
	g := pointgrid.New(xs, ys, radius)
	gs := make([]int32, len(xs)) // sample of the point at each grid position
	for p, id := range g.ID {
		gs[p] = smp[id]
	}
	r2 := radius * radius

	// 1. Degrees.
	deg := degrees(xs, ys, smp, len(samples), radius)

	// 2. Seed order.
	seeds := make([]int32, len(xs))
	for k := range seeds {
		seeds[k] = int32(k)
	}
	sort.Slice(seeds, func(a, b int) bool {
		i, j := seeds[a], seeds[b]
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
	for _, k := range seeds {
		if used[k] {
			continue
		}
		used[k] = true
		touched = touched[:0]
		rs = g.Near(xs[k], ys[k], rs)
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
			XErr: order.HalfWidth68(mx), YErr: order.HalfWidth68(my), FluxErr: order.HalfWidth68(mf),
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
				cs.BandFlux[j], cs.BandFluxErr[j] = mean(mf), order.HalfWidth68(mf)
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
	g := pointgrid.New(xs, ys, radius/degreeCells)
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
				rs = g.NearDisk(x, y, radius, rs)
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
