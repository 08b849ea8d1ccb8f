// Package fits reads and writes FITS files for probcat: images of any BITPIX with BSCALE, BZERO
// and BLANK applied (as float32), ordered header cards with typed getters, and binary tables
// including fixed-size array (TDIM) and variable-length array ('P'/'Q') columns. Files may be
// plain or compressed with gzip or bzip2; compression is detected from the magic bytes.
//
// Header cards are parsed by codeberg.org/astrogo/fitsio. This package fills the gaps of
// fitsio v0.4.0 that matter here: it checks HDU sizes against the file (truncation is an error,
// never zeros), turns fitsio's panics on malformed headers into errors, converts pixels of any
// BITPIX with scaling, locates the heap of variable-length arrays correctly when THEAP is set
// (fitsio slices past the data), and writes headers itself because fitsio formats reals with six
// significant digits, which would ruin WCS cards.
//
// Every error names the file (and HDU or column) and the problem.
package fits
