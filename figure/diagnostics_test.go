package figure

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestBlockResidual checks the block sums of a χ map: each block's sum divided by √n (NaN
// pixels left out), clipped to ±5, and the title naming the blocks only when there are some.
func TestBlockResidual(t *testing.T) {
	w, h := 9, 6
	chi := make([]float32, w*h)
	for i := range chi {
		chi[i] = 1
	}
	chi[0] = float32(math.NaN())
	chi[w*h-1] = -40
	r := BlockResidual(chi, w, h, 3) // blocks of 3×3: a 3×2 map
	if c, rr := r.grid.Dims(); c != 3 || rr != 2 {
		t.Fatalf("map %d×%d, want 3×2", c, rr)
	}
	if got, want := r.grid.Z(0, 0), 8/math.Sqrt(8); math.Abs(got-want) > 1e-12 {
		t.Errorf("block with a NaN pixel: %g, want %g", got, want)
	}
	if got := r.grid.Z(1, 0); got != 3 {
		t.Errorf("block of nine ones: %g, want 3", got)
	}
	if got := r.grid.Z(2, 1); got != -5 {
		t.Errorf("block with −40: %g, want −5 (clipped)", got)
	}
	if !strings.Contains(r.title, "3×3 blocks") {
		t.Errorf("title %q does not name the blocks", r.title)
	}
	if r := BlockResidual(chi, w, h, 10); r.grid.w != w || strings.Contains(r.title, "blocks") {
		t.Errorf("no blocks needed: width %d, title %q", r.grid.w, r.title)
	}
}

// TestFluxDistributions checks both flux panels' histograms: non-positive fluxes left out,
// nothing drawn without a flux, FluxBins over its non-empty range only.
func TestFluxDistributions(t *testing.T) {
	var l LogFluxes
	var b FluxBins
	for _, d := range []FluxDistribution{&l, &b} {
		if h, err := d.histogram(); h != nil || err != nil {
			t.Errorf("%T without fluxes: %v, %v", d, h, err)
		}
		for _, f := range []float64{0, -3, 10, 100, 1000} {
			d.Add(f)
		}
		h, err := d.histogram()
		if err != nil || h == nil {
			t.Fatalf("%T: %v, %v", d, h, err)
		}
		total := 0.0
		for _, bin := range h.Bins {
			total += bin.Weight
		}
		if total != 3 || h.Bins[0].Min > 1 || h.Bins[len(h.Bins)-1].Max < 3 {
			t.Errorf("%T: %g sources over [%g, %g], want 3 over [1, 3]", d, total, h.Bins[0].Min, h.Bins[len(h.Bins)-1].Max)
		}
	}
	if n := len(l); n != 3 {
		t.Errorf("LogFluxes kept %d values, want 3", n)
	}
}

// TestPlotDiagnostics draws both kinds of diagnostics figure and leaves one file each.
func TestPlotDiagnostics(t *testing.T) {
	dir := t.TempDir()
	counts := catalogue.CountSamples([]catalogue.Sample{{Flux: []float64{100, 1000}}, {Flux: []float64{300}}}, catalogue.Binning{})
	var l LogFluxes
	var b FluxBins
	for _, f := range []float64{100, 1000, 300} {
		l.Add(f)
		b.Add(f)
	}
	chi := []float64{0.5, -1, 7, 2}
	for name, d := range map[string]Diagnostics{
		"pixel": {NTitle: "N", LogLikeTitle: "ln L", N: [][]float64{{2, 1}}, LogLike: [][]float64{{-3, -2}},
			Residual: PixelResidual(2, 2, chi), Flux: &l, Counts: counts},
		"block": {NTitle: "N", LogLikeTitle: "ln L", N: [][]float64{{2, 1}, {1, 1}}, LogLike: [][]float64{{-3, -2}, {-2, -2}},
			Residual: BlockResidual([]float32{0.5, -1, 7, 2}, 2, 2, 1), Flux: &b, Counts: counts},
	} {
		p := filepath.Join(dir, name+".png")
		if err := PlotDiagnostics(p, d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: no figure (%v)", name, err)
		}
	}
	if got := PixelResidual(2, 2, chi).grid.Z(0, 1); got != 5 {
		t.Errorf("pixel residual 7: %g, want 5 (clipped)", got)
	}
	if err := PlotDiagnostics(filepath.Join(dir, "missing", "x.png"), Diagnostics{Residual: PixelResidual(1, 1, []float64{0}), Flux: &l, Counts: counts}); err == nil {
		t.Error("a figure in a missing folder was written")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in the folder, want 2", len(ents))
	}
}
