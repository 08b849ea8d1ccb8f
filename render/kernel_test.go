package render

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// eachPath runs f once for every kernel path this machine and build offer.
func eachPath(t *testing.T, f func(t *testing.T, k *kernels)) {
	t.Helper()
	for _, k := range paths {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}

// randomTable returns a size×size table of coefficients in [−1, 1].
func randomTable(rng *rand.Rand, size int) []float32 {
	return randomPieces(rng, size, 1)
}

// randomPieces returns a piecewise size×size table of k×k pieces with coefficients in
// [−1, 1].
func randomPieces(rng *rand.Rand, size, k int) []float32 {
	c := make([]float32, k*k*NumCoeffs*size*size)
	for i := range c {
		c[i] = float32(2*rng.Float64() - 1)
	}
	return c
}

// truncated returns the table (of any number of pieces) with every stamp pixel farther than
// r from the centre (in either axis) set to zero: the reference for a stamp rendered with
// radius r.
func truncated(coeffs []float32, size, r int) []float32 {
	c := size / 2
	out := make([]float32, len(coeffs))
	for i := range coeffs {
		u, v := i%size, i/size%size
		if abs(u-c) <= r && abs(v-c) <= r {
			out[i] = coeffs[i]
		}
	}
	return out
}

func abs(a int) int { return max(a, -a) }

// batch is a random set of sources around a w×h box, some outside it, with random radii; one
// in eight sits on a multiple of half a pixel (on the edge of a piece of a 2×2 table).
type batch struct {
	xs, ys, fs []float32
	radius     []int
}

func randomBatch(rng *rand.Rand, n, w, h, size int) batch {
	c := size / 2
	var b batch
	for range n {
		x := -float64(c) - 2 + rng.Float64()*float64(w+2*c+4)
		y := -float64(c) - 2 + rng.Float64()*float64(h+2*c+4)
		if rng.IntN(8) == 0 {
			x, y = math.Round(2*x)/2, math.Round(2*y)/2
		}
		b.xs = append(b.xs, float32(x))
		b.ys = append(b.ys, float32(y))
		b.fs = append(b.fs, float32(-500+1500*rng.Float64()))
		r := FullStamp
		if rng.IntN(2) == 0 {
			r = rng.IntN(c + 1)
		}
		b.radius = append(b.radius, r)
	}
	return b
}

// sources places the batch on table t.
func (b batch) sources(t *Table) []Source {
	src := make([]Source, len(b.xs))
	for k := range src {
		src[k] = t.Source(float64(b.xs[k]), float64(b.ys[k]), float64(b.fs[k]), b.radius[k])
	}
	return src
}

// reference renders the batch with AddPiecesRef (k×k pieces), truncating each stamp through
// its table.
func (b batch) reference(dst []float32, stride, w, h int, coeffs []float32, size, k int) {
	for s := range b.xs {
		tab := coeffs
		if b.radius[s] < size/2 {
			tab = truncated(coeffs, size, b.radius[s])
		}
		AddPiecesRef(dst, stride, w, h, tab, size, k, b.xs[s:s+1], b.ys[s:s+1], b.fs[s:s+1])
	}
}

// scale is Σ_k |flux_k| × max |coefficient|: the size of the largest value a batch can put in
// one pixel, against which rendering errors are measured.
func (b batch) scale(coeffs []float32) float64 {
	cmax := 0.0
	for _, v := range coeffs {
		cmax = math.Max(cmax, math.Abs(float64(v)))
	}
	s := 0.0
	for _, f := range b.fs {
		s += math.Abs(float64(f))
	}
	return s * cmax
}

// renderTol is the agreement required between a kernel and the float64 reference, relative to
// Σ|flux| × max|coefficient|: float32 weights and ten float32 products per pixel.
const renderTol = 2e-6

func randomBox(rng *rand.Rand) (w, h, stride int, buf []float32) {
	w, h = 1+rng.IntN(40), 1+rng.IntN(40)
	stride = w + rng.IntN(6)
	buf = make([]float32, (h-1)*stride+w)
	for i := range buf {
		buf[i] = float32(20*rng.Float64() - 10)
	}
	return w, h, stride, buf
}

func TestRenderMatchesReference(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(1, 2))
		worst := 0.0
		for trial := range 600 {
			size := 1 + 2*rng.IntN(13)
			pieces := 1 + trial/2%3
			w, h, stride, got := randomBox(rng)
			want := append([]float32(nil), got...)
			coeffs := randomPieces(rng, size, pieces)
			tab, err := NewPieceTable(coeffs, size, pieces)
			if err != nil {
				t.Fatal(err)
			}
			b := randomBatch(rng, rng.IntN(51), w, h, size)
			scale := 1.0
			if trial%2 == 1 {
				scale = -1
			}
			k.render(got, stride, w, h, tab, b.sources(tab), float32(scale))
			if scale < 0 {
				for i := range b.fs {
					b.fs[i] = -b.fs[i]
				}
			}
			b.reference(want, stride, w, h, coeffs, size, pieces)
			tol := renderTol * (b.scale(coeffs) + 10)
			for j := range h {
				for i := range w {
					p := j*stride + i
					e := math.Abs(float64(got[p] - want[p]))
					worst = math.Max(worst, e/tol)
					if e > tol {
						t.Fatalf("trial %d (size %d, %d×%d pieces, box %d×%d/%d, %d sources): pixel (%d,%d) = %g, reference %g (tolerance %g)",
							trial, size, pieces, pieces, w, h, stride, len(b.xs), i, j, got[p], want[p], tol)
					}
				}
			}
			for p := range got {
				if p%stride >= w && got[p] != want[p] {
					t.Fatalf("trial %d: pixel %d outside the box (stride %d, w %d) was written", trial, p, stride, w)
				}
			}
		}
		t.Logf("worst error %.3g of tolerance", worst)
	})
}

