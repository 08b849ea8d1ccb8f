package tile

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/model"
)

func TestGridCoversEveryPixelOnce(t *testing.T) {
	for _, g := range []Grid{
		{Width: 96, Height: 96, Size: 48, Margin: 12},
		{Width: 96, Height: 96, Size: 48, Margin: 12, OffsetX: 24, OffsetY: 24},
		{Width: 2048, Height: 1489, Size: 256, Margin: 28},
		{Width: 100, Height: 37, Size: 40, Margin: 5, OffsetX: 3, OffsetY: 39},
		{Width: 10, Height: 10, Size: 64, Margin: 5},
	} {
		tiles, err := g.Tiles()
		if err != nil {
			t.Fatal(err)
		}
		count := make([]int, g.Width*g.Height)
		for _, tl := range tiles {
			c, o := tl.Core, tl.Outer
			if c.Dx() < 1 || c.Dy() < 1 {
				t.Fatalf("%+v: empty core %+v", g, c)
			}
			if c.Dx() < g.Size/4 && c.Dx() != g.Width || c.Dy() < g.Size/4 && c.Dy() != g.Height {
				t.Errorf("%+v: sliver core %+v", g, c)
			}
			want := Rect{max(0, c.X0-g.Margin), max(0, c.Y0-g.Margin), min(g.Width, c.X1+g.Margin), min(g.Height, c.Y1+g.Margin)}
			if o != want {
				t.Errorf("%+v: outer %+v, want %+v", g, o, want)
			}
			for y := c.Y0; y < c.Y1; y++ {
				for x := c.X0; x < c.X1; x++ {
					count[y*g.Width+x]++
				}
			}
		}
		for i, n := range count {
			if n != 1 {
				t.Fatalf("%+v: pixel (%d, %d) is in %d cores", g, i%g.Width, i/g.Width, n)
			}
		}
		// Every position, inside the image or a little outside, has exactly one owner.
		rng := rand.New(rand.NewPCG(1, 2))
		for k := 0; k < 20000; k++ {
			x := -3 + rng.Float64()*float64(g.Width+6)
			y := -3 + rng.Float64()*float64(g.Height+6)
			if k < 4*len(tiles) { // exactly on core edges
				tl := tiles[k%len(tiles)]
				x, y = float64(tl.Core.X0)-0.5, float64(tl.Core.Y1)-0.5
			}
			owners := 0
			for i := range tiles {
				if tiles[i].Owns(x, y) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("%+v: (%g, %g) has %d owners", g, x, y, owners)
			}
		}
	}
}

func TestGridShiftMovesSeams(t *testing.T) {
	a, err := Grid{Width: 96, Height: 96, Size: 48, Margin: 12}.Tiles()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Grid{Width: 96, Height: 96, Size: 48, Margin: 12, OffsetX: 24, OffsetY: 24}.Tiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 4 || len(b) != 9 {
		t.Fatalf("got %d and %d tiles, want 4 and 9", len(a), len(b))
	}
	if b[4].Core != (Rect{24, 24, 72, 72}) {
		t.Errorf("centre tile of the shifted grid: %+v", b[4].Core)
	}
}

func TestGridRejectsBadInput(t *testing.T) {
	for _, g := range []Grid{
		{Width: 0, Height: 10, Size: 4},
		{Width: 10, Height: 10, Size: 0},
		{Width: 10, Height: 10, Size: 4, Margin: -1},
		{Width: 10, Height: 10, Size: 4, OffsetX: 4},
	} {
		if _, err := g.Tiles(); err == nil {
			t.Errorf("%+v: no error", g)
		}
	}
}

func TestCutKeepsFrameCoordinates(t *testing.T) {
	im := model.NewImage(20, 10)
	im.X0, im.Y0 = 100, 200
	im.Mask = make([]bool, len(im.Pix))
	im.VarMap = make([]float32, len(im.Pix))
	for i := range im.Pix {
		im.Pix[i] = float32(i)
		im.Mask[i] = i%7 == 0
		im.VarMap[i] = float32(2*i + 1)
	}
	tl := &Tile{Outer: Rect{3, 2, 11, 9}}
	sub, err := Cut(im, tl)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Width != 8 || sub.Height != 7 || sub.X0 != 103 || sub.Y0 != 202 {
		t.Fatalf("sub-image %d×%d at (%d, %d)", sub.Width, sub.Height, sub.X0, sub.Y0)
	}
	for y := 0; y < sub.Height; y++ {
		for x := 0; x < sub.Width; x++ {
			p := (y+2)*20 + x + 3
			q := y*sub.Width + x
			if sub.Pix[q] != im.Pix[p] || sub.Mask[q] != im.Mask[p] || sub.VarMap[q] != im.VarMap[p] {
				t.Fatalf("pixel (%d, %d) differs", x, y)
			}
		}
	}
	sub.Pix[0] = -1
	if im.Pix[2*20+3] == -1 {
		t.Error("Cut shares pixels with the parent")
	}
}

func TestSeedsDiffer(t *testing.T) {
	seen := map[uint64]bool{}
	for s := uint64(0); s < 4; s++ {
		for i := 0; i < 1000; i++ {
			v := Seed(s, i)
			if seen[v] {
				t.Fatalf("seed %d tile %d repeats a seed", s, i)
			}
			seen[v] = true
			if Seed(s, i) != v {
				t.Fatal("Seed is not deterministic")
			}
		}
	}
}

func TestStitchCondensedTakesSeamSourcesOnce(t *testing.T) {
	tiles, err := Grid{Width: 96, Height: 48, Size: 48, Margin: 12}.Tiles()
	if err != nil || len(tiles) != 2 {
		t.Fatal(len(tiles), err)
	}
	// The seam is at x = 47.5 (frame x = 147.5 with the image at x0 = 100).
	src := func(x, y, prev float64) catalogue.CondensedSource {
		return catalogue.CondensedSource{X: 100 + x, Y: y, Flux: 1000, Prevalence: prev}
	}
	left := []catalogue.CondensedSource{
		src(10, 10, 1),     // interior: kept
		src(47.4, 20, 0.9), // straddles: each tile has it on its own side; the likelier copy is kept
		src(47.6, 30, 0.8), // each tile has it on the other's side: kept once (the likelier), not lost
		src(47.3, 40, 0.6), // only this tile found it: kept
		src(47.2, 5, 0.5),  // two close sources of one tile: both kept
		src(47.45, 5.5, 0.5),
		src(60, 10, 1), // margin, far from the core: dropped
	}
	right := []catalogue.CondensedSource{
		src(47.7, 20.1, 0.7),
		src(47.4, 30.1, 0.7),
		src(80, 10, 1),
		src(47.9, 5.2, 0.4), // duplicates the left tile's pair: dropped
	}
	got := stitchCondensed(tiles, [][]catalogue.CondensedSource{left, right}, 0.75, 100, 0)
	want := []catalogue.CondensedSource{src(10, 10, 1), src(80, 10, 1), src(47.4, 20, 0.9), src(47.6, 30, 0.8),
		src(47.3, 40, 0.6), src(47.2, 5, 0.5), src(47.45, 5.5, 0.5)}
	if len(got) != len(want) {
		t.Fatalf("got %d sources %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("source %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
