package render

// The portable kernels: plain Go, unrolled over the ten polynomial terms, with slices resized
// so that the compiler drops bounds checks in the inner loops. They share the span form and
// signatures of the assembly kernels.

// addSpansGo adds every span's polynomial stamp into dst.
func addSpansGo(dst []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) {
	for s := 0; 4*s+4 <= len(geo); s++ {
		g := geo[4*s : 4*s+4]
		off, toff, cols, rows := int(g[0]), int(g[1]), int(g[2]), int(g[3])
		w := (*[NumCoeffs]float32)(wts[NumCoeffs*s:])
		for range rows {
			d := dst[off : off+cols]
			stampRow(d, tab[toff:], termStride, w, d)
			off += stride
			toff += rowStride
		}
	}
}

// stampRow sets out = base + Σ_t w_t·tab[t·termStride + i] for i < len(out); out and base may
// be the same slice.
func stampRow(out, tab []float32, termStride int, w *[NumCoeffs]float32, base []float32) {
	n := len(out)
	base = base[:n]
	c0 := tab[:n]
	c1 := tab[termStride:][:n]
	c2 := tab[2*termStride:][:n]
	c3 := tab[3*termStride:][:n]
	c4 := tab[4*termStride:][:n]
	c5 := tab[5*termStride:][:n]
	c6 := tab[6*termStride:][:n]
	c7 := tab[7*termStride:][:n]
	c8 := tab[8*termStride:][:n]
	c9 := tab[9*termStride:][:n]
	w0, w1, w2, w3, w4, w5, w6, w7, w8, w9 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9]
	for i := range out {
		a := w0*c0[i] + w2*c2[i] + w4*c4[i] + w6*c6[i] + w8*c8[i]
		b := w1*c1[i] + w3*c3[i] + w5*c5[i] + w7*c7[i] + w9*c9[i]
		out[i] = base[i] + (a + b)
	}
}

// deltaSpansGo returns Σ w·δ·(r − δ/2) over every span, δ being the span's stamp; spans must
// not overlap.
func deltaSpansGo(resid, weight []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) float64 {
	var zero, delta [64]float32
	sum := 0.0
	for s := 0; 4*s+4 <= len(geo); s++ {
		g := geo[4*s : 4*s+4]
		off, toff, cols, rows := int(g[0]), int(g[1]), int(g[2]), int(g[3])
		w := (*[NumCoeffs]float32)(wts[NumCoeffs*s:])
		for range rows {
			for i := 0; i < cols; i += len(delta) {
				n := min(cols-i, len(delta))
				d := delta[:n]
				stampRow(d, tab[toff+i:], termStride, w, zero[:n])
				sum += logLikeRow(resid[off+i:off+i+n], weight[off+i:off+i+n], d)
			}
			off += stride
			toff += rowStride
		}
	}
	return sum
}

// logLikeRow returns Σ w·δ·(r − δ/2) over one row, in float64.
func logLikeRow(r, w, d []float32) float64 {
	r = r[:len(d)]
	w = w[:len(d)]
	s := 0.0
	for i, dv := range d {
		x := float64(dv)
		s += float64(w[i]) * x * (float64(r[i]) - x/2)
	}
	return s
}

// deltaBoxGo returns Σ w·δ·(r − δ/2) over a box.
func deltaBoxGo(resid, weight []float32, rstride int, delta []float32, dstride, w, h int) float64 {
	s := 0.0
	for j := range h {
		s += logLikeRow(resid[j*rstride:j*rstride+w], weight[j*rstride:j*rstride+w], delta[j*dstride:j*dstride+w])
	}
	return s
}

// applyBoxGo subtracts delta from resid over a box.
func applyBoxGo(resid []float32, rstride int, delta []float32, dstride, w, h int) {
	for j := range h {
		r := resid[j*rstride : j*rstride+w]
		d := delta[j*dstride : j*dstride+w]
		d = d[:len(r)]
		for i := range r {
			r[i] -= d[i]
		}
	}
}

// positiveSquaresGo returns Σ max(0, a·b)² over the box in the order every path follows:
// products and squares in float32, pixel (i, j) added in float64 to lane i mod 16, and the
// sixteen lanes reduced by halving (lane k += lane k+8, then k+4, k+2, k+1). Adding nothing
// where a·b ≤ 0 equals the vector kernels' adding +0.
func positiveSquaresGo(a, b []float32, stride, w, h int) float64 {
	var acc [16]float64
	for j := range h {
		ra := a[j*stride : j*stride+w]
		rb := b[j*stride : j*stride+w]
		for i, v := range ra {
			if t := v * rb[i]; t > 0 {
				acc[i%16] += float64(t * t) // the conversion rounds t·t to float32 first
			}
		}
	}
	return halve(&acc)
}

// halve reduces sixteen lanes by halving: lane k += lane k+8, then k+4, k+2, k+1.
func halve(acc *[16]float64) float64 {
	for n := 8; n >= 1; n /= 2 {
		for k := range n {
			acc[k] += acc[k+n]
		}
	}
	return acc[0]
}

// positiveSquaresChangeGo returns Σ [max(0, (a−d)·b)² − max(0, a·b)²] over the box in the
// order of positiveSquaresGo, the products, squares and their difference in float32.
func positiveSquaresChangeGo(a, d, b []float32, stride, w, h int) float64 {
	var acc [16]float64
	for j := range h {
		ra := a[j*stride : j*stride+w]
		rd := d[j*stride : j*stride+w]
		rb := b[j*stride : j*stride+w]
		for i, v := range ra {
			u, n := v*rb[i], (v-rd[i])*rb[i]
			u, n = max(u, 0), max(n, 0)
			if u != u { // NaN counts as zero, as the vector kernels' max does
				u = 0
			}
			if n != n {
				n = 0
			}
			acc[i%16] += float64(float32(n*n) - float32(u*u))
		}
	}
	return halve(&acc)
}

// weightedDotsGo returns Σ a·w·b and Σ a·w·a over the box in the order of positiveSquaresGo,
// with a·w rounded to float32 and then each product.
func weightedDotsGo(a, wt, b []float32, stride, w, h int) (ab, aa float64) {
	var sab, saa [16]float64
	for j := range h {
		ra := a[j*stride : j*stride+w]
		rw := wt[j*stride : j*stride+w]
		rb := b[j*stride : j*stride+w]
		for i, v := range ra {
			aw := v * rw[i]
			sab[i%16] += float64(float32(aw * rb[i]))
			saa[i%16] += float64(float32(aw * v))
		}
	}
	return halve(&sab), halve(&saa)
}
