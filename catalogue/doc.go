// Package catalogue is probcat's catalogue data model and its files: it streams the ensemble
// of catalogues and the per-sample chain statistics to Parquet, condenses an ensemble into one
// catalogue with a prevalence per source, writes that catalogue to Parquet (and FITS), reads
// any of these back (and plain text catalogues of x, y, flux), and counts an ensemble's
// sources per magnitude (or flux) bin, sample by sample, into posterior number counts
// (counts.parquet) with a detection limit from the condensed catalogue. Scoring catalogues
// against a truth is package score's; drawing them, package figure's.
//
// Positions are 0-based pixel coordinates with pixel centres at integers (x = column, y = row),
// in whatever frame the caller chose (cutout or parent frame); fluxes are in the image's units.
// Nothing here depends on the sampler: an ensemble is a list of Sample values.
package catalogue
