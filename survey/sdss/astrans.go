package sdss

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/probcat/probcat/fits"
)

// AsTrans is SDSS's astrometric solution for one CCD (camcol and band) in one field, as
// stored in the run's asTrans-RUN6.fit file and in HDU3 of every frame file. It takes photo's
// frame coordinates (row, col) to great-circle coordinates (mu, nu) and on to RA, Dec
// (SDSS data model, PHOTO_REDUX/RERUN/RUN/astrom/asTrans):
//
//	rowm = row + dRow0 + dRow1·col + dRow2·col² + dRow3·col³ + csRow·colour
//	colm = col + dCol0 + dCol1·col + dCol2·col² + dCol3·col³ + csCol·colour
//	mu = a + b·rowm + c·colm,  nu = d + e·rowm + f·colm
//
// followed by the rotation from the great circle (ascending node Node, inclination Incl) to
// the equator. Photo puts pixel centres at half-integers, so probcat's pixel (x, y) is
// (row, col) = (y + ½, x + ½): with that convention the solution agrees with the frames' TAN
// WCS to 0.04 px on average over the M2 frames (and by 0.5 px with row, col = y, x).
//
// PixelToSky and SkyToPixel evaluate the solution at colour 0, for which the differential
// chromatic refraction is zero by construction (the colour is u−g for u, g−r for g and r−i
// for r, i and z; above RICut in r−i the constant shift CCRow, CCCol applies instead). A star
// of colour c lies CSRow·c, CSCol·c pixels further along row and column.
type AsTrans struct {
	// Run, Camcol and Field identify the field; Band is the filter letter.
	Run, Camcol, Field int
	Band               string
	// Node and Incl are the RA of the great circle's ascending node and its inclination to
	// the equator, in degrees.
	Node, Incl float64
	// A … F are the affine terms: A, D in degrees, B, C, E, F in degrees per pixel.
	A, B, C, D, E, F float64
	// DRow and DCol are the optical distortion polynomials in col (pixels, pixels per
	// pixel, …): DRow[k] multiplies col^k in the row correction, DCol[k] in the column one.
	DRow, DCol [4]float64
	// CSRow and CSCol are the colour terms in pixels per magnitude; CCRow and CCCol the
	// constant shifts in pixels used at r−i ≥ RICut.
	CSRow, CSCol, CCRow, CCCol, RICut float64
	// MuErr and NuErr are the rms errors of the solution in arcseconds.
	MuErr, NuErr float64
}

// ReadAsTrans reads the solution of one camcol, band and field from a run's asTrans file,
// whose HDUs hold one table per CCD (found by their CAMCOL and FILTER cards), one row per
// field, and whose primary header gives NODE and INCL.
func ReadAsTrans(path string, camcol, field int, band string) (*AsTrans, error) {
	if _, err := bandIndex(band); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not an SDSS asTrans file: %s", path, fmt.Sprintf(format, args...))
	}
	h, err := f.Header(0)
	if err != nil {
		return nil, err
	}
	var node, incl float64
	if node, err = h.Float("NODE"); err != nil {
		return nil, bad("%v", err)
	}
	if incl, err = h.Float("INCL"); err != nil {
		return nil, bad("%v", err)
	}
	run, err := h.Int("RUN")
	if err != nil {
		return nil, bad("%v", err)
	}
	for i := 1; i < f.NumHDU(); i++ {
		hh, err := f.Header(i)
		if err != nil {
			return nil, err
		}
		c, err1 := hh.Int("CAMCOL")
		b, err2 := hh.String("FILTER")
		if err1 != nil || err2 != nil || int(c) != camcol || strings.TrimSpace(b) != band {
			continue
		}
		t, err := f.Table(i)
		if err != nil {
			return nil, err
		}
		fc, err := t.Column("field")
		if err != nil {
			return nil, bad("HDU %d: %v", i, err)
		}
		fields, err := fc.Int64s()
		if err != nil {
			return nil, bad("HDU %d: %v", i, err)
		}
		for r, fv := range fields {
			if int(fv) != field {
				continue
			}
			at := &AsTrans{Run: int(run), Camcol: camcol, Field: field, Band: band, Node: node, Incl: incl}
			if err := at.readRow(t, r); err != nil {
				return nil, bad("HDU %d (camcol %d, band %s): %v", i, camcol, band, err)
			}
			return at, nil
		}
		return nil, fmt.Errorf("%s: camcol %d, band %s has no row for field %d", path, camcol, band, field)
	}
	return nil, fmt.Errorf("%s: no HDU for camcol %d, band %s", path, camcol, band)
}

