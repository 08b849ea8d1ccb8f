// Package score measures a catalogue, or an ensemble of catalogues sample by sample, against
// a reference ("truth") catalogue: in pixels under the two rules of the M2 benchmark (PCAT's
// and StarNet's) with completeness and purity by magnitude and photometric errors of the
// matched sources, and on the sky (one-to-one, greedy nearest-first matching on RA/Dec) with
// completeness and purity intervals over samples, read from any Parquet, CSV or FITS table.
// It writes the sky score's files (completeness.parquet, matches.parquet); package figure
// draws the scores.
package score
