// Package hst reads Hubble Space Telescope images as the archive delivers them: calibrated
// exposures (_flt, _flc, NICMOS _cal) and drizzled images (_drz, _drc), multi-extension FITS
// files whose science array is the extension named SCI, with its noise in ERR (σ) or WHT
// (inverse variance) and its data-quality flags in DQ.
//
// What Read does with them:
//
//   - Units. BUNIT says what SCI holds: COUNTS (DN) or ELECTRONS, per second when it ends in
//     /S (or is CPS). Rates are turned into counts over the exposure by multiplying by
//     EXPTIME (Options.ExpTime when the header lacks it), so that fluxes in probcat's
//     catalogues are counts (DN or electrons) over EXPTIME, and Poisson noise can be added to
//     them. ERR is scaled by EXPTIME, WHT by 1/EXPTIME². Without BUNIT the data are taken as
//     counts, as found.
//   - Gain (electrons per count): 1 for electrons; for DN, ATODGAIN, else ADCGAIN (NICMOS),
//     else CCDGAIN (the commanded gain); else unknown (0: the caller must supply one).
//   - Noise. The image gets a variance map (model.NoiseFromMap) holding the variance per
//     unit area, which is what a flux or position summed over a PSF's many pixels sees.
//     From WHT (drizzlepac's final_wht_type=IVM: inverse variance of SCI): 1/WHT, which is
//     that already (drizzle's weights add like inverse variances of the input pixels, and the
//     pixel-to-pixel scatter of a drizzled image is smaller than 1/√WHT by the correlation
//     factor R below). From ERR (σ per pixel): ERR², times R² for a drizzled image, so that
//     the per-pixel σ of correlated pixels becomes the per-area σ. ERR wins over WHT when a
//     file has both. WHT maps of effective exposure time (final_wht_type=EXP, the archive's
//     default for ACS and WFC3) are not inverse variances: read them with Options.IgnoreWHT
//     and give the noise as gain and read noise instead.
//   - Drizzle correlation (Fruchter & Hook 2002, PASP 114, 144, §7, after Casertano et al.
//     2000): with r = pixfrac/scale (scale = output over input pixel size), the noise of a
//     large area exceeds the single-pixel r.m.s. times √area by R = 1/(1 − r/3) for r ≤ 1 and
//     R = r/(1 − 1/(3r)) for r ≥ 1. pixfrac is D001PIXF, scale D001SCAL/D001ISCL; when a
//     drizzled header lacks them, drizzlepac's defaults (pixfrac 1, scale 1: R = 1.5) are
//     assumed; Options.DrizzleR overrides. Undrizzled files have R = 1.
//   - Masks. A pixel is masked when its DQ has a flag outside Options.BenignDQ (the default
//     for NICMOS is 1024 "source" and 2048 "zero-read signal", flags of valid pixels; for
//     other instruments every flag masks), when it reaches SATURATE (in BUNIT's units) where
//     the header has one, when SCI is not finite, or when its ERR or WHT gives no positive
//     finite variance (drizzle's fill value sits where WHT is 0).
//   - Magnitudes. PHOTFLAM (erg cm⁻² s⁻¹ Å⁻¹ per count/s), PHOTPLAM (pivot wavelength, Å) and
//     PHOTZPT (ST zero point, −21.10 when absent) give, for fluxes in counts over EXPTIME,
//     ZP_ST = −2.5 log10(PHOTFLAM) + PHOTZPT + 2.5 log10(EXPTIME) and
//     ZP_AB = −2.5 log10(PHOTFLAM) − 5 log10(PHOTPLAM) + 2.5 log10(c) − 48.60 + 2.5 log10(EXPTIME),
//     c in Å/s. The image's zero point (the catalogues' mag) is AB unless Options.MagSystem
//     says ST; Vega magnitudes need tables the header does not carry.
//   - WCS from the SCI header; LTV1/LTV2 place a cutout in its parent frame as in
//     survey.ReadFITS.
//
// Keywords are looked up in the SCI header first, then in the primary header, where the
// archive puts EXPTIME, the gains and, for older instruments, the photometry.
package hst

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/survey"
)

