package order

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// inputs returns slices that exercise quickselect's bad cases: sorted, reversed, constant,
// few distinct values, organ pipe, random, and lengths around the small-range cut-off.
func inputs(rng *rand.Rand) [][]float64 {
	var out [][]float64
	for _, n := range []int{1, 2, 3, 15, 16, 17, 18, 100, 1001, 4096} {
		gen := []func(i int) float64{
			func(i int) float64 { return float64(i) },
			func(i int) float64 { return float64(n - i) },
			func(int) float64 { return 7 },
			func(int) float64 { return float64(rng.IntN(3)) },
			func(i int) float64 { return float64(min(i, n-i)) },
			func(int) float64 { return rng.NormFloat64() },
		}
		for _, g := range gen {
			v := make([]float64, n)
			for i := range v {
				v[i] = g(i)
			}
			out = append(out, v)
		}
	}
	return out
}

// TestSelectMatchesSort compares every order statistic with a sorted copy, and checks the
// partition property the callers rely on.
func TestSelectMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range inputs(rng) {
		sorted := slices.Clone(in)
		slices.Sort(sorted)
		ks := []int{0, len(in) / 2, len(in) - 1, rng.IntN(len(in))}
		if len(in) <= 100 {
			ks = ks[:0]
			for k := range in {
				ks = append(ks, k)
			}
		}
		for _, k := range ks {
			v := slices.Clone(in)
			if got := Select(v, k); got != sorted[k] || v[k] != got {
				t.Fatalf("n=%d k=%d: Select %g, v[k] %g, sort %g", len(in), k, got, v[k], sorted[k])
			}
			for i, x := range v {
				if (i < k && x > v[k]) || (i > k && x < v[k]) {
					t.Fatalf("n=%d k=%d: v[%d]=%g is on the wrong side of %g", len(in), k, i, x, v[k])
				}
			}
			got := slices.Clone(v)
			slices.Sort(got)
			if !slices.Equal(got, sorted) {
				t.Fatalf("n=%d k=%d: Select changed the values, not only their order", len(in), k)
			}
		}
	}
}

func TestMedians(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, in := range inputs(rng) {
		s := slices.Clone(in)
		slices.Sort(s)
		n := len(s)
		want := s[n/2]
		if n%2 == 0 {
			want = (s[n/2-1] + s[n/2]) / 2
		}
		if got := Median(slices.Clone(in)); got != want {
			t.Errorf("n=%d: Median %g, want %g", n, got, want)
		}
		if got := UpperMedian(slices.Clone(in)); got != s[n/2] {
			t.Errorf("n=%d: UpperMedian %g, want %g", n, got, s[n/2])
		}
	}
}

func BenchmarkMedian(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	in := make([]float64, 300000)
	for i := range in {
		in[i] = rng.ExpFloat64()
	}
	v := make([]float64, len(in))
	b.Run("select", func(b *testing.B) {
		for b.Loop() {
			copy(v, in)
			UpperMedian(v)
		}
	})
	b.Run("sort", func(b *testing.B) {
		for b.Loop() {
			copy(v, in)
			slices.Sort(v)
		}
	})
}