func TestAddSourcesMatchesReference(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(3, 4))
		for trial := range 300 {
			size := 1 + 2*rng.IntN(13)
			w, h, stride, got := randomBox(rng)
			want := append([]float32(nil), got...)
			coeffs := randomTable(rng, size)
			b := randomBatch(rng, rng.IntN(80), w, h, size)
			k.addSources(got, stride, w, h, coeffs, size, b.xs, b.ys, b.fs)
			AddSourcesRef(want, stride, w, h, coeffs, size, b.xs, b.ys, b.fs)
			tol := renderTol * (b.scale(coeffs) + 10)
			for p := range got {
				if e := math.Abs(float64(got[p] - want[p])); e > tol {
					t.Fatalf("trial %d: pixel %d = %g, reference %g (tolerance %g)", trial, p, got[p], want[p], tol)
				}
			}
		}
	})
}

// logLikeScale is Σ w·|δ|·(|r| + |δ|/2): the size of the terms of a ΔlnL, against which its
// errors are measured.
func logLikeScale(resid, delta, weight []float32, stride, w, h int) float64 {
	s := 0.0
	for j := range h {
		for i := range w {
			p := j*stride + i
			d := math.Abs(float64(delta[p]))
			s += float64(weight[p]) * d * (math.Abs(float64(resid[p])) + d/2)
		}
	}
	return s
}

// renderErrorLogLike bounds the change in ΔlnL = Σ w·δ·(r − δ/2) when every non-zero δ is off
// by up to eps (float32 rendering, whose error is relative to the stamp's terms rather than
// to δ, which can be small by cancellation): Σ w·eps·(|r| + |δ| + eps) over those pixels.
func renderErrorLogLike(resid, delta, weight []float32, stride, w, h int, eps float64) float64 {
	s := 0.0
	for j := range h {
		for i := range w {
			if p := j*stride + i; delta[p] != 0 {
				s += float64(weight[p]) * eps * (math.Abs(float64(resid[p])) + math.Abs(float64(delta[p])) + eps)
			}
		}
	}
	return s
}

// logLikeTol is the agreement required of ΔlnL relative to logLikeScale: the float32 δ carries
// renderTol of Σ|flux|·max|C| per pixel, and each term is evaluated in float32.
const logLikeTol = 1e-5

