// Package render holds the kernels of probcat's hot loop: adding PSF-shaped sources into a
// pixel box, and the change in Gaussian log-likelihood over a box when a model changes.
// Kernels are pure functions over slices; they know nothing of MCMC.
//
// A box is a w×h window into a row-major float32 buffer with row pitch stride; box pixel
// (i, j) (column i, row j) lives at buf[j*stride+i]. Source positions are given in box
// coordinates: pixel centres at integers.
//
// The PSF reaches the kernels as PCAT's cubic sub-pixel table: for a stamp of size×size
// native pixels (size odd, centre c = size/2) and a source at x, let ix = ⌈x⌉ and
// dx = ix − x ∈ [0, 1) (likewise for y). Stamp pixel (u, v) lands on box pixel
// (ix − c + u, iy − c + v) with value Σ_k b_k(dx, dy) · coeffs[k*size*size + v*size + u], where
// b = (1, dx, dy, dx², dx·dy, dy², dx³, dx²·dy, dx·dy², dy³).
package render
