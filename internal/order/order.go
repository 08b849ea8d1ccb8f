// Package order finds order statistics (the k-th smallest value, medians) of float64 slices
// in linear expected time, reordering the slice in place instead of sorting it, and
// percentiles of sorted slices as numpy interpolates them.
package order

import (
	"math"
	"math/bits"
	"slices"
	"sort"
)

// Select reorders v so that v[k] holds the value a full sort would put there, every value
// before it is ≤ v[k] and every value after it is ≥ v[k], and returns v[k]. v must hold no NaN
// and 0 ≤ k < len(v). It takes linear time on average (quickselect with median-of-three
// pivots) and falls back to sorting what remains after 2·log₂(len(v)) rounds, so the worst
// case is O(n log n).
func Select(v []float64, k int) float64 {
	lo, hi := 0, len(v) // the k-th value lies in v[lo:hi]
	for budget := 2 * bits.Len(uint(len(v))); hi-lo > 16; budget-- {
		if budget == 0 {
			slices.Sort(v[lo:hi])
			return v[k]
		}
		// Median of three as the pivot, then a three-way partition of v[lo:hi] into
		// < pivot, = pivot and > pivot, so that runs of equal values end the search.
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi-1]
		if a > b {
			a, b = b, a
		}
		if b > c {
			b = c
		}
		p := max(a, b)
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch x := v[i]; {
			case x < p:
				v[lt], v[i] = x, v[lt]
				lt++
				i++
			case x > p:
				gt--
				v[gt], v[i] = x, v[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return p
		}
	}
	slices.Sort(v[lo:hi])
	return v[k]
}

// UpperMedian returns the value at index len(v)/2 of v sorted (the median for odd lengths,
// the upper of the middle two for even ones), reordering v. v must be non-empty, without NaN.
func UpperMedian(v []float64) float64 { return Select(v, len(v)/2) }

// Median returns the median of v (the mean of the middle two values for even lengths),
// reordering v. v must be non-empty, without NaN.
func Median(v []float64) float64 {
	n := len(v)
	m := Select(v, n/2)
	if n%2 == 1 {
		return m
	}
	// After Select, v[:n/2] holds the n/2 smallest values: the lower middle is their maximum.
	return (slices.Max(v[:n/2]) + m) / 2
}

// HalfWidth68 returns (p84 − p16)/2 with percentiles interpolated linearly between order
// statistics (numpy's default); it sorts v in place.
func HalfWidth68(v []float64) float64 {
	sort.Float64s(v)
	return (Percentile(v, 84) - Percentile(v, 16)) / 2
}

// Percentile returns the p-th percentile of sorted v, numpy's "linear" method.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := p / 100 * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
