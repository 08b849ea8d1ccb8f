// Package wcs implements the FITS gnomonic (TAN) world coordinate system with optional SIP
// distortion, as astropy's WCS.all_pix2world and all_world2pix compute it, in probcat's pixel
// convention: 0-based pixels with centres at integers, x = column (NAXIS1), y = row (astropy's
// origin=0). The header's CRPIX is 1-based, as FITS defines it.
//
// Pixel to sky: u = x + 1 − CRPIX1, v = y + 1 − CRPIX2; with SIP, u += A(u, v) and v += B(u, v);
// then (ξ, η) = CD·(u, v) in degrees and the TAN projection (Calabretta & Greisen 2002) with the
// reference point CRVAL at the native pole and LONPOLE (default 180°). Sky to pixel inverts the
// projection exactly and then the SIP polynomials by Newton iteration, started from the AP/BP
// inverse polynomials when the header has them, so that SkyToPixel(PixelToSky(x, y)) returns
// (x, y) to ~1e−10 px whether or not AP/BP are present (AP/BP alone are only approximations).
package wcs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Header is what FromHeader needs from a FITS header; fits.Header satisfies it. Float must return
// an error for a missing key.
type Header interface {
	Has(key string) bool
	Float(key string) (float64, error)
	String(key string) (string, error)
}

// CardSetter receives header cards; fits.Header satisfies it.
type CardSetter interface {
	Set(key string, value any, comment string)
}

// Poly is a SIP polynomial: Coef[p][q] multiplies u^p v^q, for p+q ≤ Order.
type Poly struct {
	Order int
	Coef  [][]float64
}

// Eval returns Σ Coef[p][q] u^p v^q.
func (s *Poly) Eval(u, v float64) float64 {
	var sum float64
	up := 1.0
	for p := 0; p <= s.Order; p++ {
		vq := 1.0
		for q := 0; q <= s.Order-p; q++ {
			sum += s.Coef[p][q] * up * vq
			vq *= v
		}
		up *= u
	}
	return sum
}

// grad returns the partial derivatives of the polynomial with respect to u and v.
func (s *Poly) grad(u, v float64) (du, dv float64) {
	for p := 0; p <= s.Order; p++ {
		for q := 0; q <= s.Order-p; q++ {
			c := s.Coef[p][q]
			if c == 0 {
				continue
			}
			if p > 0 {
				du += c * float64(p) * math.Pow(u, float64(p-1)) * math.Pow(v, float64(q))
			}
			if q > 0 {
				dv += c * float64(q) * math.Pow(u, float64(p)) * math.Pow(v, float64(q-1))
			}
		}
	}
	return du, dv
}

// WCS is a TAN (gnomonic) projection with optional SIP distortion.
type WCS struct {
	// CRPix is the reference pixel in probcat's 0-based convention (the header's CRPIX − 1).
	CRPix [2]float64
	// CRVal is the sky position (RA, Dec in degrees) of the reference pixel.
	CRVal [2]float64
	// CD maps (u, v) pixel offsets (after SIP) to intermediate coordinates (ξ, η) in degrees,
	// for the longitude axis first.
	CD [2][2]float64
	// LonPole is the native longitude of the celestial pole (LONPOLE) in degrees.
	LonPole float64
	// A, B (forward) and AP, BP (inverse) SIP polynomials; nil when absent.
	A, B, AP, BP *Poly
	// LatFirst is true when the header's first axis is declination (CTYPE1 = 'DEC--TAN'); pixel
	// x then maps to the second intermediate coordinate.
	LatFirst bool
}

