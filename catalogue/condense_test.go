package catalogue

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/internal/pointgrid"
)

type star struct{ x, y, flux, p float64 }

// jitteredEnsemble draws nSamples catalogues from known stars: star i is present with
// probability p, at its position plus N(0, sigma²) per axis and its flux times (1 + N(0, 0.05²));
// every sample also has nSpurious faint sources placed at least 3 px from every star.
// It returns the samples and, per star, the samples holding it.
func jitteredEnsemble(seed uint64, stars []star, nSamples, nSpurious int, sigma float64) ([]Sample, [][]int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	holders := make([][]int, len(stars))
	var out []Sample
	for s := 0; s < nSamples; s++ {
		smp := Sample{Chain: s % 2, Index: s / 2}
		for i, st := range stars {
			if rng.Float64() >= st.p {
				continue
			}
			holders[i] = append(holders[i], s)
			smp.X = append(smp.X, st.x+sigma*rng.NormFloat64())
			smp.Y = append(smp.Y, st.y+sigma*rng.NormFloat64())
			smp.Flux = append(smp.Flux, st.flux*(1+0.05*rng.NormFloat64()))
		}
		for k := 0; k < nSpurious; k++ {
			for {
				x, y := 60*rng.Float64(), 60*rng.Float64()
				far := true
				for _, st := range stars {
					if math.Hypot(x-st.x, y-st.y) < 3 {
						far = false
					}
				}
				if far {
					smp.X, smp.Y, smp.Flux = append(smp.X, x), append(smp.Y, y), append(smp.Flux, 300)
					break
				}
			}
		}
		// Shuffle so that order within a sample carries no information.
		rng.Shuffle(len(smp.X), func(a, b int) {
			smp.X[a], smp.X[b] = smp.X[b], smp.X[a]
			smp.Y[a], smp.Y[b] = smp.Y[b], smp.Y[a]
			smp.Flux[a], smp.Flux[b] = smp.Flux[b], smp.Flux[a]
		})
		out = append(out, smp)
	}
	return out, holders
}

