package survey

import (
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
)

// TestCardsStatePixelOrigin checks that the header of an image probcat writes (image.fits of
// simulate, the MODEL HDU of model.fits) states the 0-based pixel convention.
func TestCardsStatePixelOrigin(t *testing.T) {
	im := model.NewImage(4, 4)
	h := Cards(im)
	if v, err := h.Int(CardPixOrigin); err != nil || v != 0 {
		t.Errorf("PIXORIG = %d, %v; want 0", v, err)
	}
	var text []string
	for _, c := range h.Cards() {
		if c.Key == "COMMENT" {
			if len(c.Comment) > 72 {
				t.Errorf("COMMENT of %d characters would be cut: %q", len(c.Comment), c.Comment)
			}
			text = append(text, c.Comment)
		}
	}
	if strings.Join(text, " ") != PixelConvention {
		t.Errorf("COMMENT cards say %q, want %q", strings.Join(text, " "), PixelConvention)
	}
}
