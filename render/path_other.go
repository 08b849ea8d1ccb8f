//go:build purego || !amd64 || !gc

package render

// accelerated returns no assembly paths: this build is portable Go only.
func accelerated() []*kernels { return nil }

// addBatch adds the batch's stamps into dst and empties it.
func (k *kernels) addBatch(dst []float32, stride int, t *Table, b *spans) {
	if b.n > 0 {
		l := t.layout()
		addSpansGo(dst, stride, t.c, l.termStride, l.rowStride, b.geo[:4*b.n], b.wts[:NumCoeffs*b.n])
	}
	b.n = 0
}

// addSpans adds every span's stamp into dst.
func (k *kernels) addSpans(dst []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) {
	addSpansGo(dst, stride, tab, termStride, rowStride, geo, wts)
}

// addSpansFlat adds every span's stamp into dst, reading no coefficient beyond a span's
// columns (for the flat table, which has no padding).
func (k *kernels) addSpansFlat(dst []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) {
	addSpansGo(dst, stride, tab, termStride, rowStride, geo, wts)
}

// deltaSpans returns Σ w·δ·(r − δ/2) over non-overlapping spans, δ being each stamp.
func (k *kernels) deltaSpans(resid, weight []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) float64 {
	return deltaSpansGo(resid, weight, stride, tab, termStride, rowStride, geo, wts)
}

// deltaBox returns Σ w·δ·(r − δ/2) over a box; resid and weight share rstride.
func (k *kernels) deltaBox(resid, weight []float32, rstride int, delta []float32, dstride, w, h int) float64 {
	return deltaBoxGo(resid, weight, rstride, delta, dstride, w, h)
}

// applyBox subtracts delta from resid over a box.
func (k *kernels) applyBox(resid []float32, rstride int, delta []float32, dstride, w, h int) {
	applyBoxGo(resid, rstride, delta, dstride, w, h)
}

// positiveSquares returns Σ max(0, a·b)² over a box.
func (k *kernels) positiveSquares(a, b []float32, stride, w, h int) float64 {
	return positiveSquaresGo(a, b, stride, w, h)
}

// positiveSquaresChange returns Σ [max(0, (a−d)·b)² − max(0, a·b)²] over a box.
func (k *kernels) positiveSquaresChange(a, d, b []float32, stride, w, h int) float64 {
	return positiveSquaresChangeGo(a, d, b, stride, w, h)
}

// weightedDots returns Σ a·wt·b and Σ a·wt·a over a box.
func (k *kernels) weightedDots(a, wt, b []float32, stride, w, h int) (ab, aa float64) {
	return weightedDotsGo(a, wt, b, stride, w, h)
}