func TestCondenseRecoversKnownCatalogue(t *testing.T) {
	var stars []star
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 25; i++ {
		p := []float64{1, 1, 0.9, 0.6, 0.45}[i%5]
		stars = append(stars, star{x: 5 + float64(i%5)*11 + rng.Float64(), y: 5 + float64(i/5)*11 + rng.Float64(),
			flux: 500 + 5000*rng.Float64(), p: p})
	}
	// A close pair, 1.3 px apart: must stay two sources.
	stars = append(stars, star{x: 30, y: 58, flux: 3000, p: 1}, star{x: 31.3, y: 58, flux: 1000, p: 1})
	const nSamples = 300
	samples, holders := jitteredEnsemble(3, stars, nSamples, 5, 0.08)
	cs, err := Condense(samples, 0.75, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(stars) {
		t.Fatalf("condensed %d sources, want %d", len(cs), len(stars))
	}
	for i, st := range stars {
		// Find the condensed source nearest the star.
		best, bd := -1, math.Inf(1)
		for j, c := range cs {
			if d := math.Hypot(c.X-st.x, c.Y-st.y); d < bd {
				best, bd = j, d
			}
		}
		c := cs[best]
		n := float64(len(holders[i]))
		// Means of n draws with σ = 0.08 px: 5σ/√n.
		if bd > 5*0.08*math.Sqrt2/math.Sqrt(n) {
			t.Errorf("star %d at (%.2f, %.2f): nearest condensed source %.3f px away", i, st.x, st.y, bd)
		}
		if got := c.Prevalence; got != n/nSamples {
			t.Errorf("star %d: prevalence %g, want exactly %g", i, got, n/nSamples)
		}
		if math.Abs(c.Flux/st.flux-1) > 5*0.05/math.Sqrt(n) {
			t.Errorf("star %d: flux %g, want %g", i, c.Flux, st.flux)
		}
		// The 68 % half-width estimates σ: within 25 % for n ≥ 100 draws.
		for _, e := range []struct {
			name      string
			got, want float64
		}{{"x_err", c.XErr, 0.08}, {"y_err", c.YErr, 0.08}, {"flux_err", c.FluxErr, 0.05 * st.flux}} {
			if math.Abs(e.got/e.want-1) > 0.25 {
				t.Errorf("star %d: %s %g, want about %g", i, e.name, e.got, e.want)
			}
		}
	}
	// Sorted by decreasing prevalence.
	for j := 1; j < len(cs); j++ {
		if cs[j].Prevalence > cs[j-1].Prevalence {
			t.Fatal("condensed catalogue not sorted by prevalence")
		}
	}
	// With no threshold the spurious sources appear, each at low prevalence.
	all, err := Condense(samples, 0.75, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) <= len(stars) {
		t.Fatalf("with no threshold got %d sources, want more than %d", len(all), len(stars))
	}
	for _, c := range all[len(stars):] {
		if c.Prevalence > 0.05 {
			t.Errorf("spurious source at (%.1f, %.1f) has prevalence %g", c.X, c.Y, c.Prevalence)
		}
	}
}

func TestCondenseDeterministic(t *testing.T) {
	samples := randomEnsemble(5, 2, 50, 300) // crowded and random: many ties and conflicts
	a, err := Condense(samples, 0.75, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := runtime.GOMAXPROCS(1)
	b, err := Condense(samples, 0.75, 0)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(old)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("condensed catalogue depends on the number of threads")
	}
	// Every source of the ensemble is used exactly once: prevalences add up.
	total, sum := 0, 0.0
	for _, s := range samples {
		total += s.Len()
	}
	for _, c := range a {
		sum += c.Prevalence * float64(len(samples))
	}
	if math.Abs(sum-float64(total)) > 1e-6 {
		t.Fatalf("condensed sources hold %g ensemble sources, want %d", sum, total)
	}
}

func TestCondenseByHand(t *testing.T) {
	// Three samples. Sample 0 has two sources within 0.75 px of the seed: the brighter is taken.
	samples := []Sample{
		{X: []float64{10, 10.5}, Y: []float64{10, 10}, Flux: []float64{100, 200}},
		{X: []float64{10.2}, Y: []float64{10}, Flux: []float64{150}},
		{X: []float64{30}, Y: []float64{30}, Flux: []float64{50}},
	}
	cs, err := Condense(samples, 0.75, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Degrees: (10,10) and (10.5,10) and (10.2,10) each see one other sample; ties broken by
	// flux, so the seed is (10.5,10,200), which takes (10.2,10,150) from sample 1. (10,10,100)
	// is left on its own, as is (30,30,50).
	want := []CondensedSource{
		{X: 10.35, Y: 10, Flux: 175, XErr: 0.3 * 0.34, YErr: 0, FluxErr: 50 * 0.34, Prevalence: 2.0 / 3},
		{X: 10, Y: 10, Flux: 100, Prevalence: 1.0 / 3},
		{X: 30, Y: 30, Flux: 50, Prevalence: 1.0 / 3},
	}
	if len(cs) != len(want) {
		t.Fatalf("got %+v", cs)
	}
	for i := range want {
		g, w := cs[i], want[i]
		for _, d := range [][2]float64{{g.X, w.X}, {g.Y, w.Y}, {g.Flux, w.Flux}, {g.XErr, w.XErr}, {g.YErr, w.YErr},
			{g.FluxErr, w.FluxErr}, {g.Prevalence, w.Prevalence}} {
			if math.Abs(d[0]-d[1]) > 1e-12 {
				t.Errorf("source %d: got %+v, want %+v", i, g, w)
				break
			}
		}
	}
	if _, err := Condense(samples, 0, 0); err == nil {
		t.Error("zero radius accepted")
	}
	if _, err := Condense(samples, 0.75, 1.5); err == nil {
		t.Error("prevalence threshold 1.5 accepted")
	}
	bad := []Sample{{X: []float64{math.NaN()}, Y: []float64{1}, Flux: []float64{1}}}
	if _, err := Condense(bad, 0.75, 0); err == nil {
		t.Error("NaN position accepted")
	}
}

func TestCondenseMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	var cases []struct {
		name    string
		samples []Sample
	}
	add := func(name string, s []Sample) {
		cases = append(cases, struct {
			name    string
			samples []Sample
		}{name, s})
	}
	// Clustered: sources jittered around stars, some faint spurious ones.
	var stars []star
	for i := 0; i < 120; i++ {
		stars = append(stars, star{x: 60 * rng.Float64(), y: 60 * rng.Float64(), flux: 250 / rng.Float64(), p: rng.Float64()})
	}
	clustered, _ := jitteredEnsemble(4, stars, 150, 10, 0.3)
	add("clustered", clustered)
	add("uniform", randomEnsemble(6, 3, 40, 400))
	// Ties: positions on a quarter-pixel lattice (many pairs exactly one radius apart) and
	// fluxes from a small set, far from the origin so that cell arithmetic rounds.
	var ties []Sample
	for s := 0; s < 80; s++ {
		var smp Sample
		for i := 0; i < 1+rng.IntN(60); i++ {
			smp.X = append(smp.X, 1e5+float64(rng.IntN(40))/4)
			smp.Y = append(smp.Y, -3e4+float64(rng.IntN(40))/4)
			smp.Flux = append(smp.Flux, float64(100*(1+rng.IntN(3))))
		}
		ties = append(ties, smp)
	}
	add("ties", ties)
	for _, c := range cases {
		for _, radius := range []float64{0.25, 0.5, 0.75, 2, 9} {
			for _, minPrev := range []float64{0, 0.2} {
				got, err := Condense(c.samples, radius, minPrev)
				if err != nil {
					t.Fatal(err)
				}
				want, err := condenseRef(c.samples, radius, minPrev)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%s, radius %g: %d sources, reference %d", c.name, radius, len(got), len(want))
				}
				for i := range want {
					g, w := got[i], want[i]
					gv := []float64{g.X, g.Y, g.Flux, g.XErr, g.YErr, g.FluxErr, g.Prevalence}
					wv := []float64{w.X, w.Y, w.Flux, w.XErr, w.YErr, w.FluxErr, w.Prevalence}
					for j := range wv {
						if math.Float64bits(gv[j]) != math.Float64bits(wv[j]) {
							t.Fatalf("%s, radius %g, prevalence ≥ %g: source %d is %+v, reference %+v",
								c.name, radius, minPrev, i, g, w)
						}
					}
				}
			}
		}
	}
}

