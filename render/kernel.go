package render

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// kernels is one implementation of the hot loops (a "path"): pure Go, or assembly for one
// instruction set. All share the span form of span.go. The per-path methods addSpans,
// deltaSpans, deltaBox and applyBox (path_*.go) switch on isa with direct calls, so that
// escape analysis keeps the span buffers on the stack.
type kernels struct {
	name string
	isa  isa
}

// isa names the instruction set of a path.
type isa int

const (
	isaGo isa = iota
	isaAVX2
	isaAVX512
)

var generic = &kernels{name: "generic", isa: isaGo}

// paths lists the paths this machine can run, slowest first; active is the one in use.
var (
	paths  = append([]*kernels{generic}, accelerated()...)
	active atomic.Pointer[kernels]
)

func init() {
	active.Store(paths[len(paths)-1])
	if name := os.Getenv("PROBCAT_KERNEL"); name != "" {
		if err := SetPath(name); err != nil {
			fmt.Fprintf(os.Stderr, "probcat: PROBCAT_KERNEL: %v\n", err)
			os.Exit(2)
		}
	}
}

// Path returns the name of the kernel path in use ("generic", "avx2" or "avx512"), for run
// records.
func Path() string { return active.Load().name }

// Paths returns the names of the kernel paths this machine and build can run, slowest first.
func Paths() []string {
	names := make([]string, len(paths))
	for i, k := range paths {
		names[i] = k.name
	}
	return names
}

// SetPath selects a kernel path by name (see Paths); the environment variable PROBCAT_KERNEL
// does the same at start-up. By default the fastest path is used. Call it before rendering
// starts: kernels already running finish on the old path.
func SetPath(name string) error {
	for _, k := range paths {
		if k.name == name {
			active.Store(k)
			return nil
		}
	}
	switch name {
	case "generic", "avx2", "avx512":
		return fmt.Errorf("kernel path %q is not available on this CPU or build (available: %s)", name, strings.Join(Paths(), ", "))
	}
	return fmt.Errorf("unknown kernel path %q (want generic, avx2 or avx512)", name)
}

// AddSources adds flux_k × PSF(x_k, y_k) for every source into the box (see the package
// comment for the layout and the PSF table). It reads the flat table directly; a Table and
// Render save a little more (aligned loads and paired stamps).
func AddSources(dst []float32, stride, w, h int, coeffs []float32, size int, xs, ys, fluxes []float32) {
	active.Load().addSources(dst, stride, w, h, coeffs, size, xs, ys, fluxes)
}

func (k *kernels) addSources(dst []float32, stride, w, h int, coeffs []float32, size int, xs, ys, fluxes []float32) {
	checkBox("dst", dst, stride, w, h)
	if size < 1 || size%2 == 0 || len(coeffs) < NumCoeffs*size*size {
		panic(fmt.Sprintf("render: %d coefficients do not make a table of odd size %d", len(coeffs), size))
	}
	l := flatLayout(size)
	var b spans
	for i := range xs {
		s := NewSource(float64(xs[i]), float64(ys[i]), float64(fluxes[i]), FullStamp)
		b.add(l, &s, 1, 0, 0, stride, w, h)
		if b.full() || i == len(xs)-1 {
			k.addSpansFlat(dst, stride, coeffs, l.termStride, l.rowStride, b.geo[:4*b.n], b.wts[:NumCoeffs*b.n])
			b.n = 0
		}
	}
}

// DeltaLogLike returns Σ w·δ·(r − δ/2) over the box: the change in log-likelihood when the
// model grows by delta. It is the fastest path this machine offers.
func DeltaLogLike(resid, delta, weight []float32, stride, w, h int) float64 {
	return active.Load().deltaLogLike(resid, weight, stride, delta, stride, w, h)
}

// PositiveSquares returns Σ max(0, a·b)² over the w×h box of a and b (row pitch stride): with
// a the residual and b the square root of the inverse variance, the sum of squared positive
// signal-to-noise, which the sampler's residual-guided births draw from. Products and squares
// are float32 and the sum is float64 in one fixed order (see positiveSquaresGo) that every path
// follows, so the result is the same bits on every machine and build.
func PositiveSquares(a, b []float32, stride, w, h int) float64 {
	checkBox("a", a, stride, w, h)
	checkBox("b", b, stride, w, h)
	if w == 0 || h == 0 {
		return 0
	}
	return active.Load().positiveSquares(a, b, stride, w, h)
}

// PositiveSquaresChange returns how PositiveSquares(a, b, …) changes when a loses d: Σ over
// the box of max(0, (a−d)·b)² − max(0, a·b)², with the products, squares and their difference
// in float32 and the sum in PositiveSquares' fixed order (the same bits on every path). With a
// the residual and d a proposed change of the model, it is the change of the birth map's
// total under the stamp.
func PositiveSquaresChange(a, d, b []float32, stride, w, h int) float64 {
	checkBox("a", a, stride, w, h)
	checkBox("d", d, stride, w, h)
	checkBox("b", b, stride, w, h)
	if w == 0 || h == 0 {
		return 0
	}
	return active.Load().positiveSquaresChange(a, d, b, stride, w, h)
}

// WeightedDots returns Σ a·wt·b and Σ a·wt·a over the w×h box of a, wt and b (row pitch
// stride): with a a unit stamp, wt the inverse variances and b the residual, the numerator
// and denominator of the stamp's least-squares flux. a·wt is rounded to float32, then each
// product, and the sums are float64 in PositiveSquares' fixed order (the same bits on every
// path).
func WeightedDots(a, wt, b []float32, stride, w, h int) (ab, aa float64) {
	checkBox("a", a, stride, w, h)
	checkBox("wt", wt, stride, w, h)
	checkBox("b", b, stride, w, h)
	if w == 0 || h == 0 {
		return 0, 0
	}
	return active.Load().weightedDots(a, wt, b, stride, w, h)
}

