package score

import (
	"fmt"
	"math"
	"strings"

	"github.com/probcat/probcat/internal/tablefile"
)

// SkyColumns names the columns of a reference catalogue to match on the sky and the rows to
// use.
type SkyColumns struct {
	RA, Dec, Mag string
	// Where keeps only the rows that pass every condition (e.g. class=star).
	Where []Condition
}

// ReadSkyReference reads a reference catalogue (Parquet, CSV with a header row, or a FITS
// binary table) for sky matching: the rows that pass cols.Where and have a finite RA, Dec and
// magnitude, with their row numbers in the file. skipped counts the rows selected by Where
// but left out for a non-finite value. Missing columns and an empty selection are errors
// naming the file.
func ReadSkyReference(path string, cols SkyColumns) (ref SkyCatalogue, skipped int, err error) {
	want := []string{cols.RA, cols.Dec, cols.Mag}
	for _, c := range cols.Where {
		want = append(want, c.Column)
	}
	c, err := readColumns(path, want, []string{cols.RA, cols.Dec, cols.Mag})
	if err != nil {
		return SkyCatalogue{}, 0, err
	}
	ra, err := c.numeric(cols.RA, "RA")
	if err != nil {
		return SkyCatalogue{}, 0, err
	}
	dec, err := c.numeric(cols.Dec, "Dec")
	if err != nil {
		return SkyCatalogue{}, 0, err
	}
	mag, err := c.numeric(cols.Mag, "magnitude")
	if err != nil {
		return SkyCatalogue{}, 0, err
	}
	keep, err := selectRows(c, cols.Where)
	if err != nil {
		return SkyCatalogue{}, 0, err
	}
	selected := 0
	for i, k := range keep {
		if !k {
			continue
		}
		selected++
		if !finite(ra[i]) || !finite(dec[i]) || !finite(mag[i]) {
			skipped++
			continue
		}
		ref.RA, ref.Dec, ref.Mag = append(ref.RA, ra[i]), append(ref.Dec, dec[i]), append(ref.Mag, mag[i])
		ref.Row = append(ref.Row, int32(i))
	}
	if ref.Len() == 0 {
		switch {
		case c.rows == 0:
			return ref, skipped, fmt.Errorf("%s: no rows", path)
		case selected == 0:
			return ref, skipped, fmt.Errorf("%s: --truth-where %s selects none of the %d rows", path, whereString(cols.Where), c.rows)
		default:
			return ref, skipped, fmt.Errorf("%s: none of the %d selected rows has a finite %s, %s and %s", path, selected, cols.RA, cols.Dec, cols.Mag)
		}
	}
	return ref, skipped, nil
}

func whereString(conds []Condition) string {
	s := make([]string, len(conds))
	for i, c := range conds {
		s[i] = "'" + c.String() + "'"
	}
	return strings.Join(s, " ")
}

// SkySample is one catalogue of an ensemble on the sky (or the only one of a condensed
// catalogue, with Chain and Index 0).
type SkySample struct {
	Chain, Index int
	SkyCatalogue
}

// SkyEstimates is a catalogue read for sky matching.
type SkyEstimates struct {
	Samples []SkySample
	// Ensemble is true for an ensemble (a file with chain and sample columns).
	Ensemble bool
	// MagFromFlux is true when the file had no mag column and the magnitudes come from the
	// flux column and a zero point.
	MagFromFlux bool
	// Dropped counts the sources of a condensed catalogue below the prevalence cut.
	Dropped int
}

