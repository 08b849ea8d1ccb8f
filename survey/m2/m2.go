// Package m2 holds what is particular to the M2 benchmark field (SDSS run 2583, camcol 2,
// field 136, and PCAT's 100×100 r cutout of it) for scoring: its r zero point, its reference
// catalogues as score References (StarNet's HST truth and An et al.'s DAOPHOT stars, whose
// files package survey reads) and PCAT's published completeness and purity on it. The
// experiments that score on M2 share it; nothing in the engine depends on it.
package m2

import (
	"math"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey"
)

// ZeroPointR is the r zero point of the M2 field for fluxes in ADU: 22.5 − 2.5 log10(nmgy),
// with nmgy = survey.M2NMGY["r"] the nanomaggies per ADU of its r frame
// (../shared/data/m2-pcat-cutout/PROVENANCE.md).
var ZeroPointR = 22.5 - 2.5*math.Log10(survey.M2NMGY["r"])

// ReadHubble reads the HST truth for M2 as StarNet and BLISS use it (true_hubble_m2.npy, a
// NumPy .npz archive despite its name, or the later true_hubble_m2.npz; survey.ReadNPZTruth):
// true_locs are (row, col)/99 relative to the 100×100 cutout's origin and true_fluxes are
// electrons, r first; nelec_per_nmgy converts them to nanomaggies. It returns the stars in
// cutout pixels (add the cutout origin, column 310 and row 630, for frame pixels) with r
// magnitudes.
func ReadHubble(path string) (score.Reference, error) {
	// The gain only scales the counts, which a Reference does not carry; 4.6 is the one the
	// files were made with.
	r, err := survey.ReadNPZTruth(path, 4.6)
	if err != nil {
		return score.Reference{}, err
	}
	return score.Reference{X: r.X, Y: r.Y, Mag: r.Mag}, nil
}

// ReadDAOPHOT reads An et al. (2008)'s DAOPHOT stars in PCAT's M2 cutout
// (idR-002583-2-0136-tru.txt: x y f_r f_i f_g in ADU), applies the documented offset
// (y is 1 px too large) and returns them in cutout pixels with r magnitudes.
func ReadDAOPHOT(path string) (score.Reference, error) {
	x, y, f, err := catalogue.ReadXYFlux(path)
	if err != nil {
		return score.Reference{}, err
	}
	for i := range y {
		y[i]--
	}
	return score.NewReference(x, y, f, ZeroPointR), nil
}

// PCATCompleteness is PCAT's completeness by HST F606W magnitude on M2 (PCAT rule, last 300
// samples, as measured on this workplace's machine; ../shared/REFERENCE.md), for the 0.5 mag
// bins from 20 to 22.5 (brighter bins are ≥ 0.91).
var PCATCompleteness = score.Curve{
	Label: "PCAT (M2, ref.)",
	Mag:   []float64{20.25, 20.75, 21.25, 21.75, 22.25},
	Value: []float64{0.85, 0.71, 0.52, 0.32, 0.16},
}

// PCATPurity is 1 − PCAT's false discovery rate by estimated r on M2 (same source as
// PCATCompleteness), for the 0.5 mag bins from 20.5 to 22.5 (brighter bins: FDR 0.08–0.24).
var PCATPurity = score.Curve{
	Label: "PCAT (M2, ref.)",
	Mag:   []float64{20.75, 21.25, 21.75, 22.25},
	Value: []float64{1 - 0.32, 1 - 0.43, 1 - 0.61, 1 - 0.65},
}