// Render adds the sources' PSF stamps into the w×h box of dst (row pitch stride), dropping
// light that falls outside the box.
func Render(dst []float32, stride, w, h int, t *Table, src []Source) {
	active.Load().render(dst, stride, w, h, t, src, 1)
}

// Subtract removes the sources' PSF stamps from the box: Render with negated fluxes. Applied to
// a residual (data − model), it adds the sources to the model.
func Subtract(dst []float32, stride, w, h int, t *Table, src []Source) {
	active.Load().render(dst, stride, w, h, t, src, -1)
}

// DeltaLogLikeSources returns the change in Gaussian log-likelihood, Σ w·δ·(r − δ/2) over the
// box, when the model grows by δ = the sum of the sources' stamps (a proposal: new sources with
// positive flux, removed ones with negative flux; Merge them first). resid is data − model,
// weight the inverse variance, both w×h boxes with row pitch stride.
//
// When the clipped stamps do not overlap, each is rendered and summed in one pass over its
// pixels. Otherwise δ is rendered into scratch over the stamps' bounding box and then summed;
// scratch must then hold that box, and len(scratch) ≥ w·h always suffices. The sum is in
// float64 (each pixel's term in float32 on the vector paths). Accept the proposal with Subtract.
func DeltaLogLikeSources(resid, weight []float32, stride, w, h int, t *Table, src []Source, scratch []float32) float64 {
	return active.Load().deltaSources(resid, weight, stride, w, h, t, src, scratch)
}

// Apply subtracts a rendered model change from a residual over a box: resid −= delta.
func Apply(resid, delta []float32, stride, w, h int) {
	active.Load().apply(resid, stride, delta, stride, w, h)
}

// render adds scale × the sources' stamps into dst. On a piecewise table it renders the
// stamps of one piece after another, so that each piece's coefficients stay in cache (the
// table of a 25×25 stamp takes 32 KB per piece) and AVX-512 finds more pairs.
func (k *kernels) render(dst []float32, stride, w, h int, t *Table, src []Source, scale float32) {
	checkBox("dst", dst, stride, w, h)
	l := t.layout()
	var b spans
	if l.pieces > 1 {
		for i := range src {
			l.check(&src[i])
		}
	}
	for q := range l.pieces {
		for i := range src {
			if l.pieces > 1 && int(src[i].Piece) != q {
				continue
			}
			b.add(l, &src[i], scale, 0, 0, stride, w, h)
			if b.full() {
				k.addBatch(dst, stride, t, &b)
			}
		}
	}
	if b.n > 0 {
		k.addBatch(dst, stride, t, &b)
	}
}

func (k *kernels) deltaLogLike(resid, weight []float32, rstride int, delta []float32, dstride, w, h int) float64 {
	checkBox("resid", resid, rstride, w, h)
	checkBox("weight", weight, rstride, w, h)
	checkBox("delta", delta, dstride, w, h)
	if w == 0 || h == 0 {
		return 0
	}
	return k.deltaBox(resid, weight, rstride, delta, dstride, w, h)
}

func (k *kernels) apply(resid []float32, rstride int, delta []float32, dstride, w, h int) {
	checkBox("resid", resid, rstride, w, h)
	checkBox("delta", delta, dstride, w, h)
	if w == 0 || h == 0 {
		return
	}
	k.applyBox(resid, rstride, delta, dstride, w, h)
}

func (k *kernels) deltaSources(resid, weight []float32, stride, w, h int, t *Table, src []Source, scratch []float32) float64 {
	checkBox("resid", resid, stride, w, h)
	checkBox("weight", weight, stride, w, h)
	l := t.layout()
	var b spans
	disjoint := len(src) <= maxSpans
	for i := 0; i < len(src) && disjoint; i++ {
		if !b.add(l, &src[i], 1, 0, 0, stride, w, h) {
			continue
		}
		for j := 0; j < b.n-1; j++ {
			if b.rects[j].overlaps(b.last()) {
				disjoint = false
				break
			}
		}
	}
	if disjoint {
		if b.n == 0 {
			return 0
		}
		return k.deltaSpans(resid, weight, stride, t.c, l.termStride, l.rowStride, b.geo[:4*b.n], b.wts[:NumCoeffs*b.n])
	}

	// Overlapping stamps: render δ into scratch over the bounding box of all stamps, then sum.
	box := rect{x0: w, y0: h}
	for i := range src {
		b.n = 0
		if b.add(l, &src[i], 1, 0, 0, stride, w, h) {
			r := b.last()
			box = rect{min(box.x0, r.x0), min(box.y0, r.y0), max(box.x1, r.x1), max(box.y1, r.y1)}
		}
	}
	bw, bh := box.x1-box.x0, box.y1-box.y0
	if len(scratch) < bw*bh {
		panic(fmt.Sprintf("render: scratch holds %d values, overlapping stamps need %d×%d", len(scratch), bw, bh))
	}
	d := scratch[:bw*bh]
	clear(d)
	b.n = 0
	for i := range src {
		b.add(l, &src[i], 1, box.x0, box.y0, bw, bw, bh)
		if b.full() || i == len(src)-1 {
			k.addBatch(d, bw, t, &b)
		}
	}
	o := box.y0*stride + box.x0
	return k.deltaBox(resid[o:], weight[o:], stride, d, bw, bw, bh)
}
