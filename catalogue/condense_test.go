package catalogue

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
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
	all, _ := Condense(samples, 0.75, 0)
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
	b, _ := Condense(samples, 0.75, 0)
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

// BenchmarkCondense condenses an M2-sized ensemble: 300 samples of 1500 sources jittered
// around one catalogue in a 100×100 image.
func BenchmarkCondense(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var stars []star
	for i := 0; i < 1500; i++ {
		stars = append(stars, star{x: 100 * rng.Float64(), y: 100 * rng.Float64(), flux: 250 / rng.Float64(), p: 0.8})
	}
	samples, _ := jitteredEnsemble(2, stars, 300, 0, 0.2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Condense(samples, 0.75, 0.1); err != nil {
			b.Fatal(err)
		}
	}
}