// readFrameAsTrans reads the one-row asTrans table of a frame's HDU3, which carries its own
// RUN, CAMCOL, FILTER, FIELD, NODE and INCL columns.
func readFrameAsTrans(f *fits.File) (*AsTrans, error) {
	t, err := f.Table(3)
	if err != nil {
		return nil, err
	}
	if t.Rows != 1 {
		return nil, fmt.Errorf("astrometry table HDU3 has %d rows, want 1", t.Rows)
	}
	at := &AsTrans{}
	ints := []struct {
		name string
		v    *int
	}{{"RUN", &at.Run}, {"CAMCOL", &at.Camcol}, {"FIELD", &at.Field}}
	for _, c := range ints {
		col, err := t.Column(c.name)
		if err != nil {
			return nil, err
		}
		v, err := col.Int64s()
		if err != nil {
			return nil, err
		}
		*c.v = int(v[0])
	}
	fc, err := t.Column("FILTER")
	if err != nil {
		return nil, err
	}
	band, err := fc.Strings()
	if err != nil {
		return nil, err
	}
	at.Band = strings.TrimSpace(band[0])
	if err := readFloats(t, 0, map[string]*float64{"NODE": &at.Node, "INCL": &at.Incl}); err != nil {
		return nil, err
	}
	if err := at.readRow(t, 0); err != nil {
		return nil, err
	}
	return at, nil
}

// readRow reads the transformation terms of table row r (column names are matched without
// regard to case: the asTrans file has dRow0, frames have DROW0).
func (at *AsTrans) readRow(t *fits.Table, r int) error {
	cols := map[string]*float64{
		"a": &at.A, "b": &at.B, "c": &at.C, "d": &at.D, "e": &at.E, "f": &at.F,
		"csRow": &at.CSRow, "csCol": &at.CSCol, "ccRow": &at.CCRow, "ccCol": &at.CCCol,
		"riCut": &at.RICut, "muErr": &at.MuErr, "nuErr": &at.NuErr,
	}
	for k := range 4 {
		cols[fmt.Sprintf("dRow%d", k)] = &at.DRow[k]
		cols[fmt.Sprintf("dCol%d", k)] = &at.DCol[k]
	}
	if err := readFloats(t, r, cols); err != nil {
		return err
	}
	if det := at.B*at.F - at.C*at.E; det == 0 {
		return errors.New("singular affine terms (b·f − c·e = 0)")
	}
	return nil
}

// readFloats sets each *v to row r of the scalar numeric column of that name, which must be
// finite.
func readFloats(t *fits.Table, r int, cols map[string]*float64) error {
	for name, v := range cols {
		c, err := t.Column(name)
		if err != nil {
			return err
		}
		if c.Repeat != 1 {
			return fmt.Errorf("column %s has %d values per row, want 1", name, c.Repeat)
		}
		vals, err := c.Float64s()
		if err != nil {
			return err
		}
		if math.IsNaN(vals[r]) || math.IsInf(vals[r], 0) {
			return fmt.Errorf("column %s is %g", name, vals[r])
		}
		*v = vals[r]
	}
	return nil
}