// ReadSkyEstimates reads a catalogue for sky matching: an ensemble (Parquet with chain and
// sample columns) gives its samples, ordered by chain then sample (samples with no source
// restored from the file's metadata); any other Parquet, FITS or CSV catalogue gives one sample,
// of the sources with prevalence ≥ minPrevalence (a missing prevalence column counts as 1).
// The file must have ra and dec columns; magnitudes come from its mag column or else from
// flux and the zero point zp.
func ReadSkyEstimates(path string, zp, minPrevalence float64) (*SkyEstimates, error) {
	c, err := readColumns(path, []string{"chain", "sample", "ra", "dec", "mag", "prevalence"}, []string{"ra", "dec"})
	if err != nil {
		return nil, err
	}
	if !c.has("ra") || !c.has("dec") {
		return nil, fmt.Errorf("%s: no ra and dec columns (sky matching needs a catalogue made from an image with a WCS; has %s)", path, strings.Join(c.names, ", "))
	}
	ra, err := c.numeric("ra", "RA")
	if err != nil {
		return nil, err
	}
	dec, err := c.numeric("dec", "Dec")
	if err != nil {
		return nil, err
	}
	out := &SkyEstimates{}
	mag, err := c.numeric("mag", "magnitude")
	if !c.has("mag") {
		// Read the flux only when needed: an ensemble's columns are large.
		fc, ferr := readColumns(path, []string{"flux"}, []string{"ra", "dec"})
		if ferr != nil {
			return nil, ferr
		}
		flux, ferr := fc.numeric("flux", "flux")
		if ferr != nil {
			return nil, fmt.Errorf("%s: no mag or flux column", path)
		}
		mag = make([]float64, len(flux))
		for i, f := range flux {
			mag[i] = Magnitude(f, zp)
		}
		out.MagFromFlux = true
	} else if err != nil {
		return nil, err
	}
	if c.has("chain") && c.has("sample") {
		if minPrevalence > 0 {
			return nil, fmt.Errorf("%s: an ensemble has no prevalence to cut at %g (score its condensed catalogue instead)", path, minPrevalence)
		}
		ch, err := c.numeric("chain", "chain")
		if err != nil {
			return nil, err
		}
		sa, err := c.numeric("sample", "sample")
		if err != nil {
			return nil, err
		}
		out.Ensemble = true
		out.Samples, err = groupSamples(c, ch, sa, ra, dec, mag)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	s := SkySample{}
	prev := c.num["prevalence"]
	if prev == nil || minPrevalence <= 0 {
		s.RA, s.Dec, s.Mag = ra, dec, mag
	} else {
		for i := range ra {
			if prev[i] >= minPrevalence {
				s.RA, s.Dec, s.Mag = append(s.RA, ra[i]), append(s.Dec, dec[i]), append(s.Mag, mag[i])
				s.Row = append(s.Row, int32(i))
			} else {
				out.Dropped++
			}
		}
	}
	out.Samples = []SkySample{s}
	return out, nil
}

// groupSamples splits the rows of an ensemble into samples. Rows of one sample are usually
// contiguous, as probcat writes them; then the samples share the columns' memory.
func groupSamples(c *columns, ch, sa, ra, dec, mag []float64) ([]SkySample, error) {
	type key struct{ c, s int }
	idx := map[key]int{}
	var out []SkySample
	var count []int
	contiguous := true
	for i := range ch {
		if math.IsNaN(ch[i]) || math.IsNaN(sa[i]) {
			return nil, fmt.Errorf("%s: row %d has no chain or sample number", c.path, i)
		}
		k := key{int(ch[i]), int(sa[i])}
		j, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, SkySample{Chain: k.c, Index: k.s, SkyCatalogue: SkyCatalogue{First: i}})
			count = append(count, 0)
			j = len(out) - 1
		} else if j != len(out)-1 {
			contiguous = false
		}
		count[j]++
	}
	if contiguous {
		for j := range out {
			n, f := count[j], out[j].First
			out[j].RA, out[j].Dec, out[j].Mag = ra[f:f+n:f+n], dec[f:f+n:f+n], mag[f:f+n:f+n]
		}
	} else {
		for j := range out {
			out[j].SkyCatalogue = SkyCatalogue{}
		}
		for i := range ch {
			s := &out[idx[key{int(ch[i]), int(sa[i])}]].SkyCatalogue
			s.RA, s.Dec, s.Mag = append(s.RA, ra[i]), append(s.Dec, dec[i]), append(s.Mag, mag[i])
			s.Row = append(s.Row, int32(i))
		}
	}
	return tablefile.WithEmptySamples(c.path, c.meta, out, func(s *SkySample) (int, int) { return s.Chain, s.Index },
		func(ch, i int) SkySample { return SkySample{Chain: ch, Index: i} })
}
