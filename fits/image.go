package fits

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Image is a 2-D (or 1-D) image with BSCALE, BZERO and BLANK applied, as float32 pixels in
// row-major order: Pix[y*Width+x] is numpy's data[y, x] (x = column = NAXIS1). A 1-D image has
// Height 1. Blank integer pixels become NaN. float32 is what the model uses; BITPIX 32, 64 and −64
// values lose precision beyond float32's 24-bit mantissa.
type Image struct {
	Width, Height int
	Bitpix        int // BITPIX of the stored data
	Pix           []float32
	Header        *Header
}

// Image decodes HDU i as an image.
func (f *File) Image(i int) (*Image, error) {
	h, err := f.imageHDU(i)
	if err != nil {
		return nil, err
	}
	src := h.header.Source
	if len(h.axes) == 0 {
		return nil, fmt.Errorf("fits: %s: image has no data (NAXIS = 0)", src)
	}
	w, ht := h.axes[0], 1
	if len(h.axes) > 1 {
		ht = h.axes[1]
	}
	for k, a := range h.axes[min(2, len(h.axes)):] {
		if a != 1 {
			return nil, fmt.Errorf("fits: %s: %d-dimensional image (NAXIS%d = %d) is not supported", src, len(h.axes), k+3, a)
		}
	}
	if w == 0 || ht == 0 {
		return nil, fmt.Errorf("fits: %s: image has no data (%d×%d)", src, w, ht)
	}
	scale, zero, blank, hasBlank, err := scalingOf(h)
	if err != nil {
		return nil, err
	}
	pix, err := decodePixels(h.data, h.bitpix, w*ht, scale, zero, blank, hasBlank)
	if err != nil {
		return nil, fmt.Errorf("fits: %s: %v", src, err)
	}
	return &Image{Width: w, Height: ht, Bitpix: h.bitpix, Pix: pix, Header: h.header}, nil
}

// imageHDU returns HDU i, which must be an image.
func (f *File) imageHDU(i int) (*hdu, error) {
	h, err := f.get(i)
	if err != nil {
		return nil, err
	}
	if h.kind != KindImage {
		return nil, fmt.Errorf("fits: %s is %v, not an image", h.header.Source, h.kind)
	}
	return h, nil
}

// scalingOf returns an image HDU's BSCALE, BZERO and (for integer data) BLANK.
func scalingOf(h *hdu) (scale, zero float64, blank int64, hasBlank bool, err error) {
	scale = 1
	if h.header.Has("BSCALE") {
		if scale, err = h.header.Float("BSCALE"); err != nil {
			return 0, 0, 0, false, fmt.Errorf("fits: %v", err)
		}
	}
	if h.header.Has("BZERO") {
		if zero, err = h.header.Float("BZERO"); err != nil {
			return 0, 0, 0, false, fmt.Errorf("fits: %v", err)
		}
	}
	if h.bitpix > 0 && h.header.Has("BLANK") {
		if blank, err = h.header.Int("BLANK"); err != nil {
			return 0, 0, 0, false, fmt.Errorf("fits: %v", err)
		}
		hasBlank = true
	}
	return scale, zero, blank, hasBlank, nil
}

// Cube is a 3-D image (a stack of planes, such as a grid of PSFs) with BSCALE, BZERO and BLANK
// applied: plane k (NAXIS3 index) holds Pix[k·Width·Height : (k+1)·Width·Height], each in the
// row-major layout of Image.
type Cube struct {
	Width, Height, Depth int
	Pix                  []float32
	Header               *Header
}

