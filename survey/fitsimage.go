package survey

import (
	"errors"
	"fmt"
	"math"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/wcs"
)

// Header cards through which a FITS image tells probcat how to model it, so that
// `probcat sample image.fits` needs no other flags. probcat simulate writes them all.
const (
	CardGain      = "GAIN"    // electrons per count
	CardBias      = "BIAS"    // pedestal in counts
	CardBkg       = "BKG"     // sky level in counts above the bias
	CardReadNoise = "RDNOISE" // read noise in counts
	CardNoise     = "NOISE"   // noise model: 'data' or 'model'
	CardZeroPoint = "MAGZP"   // magnitude zero point: mag = MAGZP − 2.5 log10(counts)
)

// ReadFITS reads an image in counts from the first HDU of path that holds image data. Header
// cards GAIN, BIAS, BKG, RDNOISE, NOISE and MAGZP fill the corresponding fields when present
// (Gain is 0 when GAIN is absent: the caller must then supply one), LTV1/LTV2 (IRAF's
// physical→image offset) give the position of the cutout in its parent frame, and NaN pixels
// are masked, and a TAN/SIP WCS in the header becomes im.WCS. The image is not validated, so that the caller can override fields first.
func ReadFITS(path string) (*model.Image, *fits.Header, error) {
	f, err := fits.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return FromFile(f)
}

// FromFile is ReadFITS for a file already open.
func FromFile(f *fits.File) (*model.Image, *fits.Header, error) {
	path := f.Path
	i, err := ImageHDU(f)
	if err != nil {
		return nil, nil, err
	}
	img, err := f.Image(i)
	if err != nil {
		return nil, nil, err
	}
	if img.Width < 1 || img.Height < 1 {
		return nil, nil, fmt.Errorf("%s: image is empty", path)
	}
	im := model.NewImage(img.Width, img.Height)
	im.Pix = img.Pix
	im.Gain = 0
	h := img.Header
	floatCard := func(key string, dst *float64) error {
		v, err := h.Float(key)
		if errors.Is(err, fits.ErrNoKey) {
			return nil
		}
		if err != nil {
			return err
		}
		*dst = v
		return nil
	}
	for _, c := range []struct {
		key string
		dst *float64
	}{{CardGain, &im.Gain}, {CardBias, &im.Bias}, {CardBkg, &im.Background}, {CardReadNoise, &im.ReadNoise}} {
		if err := floatCard(c.key, c.dst); err != nil {
			return nil, nil, err
		}
	}
	if h.Has(CardZeroPoint) {
		if err := floatCard(CardZeroPoint, &im.ZeroPoint); err != nil {
			return nil, nil, err
		}
		im.HasZeroPoint = true
	}
	if h.Has(CardNoise) {
		s, err := h.String(CardNoise)
		if err != nil {
			return nil, nil, err
		}
		if im.Noise, err = model.ParseNoiseModel(s); err != nil {
			return nil, nil, fmt.Errorf("%s: card NOISE: %v", path, err)
		}
	}
	if err := PlaceInParent(im, h); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, v := range im.Pix {
		if math.IsNaN(float64(v)) {
			if im.Mask == nil {
				im.Mask = make([]bool, len(im.Pix))
			}
			im.Mask[i] = true
		}
	}
	return im, h, nil
}

// ImageHDU returns the number of the HDU that ReadFITS reads: the first image HDU with data.
func ImageHDU(f *fits.File) (int, error) {
	for i := 0; i < f.NumHDU(); i++ {
		if k, _ := f.Kind(i); k != fits.KindImage {
			continue
		}
		if h, err := f.Header(i); err == nil {
			if n, err := h.Int("NAXIS"); err == nil && n == 0 {
				continue
			}
		}
		return i, nil
	}
	return 0, fmt.Errorf("%s: no image HDU with data", f.Path)
}

// Cards returns the header cards that describe im to ReadFITS (gain, bias, background, read
// noise, noise model, zero point and cutout offset), and the PIXORIG card of probcat's pixel
// convention (SetPixelOrigin).
func Cards(im *model.Image) *fits.Header {
	h := fits.NewHeader()
	h.Set(CardGain, im.Gain, "electrons per count")
	h.Set(CardBias, im.Bias, "pedestal, counts")
	h.Set(CardBkg, im.Background, "sky level above the bias, counts")
	h.Set(CardReadNoise, im.ReadNoise, "read noise, counts")
	h.Set(CardNoise, im.Noise.String(), "probcat noise model: data or model")
	if im.HasZeroPoint {
		h.Set(CardZeroPoint, im.ZeroPoint, "mag = MAGZP - 2.5 log10(counts)")
	}
	if im.X0 != 0 || im.Y0 != 0 {
		h.Set("LTV1", float64(-im.X0), "cutout offset: x_image = x_frame + LTV1")
		h.Set("LTV2", float64(-im.Y0), "cutout offset: y_image = y_frame + LTV2")
	}
	if w, ok := im.WCS.(*wcs.WCS); ok {
		w.Shift(float64(im.X0), float64(im.Y0)).SetCards(h)
	}
	SetPixelOrigin(h)
	return h
}

// WriteFITS writes im as a float32 FITS image with the cards of Cards plus extra (may be nil),
// atomically. Masked pixels are written as NaN.
func WriteFITS(path string, im *model.Image, extra *fits.Header) error {
	h := Cards(im)
	if extra != nil {
		for _, c := range extra.Cards() {
			switch {
			case c.Key == "HISTORY":
				h.AddHistory(c.Comment)
			case c.Value == nil:
				h.AddComment(c.Comment)
			default:
				h.Set(c.Key, c.Value, c.Comment)
			}
		}
	}
	pix := im.Pix
	if im.Mask != nil {
		pix = append([]float32(nil), im.Pix...)
		for i, m := range im.Mask {
			if m {
				pix[i] = float32(math.NaN())
			}
		}
	}
	return fits.Write(path, fits.ImageHDU{Header: h, Width: im.Width, Height: im.Height, Data: pix})
}

// PlaceInParent sets im's offset in its parent frame from the LTV1 and LTV2 cards of h (IRAF's
// "physical" offset of a cut-out; 0 without them), and its WCS from h's, shifted from this
// image's pixels to the parent frame's, which the model uses.
func PlaceInParent(im *model.Image, h *fits.Header) error {
	ltv := func(key string) (int, error) {
		v, err := h.Float(key)
		if errors.Is(err, fits.ErrNoKey) {
			return 0, nil
		}
		return int(math.Round(-v)), err
	}
	var err error
	if im.X0, err = ltv("LTV1"); err != nil {
		return err
	}
	if im.Y0, err = ltv("LTV2"); err != nil {
		return err
	}
	if h.Has("CTYPE1") {
		w, err := wcs.FromHeader(h)
		if err != nil {
			return err
		}
		im.WCS = w.Shift(float64(-im.X0), float64(-im.Y0))
	}
	return nil
}