func TestDeltaLogLikeSourcesMatchesReference(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(5, 6))
		var fused, overlapped int
		for trial := range 900 {
			size := 1 + 2*rng.IntN(13)
			pieces := 1 + trial%3
			w, h, stride, resid := randomBox(rng)
			weight := make([]float32, len(resid))
			for i := range weight {
				weight[i] = float32(rng.Float64())
			}
			coeffs := randomPieces(rng, size, pieces)
			tab, err := NewPieceTable(coeffs, size, pieces)
			if err != nil {
				t.Fatal(err)
			}
			n := []int{0, 1, 2, 3, 50}[rng.IntN(5)]
			b := randomBatch(rng, n, w, h, size)
			if n == 2 && trial%2 == 0 { // a move: the second source near the first
				b.xs[1], b.ys[1] = b.xs[0]+float32(rng.NormFloat64()), b.ys[0]+float32(rng.NormFloat64())
			}
			delta := make([]float32, len(resid))
			b.reference(delta, stride, w, h, coeffs, size, pieces)
			want := DeltaLogLikeRef(resid, delta, weight, stride, w, h)
			scratch := make([]float32, w*h)
			for i := range scratch {
				scratch[i] = float32(rng.NormFloat64()) // garbage the kernel must clear
			}
			got := k.deltaSources(resid, weight, stride, w, h, tab, b.sources(tab), scratch)
			tol := logLikeTol*logLikeScale(resid, delta, weight, stride, w, h) + renderErrorLogLike(resid, delta, weight, stride, w, h, renderTol*b.scale(coeffs)) + 1e-9
			if math.Abs(got-want) > tol {
				t.Fatalf("trial %d (size %d, %d×%d pieces, box %d×%d/%d, %d sources): ΔlnL %g, reference %g (tolerance %g)",
					trial, size, pieces, pieces, w, h, stride, n, got, want, tol)
			}
			if overlapping(tab, b.sources(tab), stride, w, h) {
				overlapped++
			} else if n > 0 {
				fused++
			}
		}
		if fused < 75 || overlapped < 75 {
			t.Fatalf("fused path ran %d times, overlap path %d times; want both ≥ 75", fused, overlapped)
		}
	})
}

// overlapping reports whether DeltaLogLikeSources takes its scratch path: more sources than a
// batch, or two clipped stamps that share a pixel of the box.
func overlapping(t *Table, src []Source, stride, w, h int) bool {
	if len(src) > maxSpans {
		return true
	}
	var b spans
	var rects []rect
	for i := range src {
		if b.add(t.layout(), &src[i], 1, 0, 0, stride, w, h) {
			for _, r := range rects {
				if r.overlaps(b.last()) {
					return true
				}
			}
			rects = append(rects, b.last())
		}
	}
	return false
}

func TestDeltaLogLikeAndApplyMatchReference(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(7, 8))
		for trial := range 300 {
			w, h, stride, resid := randomBox(rng)
			if trial%10 == 0 {
				w, h, stride = 1+rng.IntN(300), 1+rng.IntN(3), 0
				stride = w + rng.IntN(3)
				resid = make([]float32, (h-1)*stride+w)
			}
			delta := make([]float32, len(resid))
			weight := make([]float32, len(resid))
			for i := range resid {
				resid[i] = float32(rng.NormFloat64() * 10)
				delta[i] = float32(rng.NormFloat64() * 10)
				weight[i] = float32(rng.Float64())
			}
			want := DeltaLogLikeRef(resid, delta, weight, stride, w, h)
			got := k.deltaLogLike(resid, weight, stride, delta, stride, w, h)
			if tol := 1e-6 * logLikeScale(resid, delta, weight, stride, w, h); math.Abs(got-want) > tol {
				t.Fatalf("trial %d (box %d×%d/%d): ΔlnL %g, reference %g (tolerance %g)", trial, w, h, stride, got, want, tol)
			}
			after := append([]float32(nil), resid...)
			k.apply(after, stride, delta, stride, w, h)
			for p := range resid {
				want := resid[p]
				if p%stride < w {
					want -= delta[p]
				}
				if after[p] != want {
					t.Fatalf("trial %d: apply gave %g at %d, want %g", trial, after[p], p, want)
				}
			}
		}
	})
}