// condenseRef is Condense as it was before the degrees used a finer grid: every source's
// degree is counted over the 3×3 cells of size radius around it.
func condenseRef(samples []Sample, radius, minPrevalence float64) ([]CondensedSource, error) {
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
	}
	g := pointgrid.New(xs, ys, radius)
	gs := make([]int32, len(xs)) // sample of the point at each grid position
	for p, id := range g.ID {
		gs[p] = smp[id]
	}
	r2 := radius * radius

	// 1. Degrees, in parallel over contiguous blocks (each source's degree is independent).
	deg := make([]int32, len(xs))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := len(xs)*w/workers, len(xs)*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			mark := make([]int32, len(samples)) // mark[s] == k+1: sample s already counted for k
			var rs [][2]int32
			for k := lo; k < hi; k++ {
				// Count distinct samples within radius, the source's own sample included (it
				// is at distance 0), then take that one away.
				n := int32(-1)
				x, y, tag := xs[k], ys[k], int32(k+1)
				rs = g.Near(x, y, rs)
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
				deg[k] = n
			}
		}()
	}
	wg.Wait()

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
		return i < j // flattened index: sample seeds, then source seeds
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
		for _, s := range touched {
			j := best[s]
			used[j] = true
			mx, my, mf = append(mx, xs[j]), append(my, ys[j]), append(mf, fs[j])
			best[s] = -1
		}
		prev := float64(len(mx)) / float64(len(samples))
		if prev < minPrevalence {
			continue
		}
		out = append(out, CondensedSource{
			X: mean(mx), Y: mean(my), Flux: mean(mf),
			XErr: order.HalfWidth68(mx), YErr: order.HalfWidth68(my), FluxErr: order.HalfWidth68(mf),
			Prevalence: prev,
		})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Prevalence != out[b].Prevalence {
			return out[a].Prevalence > out[b].Prevalence
		}
		return out[a].Flux > out[b].Flux
	})
	return out, nil
}

// BenchmarkCondense condenses ensembles jittered around one catalogue in a 100×100 image:
// M2-sized (300 samples of 1200 sources), a typical run (1200 × 1400) and a long one
// (6000 × 840).
func BenchmarkCondense(b *testing.B) {
	for _, c := range []struct{ samples, sources int }{{300, 1200}, {1200, 1400}, {6000, 840}} {
		b.Run(fmt.Sprintf("%dx%d", c.samples, c.sources), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			var stars []star
			for i := 0; i < c.sources*5/4; i++ {
				stars = append(stars, star{x: 100 * rng.Float64(), y: 100 * rng.Float64(), flux: 250 / rng.Float64(), p: 0.8})
			}
			samples, _ := jitteredEnsemble(2, stars, c.samples, 0, 0.2)
			b.ResetTimer()
			for b.Loop() {
				if _, err := Condense(samples, 0.75, 0.1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
