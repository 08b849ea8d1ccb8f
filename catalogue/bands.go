package catalogue

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/probcat/probcat/fits"
)

// Bands describes the bands of a multi-band catalogue (a joint fit of several images, one
// flux per band). Its files name each band's columns by the band: flux_<band> (in place of
// flux) and, where the band has a zero point, mag_<band>; condensed files add flux_<band>_err
// and mag_<band>_err. The first band is the reference band, in whose pixels x and y are.
type Bands struct {
	// Names are the bands, the reference band first.
	Names []string
	// Magnitudes convert each band's flux to a magnitude (a nil entry: no zero point, no
	// mag_<band> column).
	Magnitudes []func(flux float64) float64
}

// bandsKey is the file metadata key holding a multi-band catalogue's band names as JSON.
const bandsKey = "probcat.bands"

// bandCard is the prefix of the FITS cards BAND0, BAND1, … naming a catalogue's bands.
const bandCard = "BAND"

// flux returns the name of band k's flux column.
func (b *Bands) flux(k int) string { return "flux_" + b.Names[k] }

// mag returns band k's magnitude converter, nil for none.
func (b *Bands) mag(k int) func(float64) float64 {
	if k < len(b.Magnitudes) {
		return b.Magnitudes[k]
	}
	return nil
}

// withBands adds the band names to a file's metadata (a copy).
func withBands(meta map[string]string, b *Bands) map[string]string {
	m := maps.Clone(meta)
	if m == nil {
		m = map[string]string{}
	}
	js, _ := json.Marshal(b.Names)
	m[bandsKey] = string(js)
	return m
}

// magErr is the magnitude error of a flux f with error e: 2.5/ln 10 · e/f.
func magErr(f, e float64) float64 { return 2.5 / math.Ln10 * e / f }

// bandFlux returns band k's flux of a condensed source (k = 0: Flux).
func (c CondensedSource) bandFlux(k int) (f, e float64) {
	if k == 0 {
		return c.Flux, c.FluxErr
	}
	if k-1 < len(c.BandFlux) {
		return c.BandFlux[k-1], c.BandFluxErr[k-1]
	}
	return math.NaN(), math.NaN()
}

// selectBand makes a multi-band table's band the one its flux and flux_err columns hold:
// band names it ("" for the reference band). Single-band tables are left as they are, and
// asking them for a band other than "" is an error.
func selectBand(path string, tab *table, band string) error {
	v, ok := tab.meta[bandsKey]
	if !ok {
		if band != "" {
			return fmt.Errorf("%s: not a multi-band catalogue, so it has no band %s", path, band)
		}
		return nil
	}
	var names []string
	if err := json.Unmarshal([]byte(v), &names); err != nil || len(names) == 0 {
		return fmt.Errorf("%s: bad %s metadata %q", path, bandsKey, v)
	}
	return aliasBand(path, names, band, tab.cols)
}

// aliasBand points cols' flux and flux_err entries at those of the chosen band of names
// (the first when band is "").
func aliasBand(path string, names []string, band string, cols map[string][]float64) error {
	if band == "" {
		band = names[0]
	}
	if !slices.Contains(names, band) {
		return fmt.Errorf("%s: no band %s (it has %v)", path, band, names)
	}
	f, ok := cols["flux_"+band]
	if !ok {
		return fmt.Errorf("%s: no column flux_%s", path, band)
	}
	cols["flux"] = f
	if e, ok := cols["flux_"+band+"_err"]; ok {
		cols["flux_err"] = e
	}
	return nil
}

// setBandCards names a catalogue's bands in FITS cards BAND0, BAND1, ….
func setBandCards(h *fits.Header, b *Bands) {
	for k, n := range b.Names {
		h.Set(fmt.Sprintf("%s%d", bandCard, k), n, "band of the flux_<band> columns")
	}
}

// fitsBandNames reads the bands named by BANDn cards in a FITS file's headers, nil for none.
func fitsBandNames(f *fits.File) ([]string, error) {
	for i := 0; i < f.NumHDU(); i++ {
		h, err := f.Header(i)
		if err != nil {
			return nil, err
		}
		var names []string
		for k := 0; ; k++ {
			v, err := h.String(fmt.Sprintf("%s%d", bandCard, k))
			if err != nil {
				break
			}
			names = append(names, v)
		}
		if len(names) > 0 {
			return names, nil
		}
	}
	return nil, nil
}
