package survey

import (
	"strings"

	"github.com/probcat/probcat/fits"
)

// CardPixOrigin is the header card by which probcat's FITS outputs state the origin of their
// pixel coordinates: PIXORIG = 0, for x and y 0-based with pixel centres at integers (x is
// the column and y the row, as numpy and astropy with origin=0), whereas FITS, DS9 and IRAF
// number the first pixel 1 (x_fits = x + 1).
const CardPixOrigin = "PIXORIG"

// PixelConvention says the same in words, for a FITS COMMENT card or Parquet metadata.
const PixelConvention = "probcat pixel coordinates are 0-based, pixel centres at integers (x = column, y = row; numpy, astropy origin=0); FITS/DS9 pixel = x + 1, y + 1"

// SetPixelOrigin adds the PIXORIG card and COMMENT cards stating the pixel convention
// (PixelConvention, wrapped at word boundaries) to h.
func SetPixelOrigin(h *fits.Header) {
	h.Set(CardPixOrigin, int64(0), "x, y are 0-based: FITS/DS9 pixel = x + 1, y + 1")
	line := ""
	for _, w := range strings.Fields(PixelConvention) {
		if line != "" && len(line)+1+len(w) > 72 {
			h.AddComment(line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	h.AddComment(line)
}
