package catalogue

import (
	"fmt"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/survey"
)

// WriteCondensedFITS writes a condensed catalogue to path as a FITS binary table (extension
// CONDENSED, an empty primary HDU before it) with the columns of WriteCondensedParquet (x, y,
// flux, x_err, y_err, flux_err, prevalence, for mixed kinds kind, p_galaxy, the kinds'
// parameters (NaN where the kind lacks one) and p_<kind> (cards KINDn name the kinds), then
// mag and ra, dec when d asks for them) and
// then x_fits, y_fits = x + 1, y + 1, the position in the 1-based pixel convention of FITS
// (DS9 regions, IRAF, astropy with origin=1). The header states the convention (PIXORIG = 0
// and a COMMENT: survey.SetPixelOrigin), after the cards of hdr (e.g. the run's settings),
// which may be nil. The file is written atomically by the fits package.
func WriteCondensedFITS(path string, cs []CondensedSource, d Derived, hdr *fits.Header) error {
	n := len(cs)
	get := func(f func(c CondensedSource) float64) []float64 {
		v := make([]float64, n)
		for i, c := range cs {
			v[i] = f(c)
		}
		return v
	}
	cols := []fits.TableColumn{
		{Name: "x", Unit: "pix", Data: get(func(c CondensedSource) float64 { return c.X })},
		{Name: "y", Unit: "pix", Data: get(func(c CondensedSource) float64 { return c.Y })},
		{Name: "flux", Data: get(func(c CondensedSource) float64 { return c.Flux })},
		{Name: "x_err", Unit: "pix", Data: get(func(c CondensedSource) float64 { return c.XErr })},
		{Name: "y_err", Unit: "pix", Data: get(func(c CondensedSource) float64 { return c.YErr })},
		{Name: "flux_err", Data: get(func(c CondensedSource) float64 { return c.FluxErr })},
		{Name: "prevalence", Data: get(func(c CondensedSource) float64 { return c.Prevalence })},
	}
	if b := d.Bands; b != nil {
		// multi-band: the reference band's flux columns by band, the other bands' after them
		cols[2].Name, cols[5].Name = b.flux(0), b.flux(0)+"_err"
		for k := 1; k < len(b.Names); k++ {
			cols = append(cols,
				fits.TableColumn{Name: b.flux(k), Data: get(func(c CondensedSource) float64 { f, _ := c.bandFlux(k); return f })},
				fits.TableColumn{Name: b.flux(k) + "_err", Data: get(func(c CondensedSource) float64 { _, e := c.bandFlux(k); return e })})
		}
		for k, name := range b.Names {
			if m := b.mag(k); m != nil {
				cols = append(cols,
					fits.TableColumn{Name: "mag_" + name, Unit: "mag", Data: get(func(c CondensedSource) float64 { f, _ := c.bandFlux(k); return m(f) })},
					fits.TableColumn{Name: "mag_" + name + "_err", Unit: "mag", Data: get(func(c CondensedSource) float64 { return magErr(c.bandFlux(k)) })})
			}
		}
		if hdr == nil {
			hdr = fits.NewHeader()
		} else {
			hdr = hdr.Clone()
		}
		setBandCards(hdr, b)
	}
	if k := d.Kinds; k != nil {
		kind := make([]int32, n)
		for i, c := range cs {
			kind[i] = int32(modeKind(c.KindFrac))
		}
		cols = append(cols, fits.TableColumn{Name: "kind", Data: kind},
			fits.TableColumn{Name: "p_galaxy", Data: get(func(c CondensedSource) float64 { return k.pGalaxy(c.KindFrac) })})
		for j, p := range k.Params {
			cols = append(cols, fits.TableColumn{Name: p, Unit: k.unit(j), Data: get(func(c CondensedSource) float64 { return param(c, j) })})
		}
		for i := range k.Names {
			cols = append(cols, fits.TableColumn{Name: k.fracColumn(i), Data: get(func(c CondensedSource) float64 { return frac(c, i) })})
		}
		if hdr == nil {
			hdr = fits.NewHeader()
		} else {
			hdr = hdr.Clone()
		}
		setKindCards(hdr, k)
	}
	if d.Magnitude != nil && d.Bands == nil {
		cols = append(cols, fits.TableColumn{Name: "mag", Unit: "mag",
			Data: get(func(c CondensedSource) float64 { return d.Magnitude(c.Flux) })})
	}
	if d.Sky != nil {
		ra, dec := make([]float64, n), make([]float64, n)
		for i, c := range cs {
			ra[i], dec[i] = d.Sky(c.X, c.Y)
		}
		cols = append(cols, fits.TableColumn{Name: "ra", Unit: "deg", Data: ra},
			fits.TableColumn{Name: "dec", Unit: "deg", Data: dec})
	}
	x1, y1 := make([]float64, n), make([]float64, n)
	for i, c := range cs {
		x1[i], y1[i] = c.X+1, c.Y+1
	}
	cols = append(cols, fits.TableColumn{Name: "x_fits", Unit: "pix", Data: x1},
		fits.TableColumn{Name: "y_fits", Unit: "pix", Data: y1})
	if hdr == nil {
		hdr = fits.NewHeader()
	} else {
		hdr = hdr.Clone()
	}
	survey.SetPixelOrigin(hdr)
	return fits.Write(path, fits.TableHDU{Name: "CONDENSED", Header: hdr, Columns: cols})
}