// Options tells Read what a header lacks or what to do otherwise. NaN fields mean "from the
// header".
type Options struct {
	// ExpTime is the exposure time in seconds, replacing EXPTIME.
	ExpTime float64
	// DrizzleR is the noise-correlation factor R applied to an ERR map of a drizzled image.
	DrizzleR float64
	// BenignDQ are the DQ bits that do not mask a pixel; negative means the instrument's
	// default (see the package doc).
	BenignDQ int
	// IgnoreWHT leaves a WHT extension unused (for exposure-time weight maps).
	IgnoreWHT bool
	// MagSystem is "ab" (the default when empty) or "st": which zero point the image gets.
	MagSystem string
	// Chip is the EXTVER of the SCI extension to read, with its ERR, WHT and DQ (ACS/WFC and
	// WFC3/UVIS exposures hold two chips); 0 means the first SCI extension's.
	Chip int
}

// DefaultOptions takes everything from the header.
func DefaultOptions() Options {
	return Options{ExpTime: math.NaN(), DrizzleR: math.NaN(), BenignDQ: -1}
}

// Info records what Read found and decided, for run.json and for the user.
type Info struct {
	File       string  `json:"file"`                 // the file read
	Chip       int     `json:"chip"`                 // EXTVER of the SCI, ERR, WHT and DQ read
	Instrument string  `json:"instrument,omitempty"` // INSTRUME
	Filter     string  `json:"filter,omitempty"`     // FILTER
	BUnit      string  `json:"bunit"`                // BUNIT as found ("" when absent: counts)
	Electrons  bool    `json:"electrons"`            // counts are electrons (else DN)
	Rate       bool    `json:"rate"`                 // SCI was per second and was multiplied by ExpTime
	ExpTime    float64 `json:"exptime"`              // seconds; NaN when unknown
	Gain       float64 `json:"gain"`                 // electrons per count; 0 when unknown
	GainFrom   string  `json:"gain_from"`            // the keyword, "electrons" or ""
	NoiseFrom  string  `json:"noise_from"`           // "ERR", "WHT" or "" (no map)
	Drizzled   bool    `json:"drizzled"`             // the file is a drizzle product
	Pixfrac    float64 `json:"pixfrac"`              // NaN when not drizzled
	Scale      float64 `json:"scale"`                // output/input pixel size; NaN when not drizzled
	DrizzleR   float64 `json:"drizzle_r"`            // R applied to ERR (1 when not drizzled)
	BenignDQ   int     `json:"benign_dq"`            // DQ bits left unmasked
	MaskedDQ   int     `json:"masked_dq"`            // pixels masked by DQ
	MaskedSat  int     `json:"masked_sat"`           // pixels masked at SATURATE
	MaskedBad  int     `json:"masked_noise"`         // pixels masked for a non-finite value or no variance
	PhotFlam   float64 `json:"photflam"`             // NaN when absent
	PhotPlam   float64 `json:"photplam"`             // NaN when absent
	PhotZpt    float64 `json:"photzpt"`              // −21.10 when absent
	ZPST       float64 `json:"zp_st"`                // mag_ST = ZPST − 2.5 log10(counts); NaN when unknown
	ZPAB       float64 `json:"zp_ab"`                // mag_AB = ZPAB − 2.5 log10(counts); NaN when unknown
	MagSystem  string  `json:"mag_system"`           // "AB" or "ST": the image's zero point
}

// IsHST reports whether f looks like an HST product: an HDU named SCI, or a primary header
// saying TELESCOP = 'HST' (which FromFile then refuses if it has no SCI extension).
func IsHST(f *fits.File) bool {
	if _, err := f.Index("SCI"); err == nil {
		return true
	}
	h, err := f.Header(0)
	if err != nil {
		return false
	}
	t, _ := h.String("TELESCOP")
	return strings.EqualFold(strings.TrimSpace(t), "HST")
}