// TestDeltaLogLikePrecision checks that the vector paths' ΔlnL (float32 terms summed in
// float64) stays within 10⁻² (in lnL units) of the float64 reference over a 1024×1024 box of
// noise-like values, where a float32 running sum would be off by more than 1: acceptance
// depends on exp(ΔlnL), so 10⁻² is a 1 % error in an acceptance probability, on a box 400
// times the area of a 51×51 proposal box (the error grows as the square root of the area).
func TestDeltaLogLikePrecision(t *testing.T) {
	const n = 1024
	rng := rand.New(rand.NewPCG(9, 10))
	resid := make([]float32, n*n)
	delta := make([]float32, n*n)
	weight := make([]float32, n*n)
	for i := range resid {
		resid[i] = float32(6 * rng.NormFloat64())
		delta[i] = float32(6 + rng.NormFloat64())
		weight[i] = 1.0 / 36
	}
	want := DeltaLogLikeRef(resid, delta, weight, n, n, n)
	var naive float32
	for i := range resid {
		naive += weight[i] * delta[i] * (resid[i] - delta[i]/2)
	}
	if math.Abs(float64(naive)-want) < 1 {
		t.Fatalf("test too easy: a float32 running sum is within 1 of the reference (%g vs %g)", naive, want)
	}
	eachPath(t, func(t *testing.T, k *kernels) {
		got := k.deltaLogLike(resid, weight, n, delta, n, n, n)
		if math.Abs(got-want) > 1e-2 {
			t.Fatalf("ΔlnL %.6f, reference %.6f: error %.3g > 1e-2", got, want, got-want)
		}
		t.Logf("ΔlnL error %.2g (float32 running sum: %.2g)", got-want, float64(naive)-want)
	})
}

func TestMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const size = 9
	coeffs := randomTable(rng, size)
	tab, err := NewTable(coeffs, size)
	if err != nil {
		t.Fatal(err)
	}
	// A move within one pixel, a move across pixels, and a birth.
	src := []Source{
		NewSource(10.3, 12.6, -300, FullStamp),
		NewSource(10.1, 12.9, 310, FullStamp),
		NewSource(5.5, 5.5, -100, FullStamp),
		NewSource(6.5, 5.5, 100, FullStamp),
		NewSource(20.2, 3.1, 50, FullStamp),
	}
	a := make([]float32, 30*30)
	b := make([]float32, 30*30)
	Render(a, 30, 30, 30, tab, src)
	merged := Merge(append([]Source(nil), src...))
	if len(merged) != 4 {
		t.Fatalf("merged %d sources into %d, want 4", len(src), len(merged))
	}
	if m := Merge([]Source{NewSource(1.5, 1.5, 1, 3), NewSource(1.2, 1.2, 1, 2), NewSource(1.3, 1.3, 1, 3)}); len(m) != 2 || m[0].R != 2 || m[1].R != 3 {
		t.Fatalf("merging radii 3, 2, 3 in one pixel gave %v, want radii 2 and 3 apart", m)
	}
	Render(b, 30, 30, 30, tab, merged)
	for p := range a {
		if math.Abs(float64(a[p]-b[p])) > 1e-3 {
			t.Fatalf("pixel %d: %g rendered separately, %g merged", p, a[p], b[p])
		}
	}

	// On a 2×2 table, sources in one pixel merge only within a piece.
	tab2, err := NewPieceTable(randomPieces(rng, size, 2), size, 2)
	if err != nil {
		t.Fatal(err)
	}
	src = []Source{
		tab2.Source(10.3, 12.6, -300, FullStamp), // offset (0.7, 0.4): piece 1
		tab2.Source(10.1, 12.9, 310, FullStamp),  // (0.9, 0.1): piece 1
		tab2.Source(10.8, 12.9, 20, FullStamp),   // (0.2, 0.1): piece 0
		tab2.Source(10.8, 12.2, 30, FullStamp),   // (0.2, 0.8): piece 2
		tab2.Source(10.5, 12.5, 40, FullStamp),   // (0.5, 0.5): piece 3
	}
	clear(a)
	clear(b)
	Render(a, 30, 30, 30, tab2, src)
	merged = Merge(append([]Source(nil), src...))
	if len(merged) != 4 {
		t.Fatalf("2×2 table: merged %d sources in one pixel into %d, want 4 (one per piece)", len(src), len(merged))
	}
	for i, m := range merged {
		if m.Piece != int32(i) {
			t.Fatalf("2×2 table: merged sources have pieces %v, want 0, 1, 2, 3 in order", merged)
		}
	}
	Render(b, 30, 30, 30, tab2, merged)
	for p := range a {
		if math.Abs(float64(a[p]-b[p])) > 1e-3 {
			t.Fatalf("2×2 table, pixel %d: %g rendered separately, %g merged", p, a[p], b[p])
		}
	}
}

