package survey

import (
	"fmt"

	"github.com/probcat/probcat/model"
)

// Cut returns the w×h box of im whose first pixel is im's pixel (x0, y0), as an image of its
// own: pixels, mask and variance map are copied, and X0, Y0 grow by (x0, y0) so that
// positions stay in the parent frame's pixels (and the WCS, which maps parent-frame pixels,
// still applies). The box must lie inside im.
func Cut(im *model.Image, x0, y0, w, h int) (*model.Image, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("cutout %d,%d,%d,%d is empty", x0, y0, w, h)
	}
	if x0 < 0 || y0 < 0 || x0+w > im.Width || y0+h > im.Height {
		return nil, fmt.Errorf("cutout %d,%d,%d,%d (x0,y0,w,h) does not lie inside the %d×%d image", x0, y0, w, h, im.Width, im.Height)
	}
	sub := *im
	sub.Width, sub.Height = w, h
	sub.X0, sub.Y0 = im.X0+x0, im.Y0+y0
	sub.Pix = make([]float32, 0, w*h)
	sub.Mask, sub.VarMap = nil, nil
	if im.Mask != nil {
		sub.Mask = make([]bool, 0, w*h)
	}
	if im.VarMap != nil {
		sub.VarMap = make([]float32, 0, w*h)
	}
	for y := y0; y < y0+h; y++ {
		row := y*im.Width + x0
		sub.Pix = append(sub.Pix, im.Pix[row:row+w]...)
		if im.Mask != nil {
			sub.Mask = append(sub.Mask, im.Mask[row:row+w]...)
		}
		if im.VarMap != nil {
			sub.VarMap = append(sub.VarMap, im.VarMap[row:row+w]...)
		}
	}
	return &sub, nil
}
