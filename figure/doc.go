// Package figure draws probcat's PNG figures: the diagnostics of a sampling run (traces of N
// and ln L per chain, the residual map, the flux distribution and the posterior number
// counts), which probcat sample draws for one image and for a tiled frame alike, and the
// figures of a score (completeness and purity by magnitude). Its panels and grids serve the
// experiments' figures too. Every figure is written atomically: a failure leaves no file.
package figure