// speedOfLight in Å/s, for AB magnitudes.
const speedOfLight = 2.99792458e18

// lookup finds keywords in the SCI header, then the primary header.
type lookup struct{ sci, prim *fits.Header }

func (l lookup) has(key string) bool { return l.sci.Has(key) || l.prim.Has(key) }

func (l lookup) h(key string) *fits.Header {
	if l.sci.Has(key) {
		return l.sci
	}
	return l.prim
}

// float returns a numeric card, NaN when absent, an error when malformed.
func (l lookup) float(key string) (float64, error) {
	v, err := l.h(key).Float(key)
	if errors.Is(err, fits.ErrNoKey) {
		return math.NaN(), nil
	}
	return v, err
}

func (l lookup) str(key string) string {
	s, _ := l.h(key).String(key)
	return strings.TrimSpace(s)
}

// Read reads the HST file at path into a model.Image in counts, as the package doc says.
// Errors name the file.
func Read(path string, opt Options) (*model.Image, *Info, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return FromFile(f, opt)
}

// Extension returns the number of the HDU named name (case-insensitive) with EXTVER ver
// (an HDU without EXTVER has version 1); ver 0 takes the first of that name. ok is false when
// there is none.
func Extension(f *fits.File, name string, ver int) (i int, ok bool) {
	for i := 0; i < f.NumHDU(); i++ {
		h, err := f.Header(i)
		if err != nil {
			continue
		}
		if n, err := h.String("EXTNAME"); err != nil || !strings.EqualFold(strings.TrimSpace(n), name) {
			continue
		}
		v := int64(1)
		if h.Has("EXTVER") {
			if v, err = h.Int("EXTVER"); err != nil {
				continue
			}
		}
		if ver == 0 || v == int64(ver) {
			return i, true
		}
	}
	return 0, false
}

