package psf

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/probcat/probcat/fits"
)

// isTinyTim reports whether a PSF image's header was written by TinyTim (its optical
// aberration cards and spectrum are there).
func isTinyTim(h *fits.Header) bool {
	return h.Has("PIXSCALE") && h.Has("SPECTRUM") && h.Has("FOCUS")
}

// diffusionKernel returns the 3×3 charge-diffusion kernel (row-major) that TinyTim writes in
// its COMMENT cards when it leaves the kernel out of the PSF ("you should convolve it with the
// following kernel :" and three rows of three numbers), or nil when the header has none.
func diffusionKernel(h *fits.Header) ([]float64, error) {
	var k []float64
	found := false
	for _, c := range h.Cards() {
		if c.Key != "COMMENT" {
			continue
		}
		text := strings.TrimSpace(c.Comment)
		if strings.Contains(strings.ToLower(text), "convolve it with the following kernel") {
			found = true
			continue
		}
		if !found || len(k) == 9 {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("TinyTim charge-diffusion kernel row %q does not hold three numbers", text)
		}
		for _, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || math.IsInf(v, 0) {
				return nil, fmt.Errorf("TinyTim charge-diffusion kernel row %q: bad value %q", text, s)
			}
			k = append(k, v)
		}
	}
	if !found {
		return nil, nil
	}
	if len(k) != 9 {
		return nil, fmt.Errorf("TinyTim charge-diffusion kernel has %d values, want 9", len(k))
	}
	return k, nil
}

// integratePixels turns an image that samples a PSF factor times finer than the detector's
// pixels (as TinyTim's subsampled PSFs do: each sample the light of one sub-pixel) into the
// effective PSF at the same sampling: each sample becomes the light of a whole native pixel
// centred on it, the sum over a factor×factor box of sub-pixels. For an even factor the box's
// edges cut the edge sub-pixels in half; the half inside holds L/2 ± (L₊ − L₋)/16 of a
// sub-pixel's light L with neighbours L₋, L₊ (exact for light that is quadratic across the
// three), which gives the 1-D taps −1/16, ½, 1 + 1/16, 1, …, 1, 1 + 1/16, ½, −1/16. Samples
// beyond the image count as zero.
func integratePixels(img []float64, w, h, factor int) []float64 {
	var taps []float64
	if factor%2 == 1 {
		for range factor {
			taps = append(taps, 1)
		}
	} else {
		taps = make([]float64, factor+3) // offsets −factor/2−1 … factor/2+1
		for i := 2; i < factor+1; i++ {
			taps[i] = 1
		}
		taps[0], taps[1] = -1.0/16, 0.5
		taps[factor+1], taps[factor+2] = 0.5, -1.0/16
		taps[2] += 1.0 / 16
		taps[factor] += 1.0 / 16
	}
	return separable(img, w, h, taps)
}

// convolveNative convolves an image sampled factor times finer than the pixels with a 3×3
// kernel (row-major) defined on native pixels: light moves to the neighbouring pixels, whose
// centres lie factor samples away.
func convolveNative(img []float64, w, h, factor int, k []float64) []float64 {
	out := make([]float64, len(img))
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			kv := k[(dy+1)*3+dx+1]
			if kv == 0 {
				continue
			}
			for y := range h {
				sy := y - dy*factor
				if sy < 0 || sy >= h {
					continue
				}
				for x := range w {
					sx := x - dx*factor
					if sx >= 0 && sx < w {
						out[y*w+x] += kv * img[sy*w+sx]
					}
				}
			}
		}
	}
	return out
}

// separable convolves the image with the same centred 1-D kernel of an odd number of taps
// along its rows and then its columns.
func separable(img []float64, w, h int, taps []float64) []float64 {
	return along(along(img, w, h, taps, 1, 0), w, h, taps, 0, 1)
}

// along convolves the image with a centred 1-D kernel along x (dx = 1) or y (dy = 1); samples
// beyond the image count as zero.
func along(img []float64, w, h int, taps []float64, dx, dy int) []float64 {
	lo := -(len(taps) - 1) / 2
	out := make([]float64, len(img))
	for y := range h {
		for x := range w {
			s := 0.0
			for t, v := range taps {
				sx, sy := x+(lo+t)*dx, y+(lo+t)*dy
				if sx >= 0 && sx < w && sy >= 0 && sy < h {
					s += v * img[sy*w+sx]
				}
			}
			out[y*w+x] = s
		}
	}
	return out
}