// PixelToSky returns the RA (in [0, 360)) and Dec in degrees of probcat frame pixel (x, y),
// at colour 0.
func (at *AsTrans) PixelToSky(x, y float64) (ra, dec float64) {
	row, col := y+0.5, x+0.5
	rowm := row + poly3(at.DRow, col)
	colm := col + poly3(at.DCol, col)
	mu := at.A + at.B*rowm + at.C*colm
	nu := at.D + at.E*rowm + at.F*colm
	return at.greatCircleToSky(mu, nu)
}

// SkyToPixel returns the probcat frame pixel (x, y) of RA, Dec in degrees, at colour 0: it
// inverts the affine terms exactly and the cubic in col by Newton's method.
func (at *AsTrans) SkyToPixel(ra, dec float64) (x, y float64, err error) {
	if math.IsNaN(ra) || math.IsInf(ra, 0) || math.IsNaN(dec) || math.IsInf(dec, 0) {
		return 0, 0, fmt.Errorf("asTrans: RA %g, Dec %g is not a position", ra, dec)
	}
	mu, nu := at.skyToGreatCircle(ra, dec)
	dmu := math.Mod(mu-at.A, 360) // a may lie outside 0…360 (data model)
	if dmu < -180 {
		dmu += 360
	} else if dmu >= 180 {
		dmu -= 360
	}
	dnu := nu - at.D
	det := at.B*at.F - at.C*at.E
	rowm := (at.F*dmu - at.C*dnu) / det
	colm := (-at.E*dmu + at.B*dnu) / det
	col := colm - at.DCol[0]
	for i := 0; ; i++ {
		fx := col + poly3(at.DCol, col) - colm
		d := 1 + at.DCol[1] + 2*at.DCol[2]*col + 3*at.DCol[3]*col*col
		step := fx / d
		col -= step
		if math.Abs(step) < 1e-11 {
			break
		}
		if i == 50 || math.IsNaN(step) {
			return 0, 0, fmt.Errorf("asTrans: RA %g, Dec %g: the distortion in col could not be inverted", ra, dec)
		}
	}
	row := rowm - poly3(at.DRow, col)
	return col - 0.5, row - 0.5, nil
}

// poly3 returns c[0] + c[1]·v + c[2]·v² + c[3]·v³.
func poly3(c [4]float64, v float64) float64 {
	return c[0] + v*(c[1]+v*(c[2]+v*c[3]))
}

// greatCircleToSky converts great-circle (mu, nu) to RA, Dec (degrees), as astrotools'
// atGCToEq does.
func (at *AsTrans) greatCircleToSky(mu, nu float64) (ra, dec float64) {
	smn, cmn := math.Sincos((mu - at.Node) * deg)
	snu, cnu := math.Sincos(nu * deg)
	si, ci := math.Sincos(at.Incl * deg)
	ra = at.Node + math.Atan2(smn*cnu*ci-snu*si, cmn*cnu)/deg
	dec = math.Asin(math.Max(-1, math.Min(1, smn*cnu*si+snu*ci))) / deg
	ra = math.Mod(ra, 360)
	if ra < 0 {
		ra += 360
	}
	return ra, dec
}

// skyToGreatCircle converts RA, Dec (degrees) to great-circle (mu, nu), mu in [0, 360).
func (at *AsTrans) skyToGreatCircle(ra, dec float64) (mu, nu float64) {
	srn, crn := math.Sincos((ra - at.Node) * deg)
	sd, cd := math.Sincos(dec * deg)
	si, ci := math.Sincos(at.Incl * deg)
	mu = at.Node + math.Atan2(srn*cd*ci+sd*si, crn*cd)/deg
	nu = math.Asin(math.Max(-1, math.Min(1, -srn*cd*si+sd*ci))) / deg
	mu = math.Mod(mu, 360)
	if mu < 0 {
		mu += 360
	}
	return mu, nu
}

// deg is one degree in radians.
const deg = math.Pi / 180
