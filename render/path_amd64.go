//go:build !purego && gc

package render

import "github.com/klauspost/cpuid/v2"

//go:generate sh -c "cd ../_generate && go run . -out ../render/kernels_amd64.s -stubs ../render/kernels_amd64.go -pkg render"

// accelerated returns the assembly paths this CPU supports, slowest first.
func accelerated() []*kernels {
	var ks []*kernels
	if cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.BMI2) {
		ks = append(ks, &kernels{name: "avx2", isa: isaAVX2})
		if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ) {
			ks = append(ks, &kernels{name: "avx512", isa: isaAVX512})
		}
	}
	return ks
}

// addBatch adds the batch's stamps into dst and empties it. On AVX-512, stamps of the same
// clipped geometry that do not overlap are rendered in pairs, sharing coefficient loads.
func (k *kernels) addBatch(dst []float32, stride int, t *Table, b *spans) {
	l := t.layout()
	if k.isa == isaAVX512 && b.n > 1 {
		var pairs struct {
			n   int
			geo [8 * maxSpans / 2]int32
			wts [2 * NumCoeffs * maxSpans / 2]float32
		}
		var paired [maxSpans]bool
		single := 0
		for i := 0; i < b.n; i++ {
			if paired[i] {
				continue
			}
			gi := b.geo[4*i : 4*i+4]
			j := i + 1
			for ; j < b.n; j++ {
				gj := b.geo[4*j : 4*j+4]
				if !paired[j] && gi[1] == gj[1] && gi[2] == gj[2] && gi[3] == gj[3] && !b.rects[i].overlaps(b.rects[j]) {
					break
				}
			}
			if j < b.n {
				paired[j] = true
				pg := pairs.geo[8*pairs.n : 8*pairs.n+8]
				pg[0], pg[1], pg[2], pg[3], pg[4] = gi[0], b.geo[4*j], gi[1], gi[2], gi[3]
				copy(pairs.wts[2*NumCoeffs*pairs.n:], b.wts[NumCoeffs*i:NumCoeffs*i+NumCoeffs])
				copy(pairs.wts[2*NumCoeffs*pairs.n+NumCoeffs:], b.wts[NumCoeffs*j:NumCoeffs*j+NumCoeffs])
				pairs.n++
				continue
			}
			copy(b.geo[4*single:4*single+4], gi)
			copy(b.wts[NumCoeffs*single:NumCoeffs*single+NumCoeffs], b.wts[NumCoeffs*i:NumCoeffs*i+NumCoeffs])
			single++
		}
		if pairs.n > 0 {
			addPairsAVX512(dst, stride, t.c, l.termStride, l.rowStride, pairs.geo[:8*pairs.n], pairs.wts[:2*NumCoeffs*pairs.n])
		}
		b.n = single
	}
	if b.n > 0 {
		k.addSpans(dst, stride, t.c, l.termStride, l.rowStride, b.geo[:4*b.n], b.wts[:NumCoeffs*b.n])
	}
	b.n = 0
}

// addSpans adds every span's stamp into dst.
func (k *kernels) addSpans(dst []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) {
	switch k.isa {
	case isaAVX512:
		addSpansAVX512(dst, stride, tab, termStride, rowStride, geo, wts)
	case isaAVX2:
		addSpansAVX2(dst, stride, tab, termStride, rowStride, geo, wts)
	default:
		addSpansGo(dst, stride, tab, termStride, rowStride, geo, wts)
	}
}

// addSpansFlat adds every span's stamp into dst, reading no coefficient beyond a span's
// columns (for the flat table, which has no padding).
func (k *kernels) addSpansFlat(dst []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) {
	switch k.isa {
	case isaAVX512:
		addSpansFlatAVX512(dst, stride, tab, termStride, rowStride, geo, wts)
	case isaAVX2:
		addSpansFlatAVX2(dst, stride, tab, termStride, rowStride, geo, wts)
	default:
		addSpansGo(dst, stride, tab, termStride, rowStride, geo, wts)
	}
}

// deltaSpans returns Σ w·δ·(r − δ/2) over non-overlapping spans, δ being each stamp.
func (k *kernels) deltaSpans(resid, weight []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) float64 {
	switch k.isa {
	case isaAVX512:
		return deltaSpansAVX512(resid, weight, stride, tab, termStride, rowStride, geo, wts)
	case isaAVX2:
		return deltaSpansAVX2(resid, weight, stride, tab, termStride, rowStride, geo, wts)
	}
	return deltaSpansGo(resid, weight, stride, tab, termStride, rowStride, geo, wts)
}

// deltaBox returns Σ w·δ·(r − δ/2) over a box; resid and weight share rstride.
func (k *kernels) deltaBox(resid, weight []float32, rstride int, delta []float32, dstride, w, h int) float64 {
	switch k.isa {
	case isaAVX512:
		return deltaBoxAVX512(resid, weight, rstride, delta, dstride, w, h)
	case isaAVX2:
		return deltaBoxAVX2(resid, weight, rstride, delta, dstride, w, h)
	}
	return deltaBoxGo(resid, weight, rstride, delta, dstride, w, h)
}

// applyBox subtracts delta from resid over a box.
func (k *kernels) applyBox(resid []float32, rstride int, delta []float32, dstride, w, h int) {
	switch k.isa {
	case isaAVX512:
		applyBoxAVX512(resid, rstride, delta, dstride, w, h)
	case isaAVX2:
		applyBoxAVX2(resid, rstride, delta, dstride, w, h)
	default:
		applyBoxGo(resid, rstride, delta, dstride, w, h)
	}
}

// positiveSquares returns Σ max(0, a·b)² over a box, in the order of positiveSquaresGo.
func (k *kernels) positiveSquares(a, b []float32, stride, w, h int) float64 {
	switch k.isa {
	case isaAVX512:
		return positiveSquaresAVX512(a, b, stride, w, h)
	case isaAVX2:
		return positiveSquaresAVX2(a, b, stride, w, h)
	}
	return positiveSquaresGo(a, b, stride, w, h)
}

// positiveSquaresChange returns Σ [max(0, (a−d)·b)² − max(0, a·b)²] over a box, in the order
// of positiveSquaresChangeGo.
func (k *kernels) positiveSquaresChange(a, d, b []float32, stride, w, h int) float64 {
	switch k.isa {
	case isaAVX512:
		return positiveSquaresChangeAVX512(a, d, b, stride, w, h)
	case isaAVX2:
		return positiveSquaresChangeAVX2(a, d, b, stride, w, h)
	}
	return positiveSquaresChangeGo(a, d, b, stride, w, h)
}

// weightedDots returns Σ a·wt·b and Σ a·wt·a over a box, in the order of weightedDotsGo.
func (k *kernels) weightedDots(a, wt, b []float32, stride, w, h int) (ab, aa float64) {
	switch k.isa {
	case isaAVX512:
		return weightedDotsAVX512(a, wt, b, stride, w, h)
	case isaAVX2:
		return weightedDotsAVX2(a, wt, b, stride, w, h)
	}
	return weightedDotsGo(a, wt, b, stride, w, h)
}
