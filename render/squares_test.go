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
