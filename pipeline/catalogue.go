package pipeline

import (
	"path/filepath"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
)

// The catalogue most users want: the condensed sources whose prevalence reaches
// Job.MinPrevalence (0.5 from the command line), beside the condensed files, which hold every
// cluster with its prevalence.
const (
	CatalogueFITS = "catalogue.fits"
	CatalogueParq = "catalogue.parquet"
)

// Prevalent returns the sources of cs whose prevalence is at least minPrevalence, in cs's
// order.
func Prevalent(cs []catalogue.CondensedSource, minPrevalence float64) []catalogue.CondensedSource {
	out := []catalogue.CondensedSource{}
	for _, c := range cs {
		if c.Prevalence >= minPrevalence {
			out = append(out, c)
		}
	}
	return out
}

// WriteCatalogue writes catalogue.parquet and catalogue.fits into dir: the sources of the
// condensed catalogue cs with prevalence ≥ minPrevalence, with the columns, metadata and
// header cards (hdr, which is not changed; MINPREV is set to the cut) of the condensed files.
// It returns the number of sources written.
func WriteCatalogue(dir string, cs []catalogue.CondensedSource, d catalogue.Derived, meta map[string]string, hdr *fits.Header, minPrevalence float64) (int, error) {
	kept := Prevalent(cs, minPrevalence)
	if err := catalogue.WriteCondensedParquet(filepath.Join(dir, CatalogueParq), kept, d, meta); err != nil {
		return 0, err
	}
	h := fits.NewHeader()
	if hdr != nil {
		h = hdr.Clone()
	}
	h.Set("MINPREV", minPrevalence, "minimum prevalence kept")
	if err := catalogue.WriteCondensedFITS(filepath.Join(dir, CatalogueFITS), kept, d, h); err != nil {
		return 0, err
	}
	return len(kept), nil
}
