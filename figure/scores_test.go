package figure

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/plotutil"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey/m2"
)

func TestPlotScores(t *testing.T) {
	// Five true stars, six estimated (catalogue's hand-checked case): some matched, some not.
	truth := score.Reference{X: []float64{10, 15, 1, 20, 26}, Y: []float64{10, 8, 10, 20, 15}, Mag: []float64{18, 19, 18, 20.2, 21}}
	est := catalogue.Sample{}
	for _, e := range [][3]float64{{10.4, 10.4, 18.1}, {15.6, 8.0, 19.0}, {20, 20, 20.8}, {3, 3, 19}, {26.2, 15, 21.1}, {1.2, 10, 18}} {
		est.X, est.Y, est.Flux = append(est.X, e[0]), append(est.Y, e[1]), append(est.Flux, math.Pow(10, (25-e[2])/2.5))
	}
	sc, err := score.Ensemble(truth, []catalogue.Sample{est}, score.Options{Rule: score.PCATRule, Frame: score.Frame{W: 30, H: 30}, ZeroPoint: 25})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "score.png")
	if err := PlotScores(p, []Labelled{{"probcat", sc}}, []score.Curve{m2.PCATCompleteness}, []score.Curve{m2.PCATPurity}); err != nil {
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
	if err := PlotScores(q, []Labelled{{"probcat", sc}}, []score.Curve{m2.PCATCompleteness}, []score.Curve{m2.PCATPurity}); err != nil {
		t.Fatal(err)
	}
	if b2, err := os.ReadFile(q); err != nil || !bytes.Equal(b, b2) {
		t.Errorf("same plot, different bytes (%v)", err)
	}
	if err := PlotScores(filepath.Join(dir, "x.png"), nil, nil, nil); err == nil {
		t.Error("empty plot accepted")
	}
	bad := score.Curve{Label: "bad", Mag: []float64{1, 2}, Value: []float64{1}}
	if err := PlotScores(filepath.Join(dir, "y.png"), nil, []score.Curve{bad}, nil); err == nil {
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