// ReadCondensedFITS reads a condensed catalogue from the first binary table of a FITS file
// that has x, y and flux columns (so also any FITS truth table with those columns); missing
// error columns read as 0 and a missing prevalence as 1. For a catalogue of mixed kinds (KINDn
// cards) it fills KindFrac from the p_<kind> columns, or from the kind column of a catalogue
// with one kind per source (a simulation's truth), and Params from the parameter columns.
//
// Of a multi-band catalogue (BANDn cards) it reads the reference band's flux.
func ReadCondensedFITS(path string) ([]CondensedSource, error) {
	return readCondensedFITSBand(path, "")
}

// readCondensedFITSBand is ReadCondensedFITS reading band's flux_<band> columns of a
// multi-band catalogue ("" for the reference band).
func readCondensedFITSBand(path, band string) ([]CondensedSource, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	kinds, err := fitsKinds(f)
	if err != nil {
		return nil, err
	}
	bands, err := fitsBandNames(f)
	if err != nil {
		return nil, err
	}
	if bands == nil && band != "" {
		return nil, fmt.Errorf("%s: not a multi-band catalogue, so it has no band %s", path, band)
	}
	names := []string{"x", "y", "flux", "x_err", "y_err", "flux_err", "prevalence"}
	for _, b := range bands {
		names = append(names, "flux_"+b, "flux_"+b+"_err")
	}
	if kinds != nil {
		names = append(append(names, "kind"), kinds.Params...)
		for i := range kinds.Names {
			names = append(names, kinds.fracColumn(i))
		}
	}
	var firstErr error
	for i := 0; i < f.NumHDU(); i++ {
		t, err := f.Table(i)
		if err != nil {
			continue // not a table
		}
		cols := map[string][]float64{}
		for _, name := range names {
			c, err := t.Column(name)
			if err != nil {
				continue
			}
			v, err := c.Float64s()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			cols[name] = v
		}
		if bands != nil {
			if err := aliasBand(path, bands, band, cols); err != nil {
				return nil, err
			}
		}
		if cols["x"] == nil || cols["y"] == nil || cols["flux"] == nil {
			continue
		}
		out := make([]CondensedSource, len(cols["x"]))
		for k := range out {
			get := func(name string, def float64) float64 {
				if v := cols[name]; v != nil {
					return v[k]
				}
				return def
			}
			out[k] = CondensedSource{X: get("x", 0), Y: get("y", 0), Flux: get("flux", 0),
				XErr: get("x_err", 0), YErr: get("y_err", 0), FluxErr: get("flux_err", 0), Prevalence: get("prevalence", 1)}
		}
		if kinds != nil {
			readCondensedKinds(kinds, out, func(name string) []float64 { return cols[name] })
			if kind := cols["kind"]; kind != nil && cols[kinds.fracColumn(0)] == nil {
				// a catalogue with one kind per source (a simulation's truth): certain
				for r, k := range kind {
					if k >= 0 && int(k) < len(kinds.Names) {
						out[r].KindFrac[int(k)] = 1
					}
				}
			}
		}
		return out, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, fmt.Errorf("%s: no binary table with x, y and flux columns", path)
}