// Cube decodes HDU i as a 3-D image (a 2-D image is a cube of depth 1).
func (f *File) Cube(i int) (*Cube, error) {
	h, err := f.imageHDU(i)
	if err != nil {
		return nil, err
	}
	src := h.header.Source
	if len(h.axes) < 2 {
		return nil, fmt.Errorf("fits: %s: image has %d axes, a cube needs 2 or 3", src, len(h.axes))
	}
	d := 1
	if len(h.axes) > 2 {
		d = h.axes[2]
	}
	for k, a := range h.axes[min(3, len(h.axes)):] {
		if a != 1 {
			return nil, fmt.Errorf("fits: %s: %d-dimensional image (NAXIS%d = %d) is not supported", src, len(h.axes), k+4, a)
		}
	}
	w, ht := h.axes[0], h.axes[1]
	if w == 0 || ht == 0 || d == 0 {
		return nil, fmt.Errorf("fits: %s: image has no data (%d×%d×%d)", src, w, ht, d)
	}
	scale, zero, blank, hasBlank, err := scalingOf(h)
	if err != nil {
		return nil, err
	}
	pix, err := decodePixels(h.data, h.bitpix, w*ht*d, scale, zero, blank, hasBlank)
	if err != nil {
		return nil, fmt.Errorf("fits: %s: %v", src, err)
	}
	return &Cube{Width: w, Height: ht, Depth: d, Pix: pix, Header: h.header}, nil
}

func decodePixels(data []byte, bitpix, n int, scale, zero float64, blank int64, hasBlank bool) ([]float32, error) {
	size := max(bitpix, -bitpix) / 8
	if len(data) < n*size {
		return nil, errors.New("truncated data array")
	}
	out := make([]float32, n)
	identity := scale == 1 && zero == 0
	conv := func(i int, raw int64) {
		if hasBlank && raw == blank {
			out[i] = float32(math.NaN())
			return
		}
		out[i] = float32(zero + scale*float64(raw))
	}
	be := binary.BigEndian
	switch bitpix {
	case 8:
		for i := range out {
			conv(i, int64(data[i]))
		}
	case 16:
		for i := range out {
			conv(i, int64(int16(be.Uint16(data[2*i:]))))
		}
	case 32:
		for i := range out {
			conv(i, int64(int32(be.Uint32(data[4*i:]))))
		}
	case 64:
		for i := range out {
			conv(i, int64(be.Uint64(data[8*i:])))
		}
	case -32:
		for i := range out {
			v := math.Float32frombits(be.Uint32(data[4*i:]))
			if !identity {
				v = float32(zero + scale*float64(v))
			}
			out[i] = v
		}
	case -64:
		for i := range out {
			out[i] = float32(zero + scale*math.Float64frombits(be.Uint64(data[8*i:])))
		}
	default:
		return nil, fmt.Errorf("invalid BITPIX %d", bitpix)
	}
	return out, nil
}

// ReadImage reads HDU hdu (0 is the primary HDU) of the file at path as an image.
func ReadImage(path string, hdu int) (*Image, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	return f.Image(hdu)
}

// WithImageData returns the file's bytes (decompressed) with the data arrays of the image
// HDUs in repl, by HDU number, replaced by the given pixels (row-major, as Image.Pix), so
// that every header, every other HDU and all padding stay byte for byte as read: a copy of
// the file with some images changed. Only real-valued images (BITPIX −32 or −64) without
// BSCALE or BZERO can be replaced.
func (f *File) WithImageData(repl map[int][]float32) ([]byte, error) {
	out := bytes.Clone(f.raw)
	for i, pix := range repl {
		h, err := f.get(i)
		if err != nil {
			return nil, err
		}
		src := h.header.Source
		if h.kind != KindImage || h.bitpix > 0 {
			return nil, fmt.Errorf("fits: %s: only real-valued images (BITPIX -32 or -64) can be rewritten, it has BITPIX %d", src, h.bitpix)
		}
		if h.header.Has("BSCALE") || h.header.Has("BZERO") {
			return nil, fmt.Errorf("fits: %s: an image with BSCALE or BZERO cannot be rewritten", src)
		}
		size := -h.bitpix / 8
		if len(pix)*size != len(h.data) {
			return nil, fmt.Errorf("fits: %s: %d pixels given for an image of %d", src, len(pix), len(h.data)/size)
		}
		dst := out[h.off : h.off+len(h.data)]
		for k, v := range pix {
			if size == 4 {
				binary.BigEndian.PutUint32(dst[4*k:], math.Float32bits(v))
			} else {
				binary.BigEndian.PutUint64(dst[8*k:], math.Float64bits(float64(v)))
			}
		}
	}
	return out, nil
}
