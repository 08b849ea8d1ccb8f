package render

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// peakLoop is an assembly loop of independent FMAs: iterations of flops floating-point
// operations each.
type peakLoop struct {
	name  string
	run   func(n int)
	flops int
}

// peak is this core's measured peak rate in GFLOP/s: the best of the FMA loops, measured once
// per process (0 when the build has none).
var peak = sync.OnceValue(func() float64 {
	best := 0.0
	for _, l := range peakLoops() {
		const n = 1 << 22
		l.run(n / 16) // warm up the vector unit
		for range 3 {
			t := time.Now()
			l.run(n)
			best = max(best, float64(n)*float64(l.flops)/time.Since(t).Seconds()/1e9)
		}
	}
	return best
})

func BenchmarkPeakFMA(b *testing.B) {
	for _, l := range peakLoops() {
		b.Run(l.name, func(b *testing.B) {
			const n = 1 << 16
			for b.Loop() {
				l.run(n)
			}
			report(b, 0, float64(l.flops)*n)
		})
	}
}

// report prints pixels per second, GFLOP/s and the fraction of the machine's peak for a
// benchmark that processes pixels pixels and flops floating-point operations per iteration.
func report(b *testing.B, pixels, flops float64) {
	s := b.Elapsed().Seconds() / float64(b.N)
	if pixels > 0 {
		b.ReportMetric(pixels/s/1e6, "Mpix/s")
	}
	b.ReportMetric(flops/s/1e9, "GFLOP/s")
	if p := peak(); p > 0 {
		b.ReportMetric(flops/s/1e9/p, "peak-frac")
	}
	b.ReportMetric(0, "B/op")
	b.ReportMetric(0, "allocs/op")
}

// benchField is a 256×256 residual with weights and a PSF table of the given size.
type benchField struct {
	w, h   int
	resid  []float32
	weight []float32
	tab    *Table
	rng    *rand.Rand
}

func newBenchField(size int) benchField {
	rng := rand.New(rand.NewPCG(1, 1))
	f := benchField{w: 256, h: 256, rng: rng}
	f.resid = make([]float32, f.w*f.h)
	f.weight = make([]float32, f.w*f.h)
	for i := range f.resid {
		f.resid[i] = float32(6 * rng.NormFloat64())
		f.weight[i] = 1.0 / 36
	}
	tab, err := NewTable(randomTable(rng, size), size)
	if err != nil {
		panic(err)
	}
	f.tab = tab
	return f
}

// sources returns n sources placed so that their stamps lie inside the field, with radius r.
func (f benchField) sources(n, r int) []Source {
	c := f.tab.Size() / 2
	src := make([]Source, n)
	for i := range src {
		x := float64(c) + f.rng.Float64()*float64(f.w-2*c-2)
		y := float64(c) + f.rng.Float64()*float64(f.h-2*c-2)
		src[i] = NewSource(x, y, 100+1000*f.rng.Float64(), r)
	}
	return src
}

// stampPixels counts the pixels the sources' stamps cover (all inside the field).
func (f benchField) stampPixels(src []Source) float64 {
	c := f.tab.Size() / 2
	n := 0.0
	for _, s := range src {
		r := min(int(s.R), c)
		n += float64((2*r + 1) * (2*r + 1))
	}
	return n
}

// Operation counts per pixel: the ten-term polynomial is ten FMAs; a ΔlnL term is
// r − δ/2 (FMA), w·δ, × and a float64 add.
const (
	polyFlops = 20
	termFlops = 5
)

func BenchmarkRender(b *testing.B) {
	for _, k := range paths {
		for _, c := range []struct {
			name   string
			size   int
			radius int
		}{{"25x25", 25, FullStamp}, {"r3of25", 25, 3}} {
			b.Run(k.name+"/"+c.name, func(b *testing.B) {
				f := newBenchField(c.size)
				src := f.sources(32, c.radius)
				for b.Loop() {
					k.render(f.resid, f.w, f.w, f.h, f.tab, src, 1)
				}
				px := f.stampPixels(src)
				report(b, px, px*polyFlops)
			})
		}
	}
}

func BenchmarkAddSourcesRef(b *testing.B) {
	f := newBenchField(25)
	coeffs := randomTable(f.rng, 25)
	src := f.sources(32, FullStamp)
	xs, ys, fs := make([]float32, len(src)), make([]float32, len(src)), make([]float32, len(src))
	for i := range src {
		xs[i], ys[i], fs[i] = float32(src[i].X)-0.5, float32(src[i].Y)-0.5, 500
	}
	for b.Loop() {
		AddSourcesRef(f.resid, f.w, f.w, f.h, coeffs, 25, xs, ys, fs)
	}
	px := f.stampPixels(src)
	report(b, px, px*polyFlops)
}

func BenchmarkDeltaLogLikeSources(b *testing.B) {
	for _, k := range paths {
		for _, c := range []struct {
			name string
			move bool
		}{{"birth25x25", false}, {"move25x25", true}} {
			b.Run(k.name+"/"+c.name, func(b *testing.B) {
				f := newBenchField(25)
				src := f.sources(1, FullStamp)
				if c.move {
					s := src[0]
					src = append(src, NewSource(float64(s.X)+0.7, float64(s.Y)-1.2, -500, FullStamp))
				}
				scratch := make([]float32, f.w*f.h)
				var sink float64
				for b.Loop() {
					sink += k.deltaSources(f.resid, f.weight, f.w, f.w, f.h, f.tab, src, scratch)
				}
				px := f.stampPixels(src)
				report(b, px, px*(polyFlops+termFlops))
				_ = sink
			})
		}
	}
}

func BenchmarkDeltaLogLike(b *testing.B) {
	for _, k := range paths {
		b.Run(k.name+"/64x64", func(b *testing.B) {
			f := newBenchField(1)
			delta := make([]float32, len(f.resid))
			copy(delta, f.resid)
			var sink float64
			for b.Loop() {
				sink += k.deltaLogLike(f.resid, f.weight, f.w, delta, f.w, 64, 64)
			}
			report(b, 64*64, 64*64*termFlops)
			_ = sink
		})
	}
}

func BenchmarkApply(b *testing.B) {
	for _, k := range paths {
		b.Run(k.name+"/64x64", func(b *testing.B) {
			f := newBenchField(1)
			delta := make([]float32, len(f.resid))
			for b.Loop() {
				k.apply(f.resid, f.w, delta, f.w, 64, 64)
			}
			report(b, 64*64, 64*64)
		})
	}
}
