package catalogue

import (
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/survey"

	"github.com/probcat/probcat/internal/tablefile"
)

// WriteCatalogueParquet writes a plain catalogue (columns x, y, flux, then mag and ra, dec
// when d asks for them) to path, atomically: e.g. the truth of a simulation.
func WriteCatalogueParquet(path string, x, y, flux []float64, d Derived) error {
	return WriteSampleParquet(path, &Sample{X: x, Y: y, Flux: flux}, d)
}

// WriteSampleParquet writes one catalogue as WriteCatalogueParquet does, with the kind and
// parameter columns of a catalogue of mixed kinds when d.Kinds is set (as in an ensemble).
func WriteSampleParquet(path string, s *Sample, d Derived) error {
	cols := []tablefile.Column{{Name: "x", Kind: tablefile.Double}, {Name: "y", Kind: tablefile.Double}, {Name: "flux", Kind: tablefile.Double}}
	var meta map[string]string
	if d.Kinds != nil {
		cols = append(cols, d.Kinds.kindColumns()...)
		meta = withKinds(nil, d.Kinds)
	}
	t, err := createTable(path, append(cols, d.columns()...), meta)
	if err != nil {
		return err
	}
	var vals []float64
	for i := range s.X {
		vals = append(vals[:0], s.X[i], s.Y[i], s.Flux[i])
		if d.Kinds != nil {
			vals = append(vals, float64(s.Kind[i]))
			for _, p := range s.Params {
				vals = append(vals, p[i])
			}
		}
		vals = d.appendValues(vals, s.X[i], s.Y[i], s.Flux[i])
		if err := t.Add(vals...); err != nil {
			return err
		}
	}
	return t.Close()
}

// WriteCatalogueFITS writes a plain catalogue as a FITS binary table (extension CATALOGUE
// after an empty primary HDU) with columns x, y, flux, then mag and ra, dec when d asks, and
// the PIXORIG card of the pixel convention.
func WriteCatalogueFITS(path string, x, y, flux []float64, d Derived) error {
	return WriteSampleFITS(path, &Sample{X: x, Y: y, Flux: flux}, d)
}

// WriteSampleFITS writes one catalogue as WriteCatalogueFITS does, with the kind and
// parameter columns of a catalogue of mixed kinds (NaN where a source's kind lacks one; cards
// KINDn name the kinds) when d.Kinds is set.
func WriteSampleFITS(path string, s *Sample, d Derived) error {
	x, y, flux := s.X, s.Y, s.Flux
	cols := []fits.TableColumn{
		{Name: "x", Unit: "pix", Data: x},
		{Name: "y", Unit: "pix", Data: y},
		{Name: "flux", Data: flux},
	}
	h := fits.NewHeader()
	if k := d.Kinds; k != nil {
		cols = append(cols, fits.TableColumn{Name: "kind", Data: s.Kind})
		for j, p := range k.Params {
			cols = append(cols, fits.TableColumn{Name: p, Unit: k.unit(j), Data: s.Params[j]})
		}
		setKindCards(h, k)
	}
	if d.Magnitude != nil {
		m := make([]float64, len(x))
		for i, f := range flux {
			m[i] = d.Magnitude(f)
		}
		cols = append(cols, fits.TableColumn{Name: "mag", Unit: "mag", Data: m})
	}
	if d.Sky != nil {
		ra, dec := make([]float64, len(x)), make([]float64, len(x))
		for i := range x {
			ra[i], dec[i] = d.Sky(x[i], y[i])
		}
		cols = append(cols, fits.TableColumn{Name: "ra", Unit: "deg", Data: ra}, fits.TableColumn{Name: "dec", Unit: "deg", Data: dec})
	}
	survey.SetPixelOrigin(h)
	return fits.Write(path, fits.TableHDU{Name: "CATALOGUE", Header: h, Columns: cols})
}