// TestTableSource checks the piece and local offset Table.Source picks, at the edges of the
// pieces, and that a one-piece table places sources as NewSource does.
func TestTableSource(t *testing.T) {
	one, err := NewTable(make([]float32, NumCoeffs*9), 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for range 1000 {
		x, y, f := 100*rng.Float64()-50, 100*rng.Float64()-50, 1000*rng.Float64()
		if got, want := one.Source(x, y, f, 2), NewSource(x, y, f, 2); got != want {
			t.Fatalf("one-piece table places (%g, %g) as %+v, NewSource as %+v", x, y, got, want)
		}
	}
	two, err := NewPieceTable(make([]float32, 4*NumCoeffs*9), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if two.Pieces() != 2 || one.Pieces() != 1 {
		t.Fatalf("Pieces() = %d and %d, want 2 and 1", two.Pieces(), one.Pieces())
	}
	for _, c := range []struct {
		x, y   float64 // position
		ix, iy int32   // anchor
		piece  int32
		lx, ly float64 // local offset
	}{
		{10, 20, 10, 20, 0, 0, 0},           // offset (0, 0)
		{10.25, 20.75, 11, 21, 1, 0.5, 0.5}, // (0.75, 0.25)
		{10.5, 19.5, 11, 20, 3, 0, 0},       // (0.5, 0.5): the second piece starts at 0.5
		{-0.75, -0.25, 0, 0, 1, 0.5, 0.5},   // (0.75, 0.25), below zero
		{3 - 1e-12, 5 + 1e-12, 3, 6, 2, 2e-12, 1 - 2e-12},
	} {
		s := two.Source(c.x, c.y, 2, FullStamp)
		var b [NumCoeffs]float64
		Basis(c.lx, c.ly, &b)
		for i := range b {
			if math.Abs(float64(s.W[i])-2*b[i]) > 1e-6 {
				t.Fatalf("source at (%g, %g): weights %v, want 2 × the basis at local offset (%g, %g)", c.x, c.y, s.W, c.lx, c.ly)
			}
		}
		if s.X != c.ix || s.Y != c.iy || s.Piece != c.piece {
			t.Fatalf("source at (%g, %g): anchor (%d, %d) piece %d, want (%d, %d) piece %d", c.x, c.y, s.X, s.Y, s.Piece, c.ix, c.iy, c.piece)
		}
	}
}

// TestPieceMismatchPanics checks that a source placed on a 2×2 table is refused by a table of
// one piece rather than read past its end.
func TestPieceMismatchPanics(t *testing.T) {
	one, err := NewTable(make([]float32, NumCoeffs*9), 3)
	if err != nil {
		t.Fatal(err)
	}
	two, err := NewPieceTable(make([]float32, 4*NumCoeffs*9), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	src := []Source{two.Source(4.4, 4.4, 1, FullStamp)}
	Render(make([]float32, 100), 10, 10, 10, two, src)
	mustPanic := func(tab *Table, src []Source, piece string) {
		t.Helper()
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), piece) {
				t.Fatalf("rendering a %s source with a table of %d pieces per axis: recovered %v, want a panic naming the piece", piece, tab.Pieces(), r)
			}
		}()
		Render(make([]float32, 100), 10, 10, 10, tab, src)
	}
	mustPanic(one, src, "piece 3")
	bad := two.Source(4.4, 4.4, 1, FullStamp)
	bad.Piece = 4
	mustPanic(two, []Source{src[0], bad}, "piece 4")
	bad.Piece = -1
	mustPanic(two, []Source{bad}, "piece -1")
}

func TestPaths(t *testing.T) {
	if env := os.Getenv("PROBCAT_KERNEL"); env != "" {
		if Path() != env {
			t.Fatalf("PROBCAT_KERNEL=%s but the active path is %q", env, Path())
		}
		return
	}
	if Paths()[0] != "generic" || Path() != Paths()[len(Paths())-1] {
		t.Fatalf("paths %v, active %q: want generic first and the fastest active", Paths(), Path())
	}
	if err := SetPath("sse9"); err == nil {
		t.Fatal("SetPath accepted an unknown path")
	}
	defer SetPath(Path())
	for _, name := range Paths() {
		if err := SetPath(name); err != nil || Path() != name {
			t.Fatalf("SetPath(%q): %v, now %q", name, err, Path())
		}
	}
}

