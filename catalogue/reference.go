package catalogue

import (
	"math"

	"github.com/probcat/probcat/survey"
)

// NMGYM2r is the SDSS r calibration of the M2 field (run 2583, camcol 2, field 136): nanomaggies
// per ADU, so that r = 22.5 − 2.5 log10(flux·NMGYM2r) for a flux in ADU
// (../shared/data/m2-pcat-cutout/PROVENANCE.md).
const NMGYM2r = 0.00546689

// ZeroPointM2r is the r zero point of the M2 field for fluxes in ADU: 22.5 − 2.5 log10(NMGYM2r).
var ZeroPointM2r = 22.5 - 2.5*math.Log10(NMGYM2r)

// ReadHubbleM2 reads the HST truth for M2 as StarNet and BLISS use it (true_hubble_m2.npy, a
// NumPy .npz archive despite its name, or the later true_hubble_m2.npz): true_locs are
// (row, col)/99 relative to the 100×100 cutout's origin and true_fluxes are electrons, r first;
// nelec_per_nmgy converts them to nanomaggies. It returns the stars in cutout pixels (add the
// cutout origin, column 310 and row 630, for frame pixels) with r magnitudes.
func ReadHubbleM2(path string) (Reference, error) {
	// The gain only scales the counts, which a Reference does not carry; 4.6 is the one the
	// files were made with.
	r, err := survey.ReadNPZTruth(path, 4.6)
	if err != nil {
		return Reference{}, err
	}
	return Reference{X: r.X, Y: r.Y, Mag: r.Mag}, nil
}

// ReadDAOPHOTM2 reads An et al. (2008)'s DAOPHOT stars in PCAT's M2 cutout
// (idR-002583-2-0136-tru.txt: x y f_r f_i f_g in ADU), applies the documented offset
// (y is 1 px too large) and returns them in cutout pixels with r magnitudes.
func ReadDAOPHOTM2(path string) (Reference, error) {
	x, y, f, err := ReadXYFlux(path)
	if err != nil {
		return Reference{}, err
	}
	for i := range y {
		y[i]--
	}
	return NewReference(x, y, f, ZeroPointM2r), nil
}
