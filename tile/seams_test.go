package tile

import (
	"testing"

	"github.com/probcat/probcat/catalogue"
)

func TestSeamPairs(t *testing.T) {
	tiles, err := Grid{Width: 96, Height: 96, Size: 48, Margin: 12}.Tiles()
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Image: ImageInfo{Width: 96, Height: 96, X0: 100, Y0: 200}, Tiles: tiles}
	// Positions in the parent frame: the image starts at (100, 200); seams at x, y = 147.5, 247.5;
	// core midlines at 123.5 and 171.5 (x), 223.5 and 271.5 (y).
	s := &catalogue.Sample{
		X: []float64{147.3, 147.7, 123.4, 123.7, 160, 160.3, 130, 130.55, 147.4, 147.6},
		Y: []float64{210, 210.2, 230, 230, 260, 260, 240, 240, 247.3, 247.6},
	}
	got := m.SeamPairs(s, 0.5)
	want := SeamPairs{Cross: 2, Control: 1, SeamLength: 192, ControlLength: 384}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if r := got.CrossRate(); r != 100*2.0/192 {
		t.Errorf("cross rate %g", r)
	}
}
