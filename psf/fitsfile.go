package psf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/probcat/probcat/fits"
)

// AutoHDU asks ReadFITS to choose the HDU: the oversampled PSF written by WriteFITS when
// there is one, else the first image HDU that holds data.
const AutoHDU = -1

// ReadFITS reads a PSF image from HDU hdu (0 is the primary HDU, or AutoHDU) of a FITS file,
// plain or compressed with gzip or bzip2, and builds the PSF with FromImage. The image's
// OVERSAMP card, when present, gives its oversampling unless opt.Factor is set.
//
// TinyTim's HST PSFs (headers with PIXSCALE, SPECTRUM and FOCUS) are made into effective
// PSFs first: a subsampled one (opt.Factor > 1; TinyTim's header does not say, but its
// PIXSCALE is the detector's divided by the factor) samples the light of sub-pixels, so each
// sample is summed over the native pixel centred on it; and the charge-diffusion kernel that
// TinyTim leaves out and prints in its COMMENT cards (ACS/WFC, WFC3/UVIS) is applied, on
// native pixels. An HDU
// written by WriteFITS (cards OVERSAMP and PSFSIZE, side PSFSIZE·OVERSAMP) is in the layout
// of PSF.Fine and is taken as it is, unless opt asks for another size or centre, so that
// ReadFITS gives back the written PSF. Errors name the file and the problem.
func ReadFITS(path string, hdu int, opt ImageOptions) (*PSF, error) {
	p, err := readFITS(path, hdu, opt)
	if err != nil {
		if strings.Contains(err.Error(), path) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func readFITS(path string, hdu int, opt ImageOptions) (*PSF, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, err
	}
	if hdu == AutoHDU {
		if hdu, err = chooseHDU(f); err != nil {
			return nil, err
		}
	}
	if hdu < 0 || hdu >= f.NumHDU() {
		return nil, fmt.Errorf("no HDU %d (the file has %d)", hdu, f.NumHDU())
	}
	im, err := f.Image(hdu)
	if err != nil {
		return nil, err
	}
	img := make([]float64, len(im.Pix))
	for i, v := range im.Pix {
		img[i] = float64(v)
	}
	factor := 1
	if im.Header.Has("OVERSAMP") {
		v, err := im.Header.Int("OVERSAMP")
		if err != nil || v < 1 || v > 1000 {
			return nil, fmt.Errorf("HDU %d: OVERSAMP must be a positive integer", hdu)
		}
		factor = int(v)
	}
	if opt.Factor == 0 {
		opt.Factor = factor
	}
	if isTinyTim(im.Header) {
		if opt.Factor > 1 {
			img = integratePixels(img, im.Width, im.Height, opt.Factor)
		}
		k, err := diffusionKernel(im.Header)
		if err != nil {
			return nil, fmt.Errorf("HDU %d: %w", hdu, err)
		}
		if k != nil {
			img = convolveNative(img, im.Width, im.Height, max(opt.Factor, 1), k)
		}
	}
	if im.Header.Has("PSFSIZE") && opt.Factor == factor && opt.Size == 0 && opt.Centre == CentreAuto {
		size, err := im.Header.Int("PSFSIZE")
		if err == nil && size > 0 && int(size)*factor == im.Width && im.Width == im.Height && factor >= MinFactor {
			p, err := FromEffective(img, int(size), factor)
			if err != nil {
				return nil, fmt.Errorf("HDU %d: %w", hdu, err)
			}
			return p, nil
		}
	}
	p, err := FromImage(img, im.Width, im.Height, opt)
	if err != nil {
		return nil, fmt.Errorf("HDU %d: %w", hdu, err)
	}
	return p, nil
}

// chooseHDU returns the HDU written by WriteFITS with the oversampled PSF, else the first
// image HDU that holds data.
func chooseHDU(f *fits.File) (int, error) {
	first := -1
	for i := 0; i < f.NumHDU(); i++ {
		if k, err := f.Kind(i); err != nil || k != fits.KindImage {
			continue
		}
		h, err := f.Header(i)
		if err != nil {
			return 0, err
		}
		if n, err := h.Int("NAXIS"); err != nil || n == 0 {
			continue
		}
		if h.Has("OVERSAMP") && h.Has("PSFSIZE") {
			return i, nil
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return 0, errors.New("no image HDU holds data")
	}
	return first, nil
}

// WriteFITS writes p to a FITS file that astropy, DS9 and Parse read: the primary HDU is
// the native stamp of a source on the centre of the middle pixel (the fine samples at
// whole-pixel displacements, as float32), and
// HDU 1 (EXTNAME OVERSAMPLED) is the oversampled effective PSF in the layout of PSF.Fine,
// with cards OVERSAMP (the factor) and PSFSIZE (the native side). ReadFITS and Parse read
// HDU 1 back and rebuild the same PSF to float32 precision. The file is written under a
// temporary name and renamed, so a failure leaves no partial file.
func (p *PSF) WriteFITS(path string) error {
	n := p.Size * p.Factor
	native := make([]float32, p.Size*p.Size)
	for v := 0; v < p.Size; v++ {
		for u := 0; u < p.Size; u++ {
			native[v*p.Size+u] = float32(p.Fine[v*p.Factor*n+u*p.Factor])
		}
	}
	fine := make([]float32, len(p.Fine))
	for i, v := range p.Fine {
		fine[i] = float32(v)
	}
	h0 := fits.NewHeader()
	h0.Set("PSFSIZE", p.Size, "native stamp side, pixels")
	h0.AddComment("probcat PSF: effective (pixel-integrated) PSF of a unit-flux source on the centre of the middle pixel.")
	h0.AddComment("HDU 1 holds it " + strconv.Itoa(p.Factor) + "x oversampled; sample (a, b) lies (b/OVERSAMP - PSFSIZE/2, a/OVERSAMP - PSFSIZE/2) pixels from the source (0-based, integer division).")
	h1 := fits.NewHeader()
	h1.Set("OVERSAMP", p.Factor, "samples per native pixel")
	h1.Set("PSFSIZE", p.Size, "native stamp side, pixels")
	h1.Set("PSFCEN", (p.Size/2)*p.Factor, "0-based sample index of the source on both axes")
	return fits.Write(path,
		fits.ImageHDU{Header: h0, Width: p.Size, Height: p.Size, Data: native},
		fits.ImageHDU{Name: "OVERSAMPLED", Header: h1, Width: n, Height: n, Data: fine})
}

// parseFITS reads a FITS PSF with the options of a Parse specification.
func parseFITS(path string, p params) (*PSF, error) {
	var opt ImageOptions
	var err error
	get := func(key string, def int) int {
		v, e := p.int(key, def)
		if err == nil {
			err = e
		}
		return v
	}
	opt.Factor = get("oversample", 0)
	opt.Size = get("size", 0)
	hdu := get("hdu", AutoHDU)
	if c, ok := p["centre"]; ok {
		delete(p, "centre")
		switch strings.ToLower(c) {
		case "middle":
			opt.Centre = CentreMiddle
		case "peak":
			opt.Centre = CentrePeak
		case "centroid":
			opt.Centre = CentreCentroid
		default:
			xs, ys, ok := strings.Cut(c, ",")
			x, e1 := strconv.ParseFloat(strings.TrimSpace(xs), 64)
			y, e2 := strconv.ParseFloat(strings.TrimSpace(ys), 64)
			if !ok || e1 != nil || e2 != nil {
				return nil, fmt.Errorf("centre=%q: want middle, peak, centroid or X,Y", c)
			}
			opt.Centre, opt.X, opt.Y = CentreAt, x, y
		}
	}
	if err == nil {
		err = p.done()
	}
	if err == nil && opt.Factor < 0 {
		err = fmt.Errorf("oversample=%d must be positive", opt.Factor)
	}
	if err != nil {
		return nil, err
	}
	return ReadFITS(path, hdu, opt)
}
