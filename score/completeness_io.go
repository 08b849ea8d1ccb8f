package score

import (
	"fmt"
	"math"
	"strconv"

	"github.com/probcat/probcat/internal/tablefile"
)

// completenessColumns are the columns of completeness.parquet, in file order.
var completenessColumns = []tablefile.Column{
	{Name: "mag_lo", Kind: tablefile.Double}, {Name: "mag_hi", Kind: tablefile.Double},
	{Name: "n_truth", Kind: tablefile.Int32}, {Name: "completeness", Kind: tablefile.Double}, {Name: "completeness_16", Kind: tablefile.Double}, {Name: "completeness_84", Kind: tablefile.Double},
	{Name: "n_estimated", Kind: tablefile.Double}, {Name: "purity", Kind: tablefile.Double}, {Name: "purity_16", Kind: tablefile.Double}, {Name: "purity_84", Kind: tablefile.Double},
}

// WriteCompletenessParquet writes the bins of a sky score to path (atomically), one row per
// magnitude bin: mag_lo, mag_hi, n_truth, completeness with its 16 and 84 % percentiles over
// samples, n_estimated (mean per sample), purity with its percentiles. Undefined values (a
// bin with no reference or no estimated source) are NaN. The file's metadata holds the
// settings (probcat.match_radius_arcsec, probcat.mag_tol, probcat.mag_offset,
// probcat.mag_50, probcat.samples).
func WriteCompletenessParquet(path string, sc *SkyScore) error {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	meta := map[string]string{
		"probcat.match":               "sky, " + sc.Assignment,
		"probcat.match_radius_arcsec": g(sc.Radius),
		"probcat.mag_tol":             g(sc.MagTol),
		"probcat.mag_offset":          g(sc.MagOffset),
		"probcat.mag_offset_fitted":   strconv.FormatBool(sc.OffsetFitted),
		"probcat.mag_50":              g(float64(sc.Mag50)),
		"probcat.samples":             strconv.Itoa(sc.Samples),
	}
	t, err := tablefile.Create(path, completenessColumns, meta)
	if err != nil {
		return err
	}
	for _, b := range sc.Bins {
		if err := t.Add(b.MagLo, b.MagHi, float64(b.NTruth),
			float64(b.Completeness), float64(b.CompletenessInterval[0]), float64(b.CompletenessInterval[1]),
			b.NEstimated, float64(b.Purity), float64(b.PurityInterval[0]), float64(b.PurityInterval[1])); err != nil {
			return err
		}
	}
	return t.Close()
}

// matchColumns are the columns of matches.parquet, in file order.
var matchColumns = []tablefile.Column{
	{Name: "truth_row", Kind: tablefile.Int32}, {Name: "row", Kind: tablefile.Int32}, {Name: "chain", Kind: tablefile.Int32}, {Name: "sample", Kind: tablefile.Int32},
	{Name: "truth_ra", Kind: tablefile.Double}, {Name: "truth_dec", Kind: tablefile.Double}, {Name: "truth_mag", Kind: tablefile.Double},
	{Name: "ra", Kind: tablefile.Double}, {Name: "dec", Kind: tablefile.Double}, {Name: "mag", Kind: tablefile.Double},
	{Name: "separation_arcsec", Kind: tablefile.Double}, {Name: "delta_mag", Kind: tablefile.Double},
}

// WriteMatchesParquet writes the matches of the first sample of a sky score to path
// (atomically), one row per pair in order of increasing separation: truth_row and row (each
// side's 0-based data row in its file), chain and sample (the sample matched), both sides'
// ra, dec and magnitude, separation_arcsec and delta_mag (estimated − reference − offset).
func WriteMatchesParquet(path string, sc *SkyScore) error {
	t, err := tablefile.Create(path, matchColumns, map[string]string{
		"probcat.mag_offset": strconv.FormatFloat(sc.MagOffset, 'g', -1, 64),
	})
	if err != nil {
		return err
	}
	for _, m := range sc.Matches {
		if m.RefRow > math.MaxInt32 || m.EstRow > math.MaxInt32 {
			return t.Fail(fmt.Errorf("row %d or %d does not fit a 32-bit column", m.RefRow, m.EstRow))
		}
		if err := t.Add(float64(m.RefRow), float64(m.EstRow), float64(sc.MatchChain), float64(sc.MatchSample),
			m.RefRA, m.RefDec, m.RefMag, m.RA, m.Dec, m.Mag, m.Sep, m.DMag); err != nil {
			return err
		}
	}
	return t.Close()
}
