package catalogue

import (
	"strconv"

	"github.com/probcat/probcat/survey"

	"github.com/probcat/probcat/internal/tablefile"
)

// Parquet key-value metadata of every table with pixel coordinates (an x column): the origin
// of x and y ("0") and the convention in words (survey.PixelConvention).
const (
	PixelOriginKey     = "probcat.pixel_origin"
	PixelConventionKey = "probcat.pixel_convention"
)

// withPixelOrigin returns meta plus the pixel-convention keys when cols has an x column, in a
// new map (the caller's may be shared between files).
func withPixelOrigin(cols []tablefile.Column, meta map[string]string) map[string]string {
	hasX := false
	for _, c := range cols {
		hasX = hasX || c.Name == "x"
	}
	if !hasX {
		return meta
	}
	out := make(map[string]string, len(meta)+2)
	for k, v := range meta {
		out[k] = v
	}
	out[PixelOriginKey] = strconv.Itoa(0)
	out[PixelConventionKey] = survey.PixelConvention
	return out
}
