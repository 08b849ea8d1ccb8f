package catalogue

import (
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/survey"
)

// WriteCatalogueParquet writes a plain catalogue (columns x, y, flux, then mag and ra, dec
// when d asks for them) to path, atomically: e.g. the truth of a simulation.
func WriteCatalogueParquet(path string, x, y, flux []float64, d Derived) error {
	cols := append([]column{{"x", kindDouble}, {"y", kindDouble}, {"flux", kindDouble}}, d.columns()...)
	t, err := createTable(path, cols, nil)
	if err != nil {
		return err
	}
	var vals []float64
	for i := range x {
		vals = d.appendValues(append(vals[:0], x[i], y[i], flux[i]), x[i], y[i], flux[i])
		if err := t.add(vals...); err != nil {
			return err
		}
	}
	return t.close()
}

// WriteCatalogueFITS writes a plain catalogue as a FITS binary table (extension CATALOGUE
// after an empty primary HDU) with columns x, y, flux, then mag and ra, dec when d asks, and
// the PIXORIG card of the pixel convention.
func WriteCatalogueFITS(path string, x, y, flux []float64, d Derived) error {
	cols := []fits.TableColumn{
		{Name: "x", Unit: "pix", Data: x},
		{Name: "y", Unit: "pix", Data: y},
		{Name: "flux", Data: flux},
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
	h := fits.NewHeader()
	survey.SetPixelOrigin(h)
	return fits.Write(path, fits.TableHDU{Name: "CATALOGUE", Header: h, Columns: cols})
}
