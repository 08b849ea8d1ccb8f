package catalogue

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/plotutil"
)

func TestPlotScores(t *testing.T) {
	truth, est := handCase()
	sc, err := ScoreEnsemble(truth, []Sample{est}, ScoreOptions{Rule: PCATRule, Frame: Frame{W: 30, H: 30}, ZeroPoint: testZP})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "score.png")
	if err := PlotScores(p, []Labelled{{"probcat", sc}}, []Curve{PCATCompletenessM2}, []Curve{PCATPurityM2}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 1200 || r.Dy() != 450 {
		t.Errorf("image is %v, want 1200×450", r)
	}
	// The score's line is drawn in the first plotutil colour, in both panels.
	want := plotutil.Color(0)
	wr, wg, wb, _ := want.RGBA()
	var left, right int
	for y := 0; y < 450; y++ {
		for x := 0; x < 1200; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r == wr && g == wg && b == wb {
				if x < 600 {
					left++
				} else {
					right++
				}
			}
		}
	}
	if left < 50 || right < 50 {
		t.Errorf("score line pixels: %d left, %d right", left, right)
	}
	// Same input, same bytes.
	q := filepath.Join(dir, "again.png")
	if err := PlotScores(q, []Labelled{{"probcat", sc}}, []Curve{PCATCompletenessM2}, []Curve{PCATPurityM2}); err != nil {
		t.Fatal(err)
	}
	if b2, err := os.ReadFile(q); err != nil || !bytes.Equal(b, b2) {
		t.Errorf("same plot, different bytes (%v)", err)
	}
	if err := PlotScores(filepath.Join(dir, "x.png"), nil, nil, nil); err == nil {
		t.Error("empty plot accepted")
	}
	bad := Curve{Label: "bad", Mag: []float64{1, 2}, Value: []float64{1}}
	if err := PlotScores(filepath.Join(dir, "y.png"), nil, []Curve{bad}, nil); err == nil {
		t.Error("ragged curve accepted")
	}
	if err := PlotScores(filepath.Join(dir, "missing", "z.png"), []Labelled{{"a", sc}}, nil, nil); err == nil {
		t.Error("plot into a missing folder succeeded")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("files left in the folder: %d, want 2", len(ents))
	}
}
