package render

// AddSources adds flux_k × PSF(x_k, y_k) for every source into the box (see the package
// comment for the layout and the PSF table). It is the fastest path this machine offers.
func AddSources(dst []float32, stride, w, h int, coeffs []float32, size int, xs, ys, fluxes []float32) {
	AddSourcesRef(dst, stride, w, h, coeffs, size, xs, ys, fluxes)
}

// DeltaLogLike returns Σ w·δ·(r − δ/2) over the box: the change in log-likelihood when the
// model grows by delta. It is the fastest path this machine offers.
func DeltaLogLike(resid, delta, weight []float32, stride, w, h int) float64 {
	return DeltaLogLikeRef(resid, delta, weight, stride, w, h)
}
