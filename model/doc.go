// Package model holds the nouns of probcat: an astronomical image with its noise model, a
// catalogue of sources stored as a struct of arrays, the priors on source count and flux, and
// the SourceKind interface through which new kinds of source (galaxies, multi-band stars) plug
// into the sampler without changing it.
//
// Conventions: pixel coordinates are 0-based with pixel centres at integers (x = column,
// y = row, as numpy/astropy with origin=0). Pixels are stored row-major, Pix[y*Width+x].
// Fluxes are in the image's own units (counts, ADU) above the background.
package model
