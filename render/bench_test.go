package render

import (
	"fmt"
	"math/rand/v2"
	"strings"
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

// bestRate returns the best rate, in work units per second, of run over 100 batches of about
// 20 µs each. The machine is shared with other processes; a short batch is rarely interrupted,
// so the best batch measures the core itself.
func bestRate(run func(), work float64) float64 {
	reps := 1
	for reps < 1<<20 {
		t := time.Now()
		for range reps {
			run()
		}
		if time.Since(t) > 20*time.Microsecond {
			break
		}
		reps *= 2
	}
	best := 0.0
	for range 100 {
		t := time.Now()
		for range reps {
			run()
		}
		best = max(best, float64(reps)*work/time.Since(t).Seconds())
	}
	return best
}

// peak returns this core's peak rate in FLOP/s: the best rate of the widest FMA loop (0 when
// the build has none).
func peak() float64 {
	best := 0.0
	for _, l := range peakLoops() {
		best = max(best, bestRate(func() { l.run(1024) }, float64(l.flops)*1024))
	}
	return best
}

func BenchmarkPeakFMA(b *testing.B) {
	for _, l := range peakLoops() {
		b.Run(l.name, func(b *testing.B) {
			const n = 1024
			for b.Loop() {
				l.run(n)
			}
			report(b, 0, float64(l.flops)*n, func() { l.run(n) })
		})
	}
}

// report adds to a benchmark whose iteration, run, processes pixels pixels with flops
// floating-point operations: pixels per second, GFLOP/s and the fraction of this core's peak,
// each from the best of many short batches (see bestRate) of run and of the FMA loop, measured
// one after the other in this process.
func report(b *testing.B, pixels, flops float64, run func()) {
	r := bestRate(run, 1)
	if pixels > 0 {
		b.ReportMetric(r*pixels/1e6, "Mpix/s")
	}
	b.ReportMetric(r*flops/1e9, "GFLOP/s")
	if p := peak(); p > 0 {
		b.ReportMetric(r*flops/p, "peak-frac")
	}
}

// benchField is a 200×200 residual with weights and a PSF table of the given size and
// pieces per axis.
type benchField struct {
	w, h   int
	resid  []float32
	weight []float32
	tab    *Table
	rng    *rand.Rand
}

func newBenchField(size, k int) benchField {
	rng := rand.New(rand.NewPCG(1, 1))
	f := benchField{w: 200, h: 200, rng: rng}
	f.resid = make([]float32, f.w*f.h)
	f.weight = make([]float32, f.w*f.h)
	for i := range f.resid {
		f.resid[i] = float32(6 * rng.NormFloat64())
		f.weight[i] = 1.0 / 36
	}
	// The table has its own generator, so that sources fall at the same places whatever k.
	tab, err := NewPieceTable(randomPieces(rand.New(rand.NewPCG(2, 2)), size, k), size, k)
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
		src[i] = f.tab.Source(x, y, 100+1000*f.rng.Float64(), r)
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

// BenchmarkRender renders 32 stamps; the k2 cases use a 2×2 piecewise table (the same
// sources, spread over four pieces).
func BenchmarkRender(b *testing.B) {
	for _, k := range paths {
		for _, c := range []struct {
			name         string
			size, pieces int
			radius       int
		}{{"25x25", 25, 1, FullStamp}, {"25x25k2", 25, 2, FullStamp}, {"r3of25", 25, 1, 3}, {"r3of25k2", 25, 2, 3}} {
			b.Run(k.name+"/"+c.name, func(b *testing.B) {
				f := newBenchField(c.size, c.pieces)
				src := f.sources(32, c.radius)
				run := func() { k.render(f.resid, f.w, f.w, f.h, f.tab, src, 1) }
				for b.Loop() {
					run()
				}
				px := f.stampPixels(src)
				report(b, px, px*polyFlops, run)
			})
		}
	}
}

// BenchmarkAddSources renders from the flat table (psf.PSF.Coeffs), one source per call.
func BenchmarkAddSources(b *testing.B) {
	for _, k := range paths {
		b.Run(k.name+"/25x25", func(b *testing.B) {
			f := newBenchField(25, 1)
			coeffs := randomTable(f.rng, 25)
			src := f.sources(32, FullStamp)
			run := func() {
				for i := range src {
					x, y := float32(src[i].X)-0.3, float32(src[i].Y)-0.6
					k.addSources(f.resid, f.w, f.w, f.h, coeffs, 25, []float32{x}, []float32{y}, []float32{500})
				}
			}
			for b.Loop() {
				run()
			}
			px := f.stampPixels(src)
			report(b, px, px*polyFlops, run)
		})
	}
}

func BenchmarkAddSourcesRef(b *testing.B) {
	f := newBenchField(25, 1)
	coeffs := randomTable(f.rng, 25)
	src := f.sources(32, FullStamp)
	xs, ys, fs := make([]float32, len(src)), make([]float32, len(src)), make([]float32, len(src))
	for i := range src {
		xs[i], ys[i], fs[i] = float32(src[i].X)-0.5, float32(src[i].Y)-0.5, 500
	}
	run := func() { AddSourcesRef(f.resid, f.w, f.w, f.h, coeffs, 25, xs, ys, fs) }
	for b.Loop() {
		run()
	}
	px := f.stampPixels(src)
	report(b, px, px*polyFlops, run)
}

// BenchmarkDeltaLogLikeSources measures the fused birth and the overlapping move; the k2
// cases use a 2×2 piecewise table. births25x25 proposes 32 births at different places in
// turn, one per call, as a sampler does: the stamps read every piece of the table and
// different pixels each time.
func BenchmarkDeltaLogLikeSources(b *testing.B) {
	for _, k := range paths {
		for _, c := range []struct {
			name   string
			move   bool
			pieces int
		}{{"birth25x25", false, 1}, {"birth25x25k2", false, 2}, {"births25x25", false, 1}, {"births25x25k2", false, 2}, {"move25x25", true, 1}, {"move25x25k2", true, 2}} {
			b.Run(k.name+"/"+c.name, func(b *testing.B) {
				f := newBenchField(25, c.pieces)
				n := 1
				if strings.HasPrefix(c.name, "births") {
					n = 32
				}
				src := f.sources(n, FullStamp)
				if c.move {
					s := src[0]
					src = append(src, f.tab.Source(float64(s.X)+0.7, float64(s.Y)-1.2, -500, FullStamp))
				}
				scratch := make([]float32, f.w*f.h)
				var sink float64
				run := func() { sink += k.deltaSources(f.resid, f.weight, f.w, f.w, f.h, f.tab, src, scratch) }
				if n > 1 {
					run = func() {
						for i := range src {
							sink += k.deltaSources(f.resid, f.weight, f.w, f.w, f.h, f.tab, src[i:i+1], scratch)
						}
					}
				}
				for b.Loop() {
					run()
				}
				px := f.stampPixels(src)
				report(b, px, px*(polyFlops+termFlops), run)
				_ = sink
			})
		}
	}
}

func BenchmarkDeltaLogLike(b *testing.B) {
	for _, k := range paths {
		b.Run(k.name+"/64x64", func(b *testing.B) {
			f := newBenchField(1, 1)
			delta := make([]float32, len(f.resid))
			copy(delta, f.resid)
			var sink float64
			run := func() { sink += k.deltaLogLike(f.resid, f.weight, f.w, delta, f.w, 64, 64) }
			for b.Loop() {
				run()
			}
			report(b, 64*64, 64*64*termFlops, run)
			_ = sink
		})
	}
}

func BenchmarkApply(b *testing.B) {
	for _, k := range paths {
		b.Run(k.name+"/64x64", func(b *testing.B) {
			f := newBenchField(1, 1)
			delta := make([]float32, len(f.resid))
			run := func() { k.apply(f.resid, f.w, delta, f.w, 64, 64) }
			for b.Loop() {
				run()
			}
			report(b, 64*64, 64*64, run)
		})
	}
}

// BenchmarkPositiveSquares sums the birth map of a 32×32 region (a typical proposal region) of
// a noise-like residual: 3 flops per pixel (two products and the add; the max is not counted).
func BenchmarkPositiveSquares(b *testing.B) {
	for _, k := range paths {
		b.Run(k.name+"/32x32", func(b *testing.B) {
			f := newBenchField(1, 1)
			var sink float64
			run := func() { sink += k.positiveSquares(f.resid, f.weight, f.w, 32, 32) }
			for b.Loop() {
				run()
			}
			report(b, 32*32, 3*32*32, run)
			_ = sink
		})
	}
}

// BenchmarkRenderStride renders into a 2048-wide image (an SDSS frame) with row pitch 2048
// and with Stride(2048), on every path.
func BenchmarkRenderStride(b *testing.B) {
	for _, k := range paths {
		for _, stride := range []int{2048, Stride(2048)} {
			b.Run(fmt.Sprintf("%s/pitch%d", k.name, stride), func(b *testing.B) {
				f := newBenchField(25, 1)
				f.resid = make([]float32, stride*f.h)
				src := f.sources(32, FullStamp)
				run := func() { k.render(f.resid, stride, f.w, f.h, f.tab, src, 1) }
				for b.Loop() {
					run()
				}
				px := f.stampPixels(src)
				report(b, px, px*polyFlops, run)
			})
		}
	}
}
