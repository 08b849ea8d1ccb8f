package survey

import (
	"testing"

	"github.com/probcat/probcat/model"
)

// TestCut checks that a cutout copies pixels, mask and variance map of its box, keeps parent
// frame coordinates, and refuses a box outside the image.
func TestCut(t *testing.T) {
	im := model.NewImage(6, 5)
	im.X0, im.Y0 = 10, 20
	im.Mask = make([]bool, 30)
	im.VarMap = make([]float32, 30)
	for i := range im.Pix {
		im.Pix[i], im.Mask[i], im.VarMap[i] = float32(i), i%4 == 0, float32(3*i)
	}
	sub, err := Cut(im, 2, 1, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Width != 3 || sub.Height != 4 || sub.X0 != 12 || sub.Y0 != 21 {
		t.Fatalf("cutout %d×%d at (%d, %d)", sub.Width, sub.Height, sub.X0, sub.Y0)
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 3; x++ {
			p, q := (y+1)*6+x+2, y*3+x
			if sub.Pix[q] != im.Pix[p] || sub.Mask[q] != im.Mask[p] || sub.VarMap[q] != im.VarMap[p] {
				t.Fatalf("pixel (%d, %d) differs", x, y)
			}
		}
	}
	sub.VarMap[0] = -1
	if im.VarMap[8] == -1 {
		t.Error("the cutout shares its variance map with the image")
	}
	for _, b := range [][4]int{{-1, 0, 2, 2}, {5, 0, 2, 2}, {0, 4, 1, 2}, {0, 0, 0, 1}} {
		if _, err := Cut(im, b[0], b[1], b[2], b[3]); err == nil {
			t.Errorf("box %v accepted", b)
		}
	}
}
