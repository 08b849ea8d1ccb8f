// Package catalogue turns a sampler's output into files and numbers: it streams the ensemble of
// catalogues and the per-sample chain statistics to Parquet, condenses an ensemble into one
// catalogue with a prevalence per source, writes that catalogue to Parquet (and FITS), reads
// reference catalogues, and scores catalogues against a truth with the two rules of the M2
// benchmark (PCAT's and StarNet's), with completeness and purity by magnitude and a plot of them.
// It also counts an ensemble's sources per magnitude (or flux) bin, sample by sample, into
// posterior number counts (counts.parquet) with a detection limit from the condensed catalogue.
//
// Positions are 0-based pixel coordinates with pixel centres at integers (x = column, y = row),
// in whatever frame the caller chose (cutout or parent frame); fluxes are in the image's units.
// Nothing here depends on the sampler: an ensemble is a list of Sample values.
package catalogue
