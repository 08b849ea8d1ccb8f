package figure

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"

	"github.com/probcat/probcat/catalogue"
)

// TestPanelGrid checks that panels fill rows in order and the last row is completed.
func TestPanelGrid(t *testing.T) {
	ps := make([]*plot.Plot, 5)
	for i := range ps {
		ps[i] = plot.New()
	}
	g := PanelGrid(ps, 2)
	if len(g) != 3 || len(g[0]) != 2 || len(g[1]) != 2 || len(g[2]) != 2 {
		t.Fatalf("grid of 5 panels by 2: %d rows", len(g))
	}
	if g[0][0] != ps[0] || g[0][1] != ps[1] || g[1][0] != ps[2] || g[2][0] != ps[4] || g[2][1] == nil {
		t.Error("panels out of order or the last row not completed")
	}
}

// TestCountsPanel draws counts with zero counts and intervals reaching zero on the
// logarithmic axis (drawn at the floor instead of failing), in magnitude and in flux, with and
// without a detection limit, and counts with no bin at all.
func TestCountsPanel(t *testing.T) {
	dir := t.TempDir()
	mag := catalogue.CountSamples([]catalogue.Sample{{Flux: []float64{100, 1000}}, {Flux: []float64{1e4}}, {}},
		catalogue.Binning{Magnitude: func(f float64) float64 { return 25 - 2.5*math.Log10(f) }})
	mag.Limit = 20
	flux := catalogue.CountSamples([]catalogue.Sample{{Flux: []float64{100, 1000}}, {}}, catalogue.Binning{})
	for name, c := range map[string]*catalogue.Counts{"mag": mag, "flux": flux, "empty": catalogue.CountSamples(nil, catalogue.Binning{})} {
		p, err := CountsPanel(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(dir, name+".png")
		if err := WritePanels(path, PanelGrid([]*plot.Plot{p}, 2)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("%s: no plot written (%v)", name, err)
		}
	}
}