// FromFile is Read for a file already open.
func FromFile(f *fits.File, opt Options) (*model.Image, *Info, error) {
	path := f.Path
	fail := func(format string, a ...any) (*model.Image, *Info, error) {
		return nil, nil, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	si, ok := Extension(f, "SCI", opt.Chip)
	if !ok && opt.Chip != 0 {
		return fail("no SCI extension with EXTVER %d (the chip asked for)", opt.Chip)
	}
	if !ok {
		return fail("no SCI extension (an HST file keeps its science array in the extension named SCI)")
	}
	chip := 1
	if h, _ := f.Header(si); h != nil && h.Has("EXTVER") {
		v, err := h.Int("EXTVER")
		if err != nil {
			return nil, nil, err
		}
		chip = int(v)
	}
	sci, err := f.Image(si)
	if err != nil {
		return nil, nil, err
	}
	prim, err := f.Header(0)
	if err != nil {
		return nil, nil, err
	}
	kw := lookup{sci: sci.Header, prim: prim}
	n := sci.Width * sci.Height
	info := &Info{File: path, Chip: chip, Instrument: kw.str("INSTRUME"), Filter: kw.str("FILTER"), BUnit: kw.str("BUNIT"),
		ExpTime: math.NaN(), Pixfrac: math.NaN(), Scale: math.NaN(), DrizzleR: 1, ZPST: math.NaN(), ZPAB: math.NaN()}

	// Units.
	unit := strings.ToUpper(strings.ReplaceAll(info.BUnit, " ", ""))
	info.Rate = strings.HasSuffix(unit, "/S") || strings.HasSuffix(unit, "/SEC") || unit == "CPS"
	info.Electrons = strings.HasPrefix(unit, "ELECTRON") || strings.HasPrefix(unit, "E-") || strings.HasPrefix(unit, "E/")
	if info.ExpTime, err = kw.float("EXPTIME"); err != nil {
		return nil, nil, err
	}
	if !math.IsNaN(opt.ExpTime) {
		info.ExpTime = opt.ExpTime
	}
	if !math.IsNaN(info.ExpTime) && !(info.ExpTime > 0 && !math.IsInf(info.ExpTime, 0)) {
		return fail("EXPTIME = %g: the exposure time must be positive (give --exptime)", info.ExpTime)
	}
	if info.Rate && math.IsNaN(info.ExpTime) {
		return fail("SCI is in %s but the header has no EXPTIME; give --exptime", info.BUnit)
	}
	scale := 1.0
	if info.Rate {
		scale = info.ExpTime
	}

	// Gain.
	if info.Electrons {
		info.Gain, info.GainFrom = 1, "electrons"
	} else {
		for _, k := range []string{"ATODGAIN", "ADCGAIN", "CCDGAIN"} {
			g, err := kw.float(k)
			if err != nil {
				return nil, nil, err
			}
			if g > 0 {
				info.Gain, info.GainFrom = g, k
				break
			}
		}
	}

	im := model.NewImage(sci.Width, sci.Height)
	im.Gain = info.Gain
	im.Pix = sci.Pix
	mask := make([]bool, n)

	// Saturation, in BUNIT's units, before scaling.
	if kw.has("SATURATE") {
		sat, err := kw.float("SATURATE")
		if err != nil {
			return nil, nil, err
		}
		if sat > 0 {
			for i, v := range im.Pix {
				if float64(v) >= sat {
					mask[i] = true
					info.MaskedSat++
				}
			}
		}
	}
	if scale != 1 {
		for i, v := range im.Pix {
			im.Pix[i] = float32(float64(v) * scale)
		}
	}

	// Drizzle.
	info.Drizzled = kw.has("D001PIXF") || kw.has("NDRIZIM")
	if info.Drizzled {
		info.Pixfrac, info.Scale = 1, 1
		if p, err := kw.float("D001PIXF"); err != nil {
			return nil, nil, err
		} else if p > 0 {
			info.Pixfrac = p
		}
		out, err := kw.float("D001SCAL")
		if err != nil {
			return nil, nil, err
		}
		in, err := kw.float("D001ISCL")
		if err != nil {
			return nil, nil, err
		}
		if out > 0 && in > 0 {
			info.Scale = out / in
		}
		info.DrizzleR = CorrelationR(info.Pixfrac, info.Scale)
	}
	if !math.IsNaN(opt.DrizzleR) {
		if !(opt.DrizzleR >= 1) || math.IsInf(opt.DrizzleR, 0) {
			return fail("drizzle correlation factor R = %g: it must be at least 1", opt.DrizzleR)
		}
		info.DrizzleR = opt.DrizzleR
	}

	// Noise map.
	ext := func(name string) (*fits.Image, error) {
		i, ok := Extension(f, name, chip)
		if !ok {
			return nil, nil
		}
		if k, _ := f.Kind(i); k != fits.KindImage {
			return nil, fmt.Errorf("%s: the %s extension is not an image", path, name)
		}
		if h, _ := f.Header(i); h != nil {
			if na, err := h.Int("NAXIS"); err == nil && na == 0 {
				return nil, nil // an empty placeholder, as the archive writes for unused planes
			}
		}
		e, err := f.Image(i)
		if err != nil {
			return nil, err
		}
		if e.Width != sci.Width || e.Height != sci.Height {
			return nil, fmt.Errorf("%s: the %s extension is %d×%d but SCI is %d×%d", path, name, e.Width, e.Height, sci.Width, sci.Height)
		}
		return e, nil
	}
	errIm, err := ext("ERR")
	if err != nil {
		return nil, nil, err
	}
	var whtIm *fits.Image
	if !opt.IgnoreWHT {
		if whtIm, err = ext("WHT"); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case errIm != nil:
		info.NoiseFrom = "ERR"
		k := scale * scale * info.DrizzleR * info.DrizzleR
		im.VarMap = make([]float32, n)
		for i, e := range errIm.Pix {
			im.VarMap[i] = float32(float64(e) * float64(e) * k)
		}
	case whtIm != nil:
		info.NoiseFrom = "WHT"
		im.VarMap = make([]float32, n)
		for i, w := range whtIm.Pix {
			im.VarMap[i] = float32(scale * scale / float64(w))
		}
	}
	// Data quality.
	dq, err := ext("DQ")
	if err != nil {
		return nil, nil, err
	}
	info.BenignDQ = opt.BenignDQ
	if info.BenignDQ < 0 {
		info.BenignDQ = 0
		if strings.EqualFold(info.Instrument, "NICMOS") {
			info.BenignDQ = 1024 | 2048
		}
	}
	if dq != nil {
		for i, v := range dq.Pix {
			if int64(v)&^int64(info.BenignDQ) != 0 && !mask[i] {
				mask[i] = true
				info.MaskedDQ++
			}
		}
	}
	if im.VarMap != nil {
		im.Noise = model.NoiseFromMap
		for i, v := range im.VarMap {
			if !(v > 0) || math.IsInf(float64(v), 0) {
				if !mask[i] {
					info.MaskedBad++
				}
				mask[i] = true
			}
		}
	}
	for i, v := range im.Pix {
		if (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) && !mask[i] {
			mask[i] = true
			info.MaskedBad++
		}
	}
	if info.MaskedDQ+info.MaskedSat+info.MaskedBad > 0 {
		im.Mask = mask
	}

	// Photometry.
	if info.PhotFlam, err = kw.float("PHOTFLAM"); err != nil {
		return nil, nil, err
	}
	if info.PhotPlam, err = kw.float("PHOTPLAM"); err != nil {
		return nil, nil, err
	}
	if info.PhotZpt, err = kw.float("PHOTZPT"); err != nil {
		return nil, nil, err
	}
	if math.IsNaN(info.PhotZpt) {
		info.PhotZpt = -21.10
	}
	if info.PhotFlam > 0 && info.ExpTime > 0 {
		t := 2.5 * math.Log10(info.ExpTime)
		info.ZPST = -2.5*math.Log10(info.PhotFlam) + info.PhotZpt + t
		if info.PhotPlam > 0 {
			info.ZPAB = -2.5*math.Log10(info.PhotFlam) - 5*math.Log10(info.PhotPlam) + 2.5*math.Log10(speedOfLight) - 48.60 + t
		}
	}
	switch strings.ToLower(opt.MagSystem) {
	case "", "ab":
		info.MagSystem = "AB"
		if !math.IsNaN(info.ZPAB) {
			im.ZeroPoint, im.HasZeroPoint = info.ZPAB, true
		}
	case "st":
		info.MagSystem = "ST"
		if !math.IsNaN(info.ZPST) {
			im.ZeroPoint, im.HasZeroPoint = info.ZPST, true
		}
	default:
		return fail("unknown magnitude system %q (want ab or st)", opt.MagSystem)
	}

	// Position in the parent frame and WCS.
	if err := survey.PlaceInParent(im, sci.Header); err != nil {
		return fail("%v", err)
	}
	return im, info, nil
}

// CorrelationR is Fruchter & Hook's (2002) ratio of the noise of a large area of a drizzled
// image to its single-pixel r.m.s. times √area, for drop size pixfrac and output/input pixel
// scale: with r = pixfrac/scale, 1/(1 − r/3) for r ≤ 1, r/(1 − 1/(3r)) above.
func CorrelationR(pixfrac, scale float64) float64 {
	r := pixfrac / scale
	if r <= 1 {
		return 1 / (1 - r/3)
	}
	return r / (1 - 1/(3*r))
}

// MarshalJSON writes the fields under their json tags, with null for the numbers that are
// unknown (NaN), which encoding/json refuses.
func (in Info) MarshalJSON() ([]byte, error) {
	v := reflect.ValueOf(in)
	t := v.Type()
	m := make(map[string]any, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		x := v.Field(i).Interface()
		if s, ok := x.(string); ok && s == "" && opts == "omitempty" {
			continue
		}
		if f, ok := x.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			x = nil
		}
		m[name] = x
	}
	return json.Marshal(m)
}