// TestKernelEnv runs this test binary again with PROBCAT_KERNEL set: every available path is
// taken, and an unknown or unavailable one stops the program with status 2 and a message.
func TestKernelEnv(t *testing.T) {
	if os.Getenv("PROBCAT_KERNEL") != "" {
		t.Skip("already in a child process")
	}
	run := func(name string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPaths$")
		cmd.Env = append(os.Environ(), "PROBCAT_KERNEL="+name)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, name := range Paths() {
		if out, err := run(name); err != nil {
			t.Fatalf("PROBCAT_KERNEL=%s: %v\n%s", name, err, out)
		}
	}
	bad := []string{"sse9"}
	for _, name := range []string{"avx2", "avx512"} {
		if !slices.Contains(Paths(), name) {
			bad = append(bad, name)
		}
	}
	for _, name := range bad {
		out, err := run(name)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out, "PROBCAT_KERNEL") {
			t.Fatalf("PROBCAT_KERNEL=%s: want exit status 2 naming the variable, got %v\n%s", name, err, out)
		}
	}
}

func TestNewTableRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		n, size int
	}{{10 * 9, 2}, {10*9 - 1, 3}, {0, 0}} {
		if _, err := NewTable(make([]float32, c.n), c.size); err == nil {
			t.Errorf("NewTable(%d values, size %d) accepted", c.n, c.size)
		}
	}
	bad := make([]float32, 10)
	bad[3] = float32(math.NaN())
	if _, err := NewTable(bad, 1); err == nil {
		t.Error("NewTable accepted a NaN coefficient")
	}
	for _, c := range []struct{ n, size, k int }{{4 * 10 * 9, 3, 0}, {4 * 10 * 9, 3, 1}, {4*10*9 - 1, 3, 2}, {17 * 17 * 10, 1, 17}} {
		if _, err := NewPieceTable(make([]float32, c.n), c.size, c.k); err == nil {
			t.Errorf("NewPieceTable(%d values, size %d, %d pieces) accepted", c.n, c.size, c.k)
		}
	}
}

func TestStride(t *testing.T) {
	for w := 1; w < 5000; w++ {
		s := Stride(w)
		if s < w || s%16 != 0 || (s/16)%2 == 0 || s > w+31 {
			t.Fatalf("Stride(%d) = %d: want an odd multiple of 16 in [w, w+31]", w, s)
		}
	}
}

// TestRenderWideStampsMatchReference renders many whole stamps into a large box, so that the
// AVX-512 path pairs stamps of the same geometry 17 to 32 columns wide (both column chunks
// per row) and wider (three chunks), on one and on 2×2 pieces.
func TestRenderWideStampsMatchReference(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(3, 4))
		for trial := range 16 {
			size := []int{9, 19, 25, 35}[trial%4]
			pieces := 1 + trial/4%2
			w, h, stride := 150, 140, 153
			got := make([]float32, (h-1)*stride+w)
			for i := range got {
				got[i] = float32(20*rng.Float64() - 10)
			}
			want := append([]float32(nil), got...)
			coeffs := randomPieces(rng, size, pieces)
			tab, err := NewPieceTable(coeffs, size, pieces)
			if err != nil {
				t.Fatal(err)
			}
			b := randomBatch(rng, 60, w, h, size)
			for i := range b.radius {
				b.radius[i] = FullStamp
			}
			k.render(got, stride, w, h, tab, b.sources(tab), 1)
			b.reference(want, stride, w, h, coeffs, size, pieces)
			tol := renderTol * (b.scale(coeffs) + 10)
			for p := range got {
				if e := math.Abs(float64(got[p] - want[p])); e > tol {
					t.Fatalf("trial %d (size %d, %d×%d pieces): pixel (%d,%d) = %g, reference %g (tolerance %g)",
						trial, size, pieces, pieces, p%stride, p/stride, got[p], want[p], tol)
				}
			}
		}
	})
}