// FromHeader builds the WCS from FITS header cards: CTYPEi (RA---TAN / DEC--TAN, with -SIP for
// distortion; SIP cards without the suffix are applied too, as astropy does), CRPIXi, CRVALi, and CDi_j, or PCi_j with CDELTi, or CDELTi with CROTA2; LONPOLE;
// A_ORDER/A_p_q, B_ORDER/B_p_q and optional AP_ORDER/AP_p_q, BP_ORDER/BP_p_q.
func FromHeader(h Header) (*WCS, error) {
	var w WCS
	c1, err1 := h.String("CTYPE1")
	c2, err2 := h.String("CTYPE2")
	if err1 != nil || err2 != nil {
		return nil, errors.New("wcs: no CTYPE1/CTYPE2 cards (the header has no celestial WCS)")
	}
	c1, c2 = strings.ToUpper(strings.TrimSpace(c1)), strings.ToUpper(strings.TrimSpace(c2))
	// Like astropy, apply SIP polynomials when present even if CTYPE lacks the -SIP suffix.
	sip := strings.HasSuffix(c1, "-SIP") && strings.HasSuffix(c2, "-SIP") || h.Has("A_ORDER") && h.Has("B_ORDER")
	base1, base2 := strings.TrimSuffix(c1, "-SIP"), strings.TrimSuffix(c2, "-SIP")
	switch {
	case base1 == "RA---TAN" && base2 == "DEC--TAN":
	case base1 == "DEC--TAN" && base2 == "RA---TAN":
		w.LatFirst = true
	default:
		return nil, fmt.Errorf("wcs: unsupported projection CTYPE1=%q CTYPE2=%q (only RA---TAN/DEC--TAN, optionally -SIP)", c1, c2)
	}
	get := func(key string, def float64) (float64, error) {
		if !h.Has(key) {
			return def, nil
		}
		v, err := h.Float(key)
		if err != nil {
			return 0, fmt.Errorf("wcs: %v", err)
		}
		return v, nil
	}
	var crpix, crval [2]float64
	for i := range 2 {
		n := strconv.Itoa(i + 1)
		var err error
		if crpix[i], err = get("CRPIX"+n, 0); err != nil {
			return nil, err
		}
		if !h.Has("CRVAL" + n) {
			return nil, fmt.Errorf("wcs: no CRVAL%s card", n)
		}
		if crval[i], err = get("CRVAL"+n, 0); err != nil {
			return nil, err
		}
	}
	// Linear part, in header axis order; precedence as in wcslib: PC, then CD, then CDELT/CROTA.
	var m [2][2]float64
	hasAny := func(prefix string) bool {
		for i := 1; i <= 2; i++ {
			for j := 1; j <= 2; j++ {
				if h.Has(fmt.Sprintf("%s%d_%d", prefix, i, j)) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case hasAny("PC"):
		for i := range 2 {
			cdelt, err := get(fmt.Sprintf("CDELT%d", i+1), 1)
			if err != nil {
				return nil, err
			}
			for j := range 2 {
				def := 0.0
				if i == j {
					def = 1
				}
				pc, err := get(fmt.Sprintf("PC%d_%d", i+1, j+1), def)
				if err != nil {
					return nil, err
				}
				m[i][j] = cdelt * pc
			}
		}
	case hasAny("CD"):
		for i := range 2 {
			for j := range 2 {
				var err error
				if m[i][j], err = get(fmt.Sprintf("CD%d_%d", i+1, j+1), 0); err != nil {
					return nil, err
				}
			}
		}
	default:
		d1, err := get("CDELT1", 1)
		if err != nil {
			return nil, err
		}
		d2, err := get("CDELT2", 1)
		if err != nil {
			return nil, err
		}
		rho, err := get("CROTA2", 0)
		if err != nil {
			return nil, err
		}
		s, c := sincosd(rho)
		m = [2][2]float64{{d1 * c, -d2 * s}, {d1 * s, d2 * c}}
	}
	// Store with the longitude axis first.
	if w.LatFirst {
		crval[0], crval[1] = crval[1], crval[0]
		m[0], m[1] = m[1], m[0]
	}
	w.CRPix = [2]float64{crpix[0] - 1, crpix[1] - 1}
	w.CRVal = crval
	w.CD = m
	def := 180.0
	if w.CRVal[1] >= 90 {
		def = 0
	}
	var err error
	if w.LonPole, err = get("LONPOLE", def); err != nil {
		return nil, err
	}
	if sip {
		for _, name := range []string{"A", "B", "AP", "BP"} {
			p, err := readPoly(h, name)
			if err != nil {
				return nil, err
			}
			switch name {
			case "A":
				w.A = p
			case "B":
				w.B = p
			case "AP":
				w.AP = p
			case "BP":
				w.BP = p
			}
		}
		if w.A == nil || w.B == nil {
			return nil, errors.New("wcs: CTYPE says -SIP but A_ORDER or B_ORDER is missing")
		}
		if (w.AP == nil) != (w.BP == nil) {
			w.AP, w.BP = nil, nil // half an inverse is no use; Newton's method starts from (U, V)
		}
	}
	if err := w.validate(); err != nil {
		return nil, err
	}
	return &w, nil
}

func readPoly(h Header, name string) (*Poly, error) {
	key := name + "_ORDER"
	if !h.Has(key) {
		return nil, nil
	}
	o, err := h.Float(key)
	if err != nil {
		return nil, fmt.Errorf("wcs: %v", err)
	}
	if o != math.Trunc(o) || o < 0 || o > 9 {
		return nil, fmt.Errorf("wcs: %s = %v is not an order from 0 to 9", key, o)
	}
	p := &Poly{Order: int(o), Coef: make([][]float64, int(o)+1)}
	for i := range p.Coef {
		p.Coef[i] = make([]float64, int(o)+1-i)
		for j := range p.Coef[i] {
			k := fmt.Sprintf("%s_%d_%d", name, i, j)
			if h.Has(k) {
				if p.Coef[i][j], err = h.Float(k); err != nil {
					return nil, fmt.Errorf("wcs: %v", err)
				}
			}
		}
	}
	return p, nil
}

func (w *WCS) validate() error {
	if det := w.det(); det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return errors.New("wcs: singular CD (or PC×CDELT) matrix")
	}
	if math.Abs(w.CRVal[1]) > 90 {
		return fmt.Errorf("wcs: reference declination %v outside ±90°", w.CRVal[1])
	}
	return nil
}

func (w *WCS) det() float64 { return w.CD[0][0]*w.CD[1][1] - w.CD[0][1]*w.CD[1][0] }

const deg = math.Pi / 180

func sincosd(x float64) (s, c float64) {
	// Exact values at multiples of 90°, as wcslib's sincosd gives.
	if r := math.Mod(x, 90); r == 0 {
		switch int(math.Mod(math.Mod(x, 360)+360, 360)) / 90 {
		case 0:
			return 0, 1
		case 1:
			return 1, 0
		case 2:
			return 0, -1
		default:
			return -1, 0
		}
	}
	return math.Sincos(x * deg)
}

// PixelToSky returns the RA and Dec (degrees, RA in [0, 360)) of 0-based pixel (x, y).
func (w *WCS) PixelToSky(x, y float64) (ra, dec float64) {
	u, v := x-w.CRPix[0], y-w.CRPix[1]
	if w.A != nil {
		u, v = u+w.A.Eval(u, v), v+w.B.Eval(u, v)
	}
	xi := w.CD[0][0]*u + w.CD[0][1]*v
	eta := w.CD[1][0]*u + w.CD[1][1]*v
	// TAN: native spherical coordinates (phi, theta) of the intermediate point.
	r := math.Hypot(xi, eta)
	phi := 0.0
	if r != 0 {
		phi = math.Atan2(xi, -eta) / deg
	}
	theta := math.Atan2(180/math.Pi, r) / deg
	return w.nativeToCelestial(phi, theta)
}

func (w *WCS) nativeToCelestial(phi, theta float64) (ra, dec float64) {
	sth, cth := sincosd(theta)
	sdp, cdp := sincosd(w.CRVal[1])
	sdphi, cdphi := sincosd(phi - w.LonPole)
	x := sth*cdp - cth*sdp*cdphi
	y := -cth * sdphi
	z := sth*sdp + cth*cdp*cdphi
	ra = w.CRVal[0] + math.Atan2(y, x)/deg
	dec = math.Asin(math.Max(-1, math.Min(1, z))) / deg
	if math.Abs(z) > 0.99 { // asin loses precision near the poles
		dec = math.Copysign(math.Acos(math.Min(1, math.Hypot(x, y)))/deg, z)
	}
	ra = math.Mod(ra, 360)
	if ra < 0 {
		ra += 360
	}
	return ra, dec
}

// ErrFarSide is returned by SkyToPixel for positions 90° or more from the reference point, which
// the gnomonic projection cannot represent.
var ErrFarSide = errors.New("wcs: position is on the far side of the sky from the reference point")

// SkyToPixel returns the 0-based pixel (x, y) of RA and Dec in degrees.
func (w *WCS) SkyToPixel(ra, dec float64) (x, y float64, err error) {
	sd, cd := sincosd(dec)
	sdp, cdp := sincosd(w.CRVal[1])
	sda, cda := sincosd(ra - w.CRVal[0])
	// Celestial to native (phi, theta), Calabretta & Greisen eq. 5.
	px := sd*cdp - cd*sdp*cda
	py := -cd * sda
	sth := sd*sdp + cd*cdp*cda
	if sth <= 1e-10 {
		return 0, 0, ErrFarSide
	}
	phi := w.LonPole + math.Atan2(py, px)/deg
	cth := math.Hypot(px, py)
	rTheta := 180 / math.Pi * cth / sth // R = (180/π) cot θ
	sphi, cphi := sincosd(phi)
	xi, eta := rTheta*sphi, -rTheta*cphi
	det := w.det()
	u := (w.CD[1][1]*xi - w.CD[0][1]*eta) / det
	v := (-w.CD[1][0]*xi + w.CD[0][0]*eta) / det
	if w.A != nil {
		if u, v, err = w.invertSIP(u, v); err != nil {
			return 0, 0, err
		}
	}
	return u + w.CRPix[0], v + w.CRPix[1], nil
}

// invertSIP solves (u + A(u, v), v + B(u, v)) = (U, V) for (u, v) by Newton's method.
func (w *WCS) invertSIP(U, V float64) (float64, float64, error) {
	u, v := U, V
	if w.AP != nil {
		u, v = U+w.AP.Eval(U, V), V+w.BP.Eval(U, V)
	}
	for range 50 {
		fu := u + w.A.Eval(u, v) - U
		fv := v + w.B.Eval(u, v) - V
		if math.Abs(fu) < 1e-12 && math.Abs(fv) < 1e-12 {
			return u, v, nil
		}
		au, av := w.A.grad(u, v)
		bu, bv := w.B.grad(u, v)
		j00, j01, j10, j11 := 1+au, av, bu, 1+bv
		det := j00*j11 - j01*j10
		if det == 0 || math.IsNaN(det) {
			break
		}
		du := (j11*fu - j01*fv) / det
		dv := (-j10*fu + j00*fv) / det
		u, v = u-du, v-dv
		if math.Abs(du) < 1e-12*math.Max(1, math.Abs(u)) && math.Abs(dv) < 1e-12*math.Max(1, math.Abs(v)) {
			return u, v, nil
		}
	}
	return 0, 0, errors.New("wcs: SIP distortion could not be inverted at this position (too far outside the fitted region)")
}

// Shift returns the WCS of a cutout whose pixel (0, 0) is pixel (dx, dy) of w's image: the
// reference pixel moves by (−dx, −dy), the SIP polynomials (functions of offsets from it) stay.
func (w *WCS) Shift(dx, dy float64) *WCS {
	out := *w
	out.CRPix = [2]float64{w.CRPix[0] - dx, w.CRPix[1] - dy}
	return &out
}

// SetCards writes the WCS as header cards (CTYPE, CUNIT, CRPIX (1-based), CRVAL, CD, LONPOLE and
// the SIP polynomials), so that FromHeader, astropy and ds9 read the same WCS back.
func (w *WCS) SetCards(h CardSetter) {
	ctype := [2]string{"RA---TAN", "DEC--TAN"}
	crval := w.CRVal
	cd := w.CD
	if w.LatFirst {
		ctype[0], ctype[1] = ctype[1], ctype[0]
		crval[0], crval[1] = crval[1], crval[0]
		cd[0], cd[1] = cd[1], cd[0]
	}
	if w.A != nil {
		ctype[0] += "-SIP"
		ctype[1] += "-SIP"
	}
	for i := range 2 {
		n := strconv.Itoa(i + 1)
		h.Set("CTYPE"+n, ctype[i], "gnomonic projection")
		h.Set("CUNIT"+n, "deg", "")
		h.Set("CRPIX"+n, w.CRPix[i]+1, "reference pixel (1-based)")
		h.Set("CRVAL"+n, crval[i], "sky position of the reference pixel (deg)")
	}
	for i := range 2 {
		for j := range 2 {
			h.Set(fmt.Sprintf("CD%d_%d", i+1, j+1), cd[i][j], "")
		}
	}
	h.Set("LONPOLE", w.LonPole, "native longitude of the celestial pole (deg)")
	for _, p := range []struct {
		name string
		poly *Poly
	}{{"A", w.A}, {"B", w.B}, {"AP", w.AP}, {"BP", w.BP}} {
		if p.poly == nil {
			continue
		}
		h.Set(p.name+"_ORDER", p.poly.Order, "SIP polynomial order")
		for i := range p.poly.Coef {
			for j, c := range p.poly.Coef[i] {
				if c != 0 {
					h.Set(fmt.Sprintf("%s_%d_%d", p.name, i, j), c, "")
				}
			}
		}
	}
}
