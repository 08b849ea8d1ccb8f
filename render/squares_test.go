package render

import (
	"math"
	"math/rand/v2"
	"testing"
)

// positiveSquaresRef is the obviously correct sum: float64 throughout, in plain order.
func positiveSquaresRef(a, b []float32, stride, w, h int) float64 {
	s := 0.0
	for j := range h {
		for i := range w {
			if t := float64(a[j*stride+i]) * float64(b[j*stride+i]); t > 0 {
				s += t * t
			}
		}
	}
	return s
}

// TestPositiveSquares checks every path against the float64 reference and, bit for bit,
// against the generic path (the sum order is part of the contract, so that samples do not
// depend on the machine), over widths that exercise every tail length, strides wider than the
// box (the padding holds large values a kernel must not read), negative and zero products,
// NaN (counts as zero) and +Inf.
func TestPositiveSquares(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(21, 22))
		for trial := range 400 {
			w, h := 1+trial%70, 1+rng.IntN(12)
			stride := w + rng.IntN(20)
			a := make([]float32, (h-1)*stride+w)
			b := make([]float32, len(a))
			for i := range a {
				if i%stride >= w {
					a[i], b[i] = 1e3, 1 // padding: visible if read
					continue
				}
				a[i] = float32(rng.NormFloat64() * 30)
				b[i] = float32(rng.Float64())
				switch rng.IntN(40) {
				case 0:
					b[i] = 0
				case 1:
					a[i] = float32(math.Copysign(0, -1))
				case 2:
					a[i] = float32(math.NaN())
				}
			}
			want := positiveSquaresRef(a, b, stride, w, h)
			got := k.positiveSquares(a, b, stride, w, h)
			if math.Abs(got-want) > 1e-6*want {
				t.Fatalf("trial %d (box %d×%d/%d): %g, reference %g", trial, w, h, stride, got, want)
			}
			if g := positiveSquaresGo(a, b, stride, w, h); math.Float64bits(got) != math.Float64bits(g) {
				t.Fatalf("trial %d (box %d×%d/%d): %v, generic path %v: not the same bits", trial, w, h, stride, got, g)
			}
		}
		a := []float32{1, float32(math.Inf(1)), 2}
		if got := k.positiveSquares(a, []float32{1, 1, 1}, 3, 3, 1); !math.IsInf(got, 1) {
			t.Errorf("+Inf product: got %g, want +Inf", got)
		}
	})
	if got := PositiveSquares(nil, nil, 0, 0, 0); got != 0 {
		t.Errorf("empty box: %g", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a box larger than its buffer did not panic")
		}
	}()
	PositiveSquares(make([]float32, 10), make([]float32, 10), 4, 4, 3)
}

// boxInputs returns n arrays of a w×h box with row pitch stride filled by fill(k, rng) (k the
// array), their padding holding 1e3 (visible if a kernel reads it).
func boxInputs(rng *rand.Rand, n, stride, w, h int, fill func(k int, rng *rand.Rand) float32) [][]float32 {
	out := make([][]float32, n)
	for k := range out {
		out[k] = make([]float32, (h-1)*stride+w)
		for i := range out[k] {
			if i%stride >= w {
				out[k][i] = 1e3
				continue
			}
			out[k][i] = fill(k, rng)
		}
	}
	return out
}

// TestPositiveSquaresChange checks every path against the float64 reference (the difference
// of two positiveSquaresRef sums) and, bit for bit, against the generic path, with residuals
// that change sign under d, zero weights and NaN.
func TestPositiveSquaresChange(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(23, 24))
		for trial := range 400 {
			w, h := 1+trial%70, 1+rng.IntN(12)
			stride := w + rng.IntN(20)
			in := boxInputs(rng, 3, stride, w, h, func(k int, rng *rand.Rand) float32 {
				switch {
				case k == 2 && rng.IntN(40) == 0:
					return 0
				case k == 0 && rng.IntN(60) == 0:
					return float32(math.NaN())
				case k == 2:
					return float32(rng.Float64())
				}
				return float32(rng.NormFloat64() * 30)
			})
			a, d, b := in[0], in[1], in[2]
			moved := make([]float32, len(a))
			for i := range a {
				moved[i] = a[i] - d[i]
			}
			want := positiveSquaresRef(moved, b, stride, w, h) - positiveSquaresRef(a, b, stride, w, h)
			scale := positiveSquaresRef(moved, b, stride, w, h) + positiveSquaresRef(a, b, stride, w, h)
			got := k.positiveSquaresChange(a, d, b, stride, w, h)
			if math.Abs(got-want) > 1e-6*scale {
				t.Fatalf("trial %d (box %d×%d/%d): %g, reference %g", trial, w, h, stride, got, want)
			}
			if g := positiveSquaresChangeGo(a, d, b, stride, w, h); math.Float64bits(got) != math.Float64bits(g) {
				t.Fatalf("trial %d (box %d×%d/%d): %v, generic path %v: not the same bits", trial, w, h, stride, got, g)
			}
		}
	})
	if got := PositiveSquaresChange(nil, nil, nil, 0, 0, 0); got != 0 {
		t.Errorf("empty box: %g", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a box larger than its buffer did not panic")
		}
	}()
	PositiveSquaresChange(make([]float32, 12), make([]float32, 10), make([]float32, 12), 4, 4, 3)
}

// TestWeightedDots checks every path against the float64 reference and, bit for bit, against
// the generic path.
func TestWeightedDots(t *testing.T) {
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(25, 26))
		for trial := range 400 {
			w, h := 1+trial%70, 1+rng.IntN(12)
			stride := w + rng.IntN(20)
			in := boxInputs(rng, 3, stride, w, h, func(k int, rng *rand.Rand) float32 {
				switch k {
				case 0:
					return float32(rng.Float64() * 0.05)
				case 1:
					return float32(rng.Float64() * 0.01)
				}
				return float32(rng.NormFloat64() * 30)
			})
			a, wt, b := in[0], in[1], in[2]
			var ab, aa, abs float64
			for j := range h {
				for i := range w {
					p := j*stride + i
					x := float64(a[p]) * float64(wt[p])
					ab += x * float64(b[p])
					abs += math.Abs(x * float64(b[p]))
					aa += x * float64(a[p])
				}
			}
			gab, gaa := k.weightedDots(a, wt, b, stride, w, h)
			if math.Abs(gab-ab) > 1e-6*abs || math.Abs(gaa-aa) > 1e-6*aa {
				t.Fatalf("trial %d (box %d×%d/%d): (%g, %g), reference (%g, %g)", trial, w, h, stride, gab, gaa, ab, aa)
			}
			if wab, waa := weightedDotsGo(a, wt, b, stride, w, h); math.Float64bits(gab) != math.Float64bits(wab) || math.Float64bits(gaa) != math.Float64bits(waa) {
				t.Fatalf("trial %d (box %d×%d/%d): (%v, %v), generic path (%v, %v): not the same bits", trial, w, h, stride, gab, gaa, wab, waa)
			}
		}
	})
	if ab, aa := WeightedDots(nil, nil, nil, 0, 0, 0); ab != 0 || aa != 0 {
		t.Errorf("empty box: %g, %g", ab, aa)
	}
}
