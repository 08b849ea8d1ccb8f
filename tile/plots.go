package tile

import (
	"fmt"
	"image/color"
	"math"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/pipeline"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
)

// fluxHist counts log10 fluxes in fixed bins, so that the histogram of a whole frame's
// ensemble needs no more memory than its bins.
type fluxHist struct{ counts [histBins]float64 }

const (
	histLo, histHi = -1.0, 9.0 // log10 flux range
	histBins       = 200
)

func (h *fluxHist) add(f float64) {
	if !(f > 0) {
		return
	}
	l := math.Log10(f)
	k := int((l - histLo) / (histHi - histLo) * histBins)
	h.counts[min(max(k, 0), histBins-1)]++
}

// plotter returns the histogram over its non-empty range.
func (h *fluxHist) plotter() *plotter.Histogram {
	lo, hi := -1, -1
	for k, c := range h.counts {
		if c > 0 {
			if lo < 0 {
				lo = k
			}
			hi = k
		}
	}
	width := (histHi - histLo) / histBins
	out := &plotter.Histogram{Width: width, FillColor: color.Gray{Y: 128}, LineStyle: plotter.DefaultLineStyle}
	if lo < 0 {
		return out
	}
	for k := lo; k <= hi; k++ {
		a := histLo + float64(k)*width
		out.Bins = append(out.Bins, plotter.HistogramBin{Min: a, Max: a + width, Weight: h.counts[k]})
	}
	return out
}

var chainColours = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// blockGrid is a χ map averaged over blocks so that a whole frame draws quickly, clipped to ±5.
type blockGrid struct {
	w, h int
	v    []float64
}

func newBlockGrid(chi []float32, w, h, maxSide int) *blockGrid {
	b := max(1, (max(w, h)+maxSide-1)/maxSide)
	g := &blockGrid{w: (w + b - 1) / b, h: (h + b - 1) / b}
	g.v = make([]float64, g.w*g.h)
	n := make([]int, len(g.v))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := float64(chi[y*w+x])
			if math.IsNaN(c) {
				continue
			}
			k := (y/b)*g.w + x/b
			g.v[k] += c
			n[k]++
		}
	}
	for k := range g.v {
		if n[k] > 0 {
			// The mean of b² unit normals has σ = 1/b: scale back so ±5 keeps its meaning.
			g.v[k] = math.Max(-5, math.Min(5, g.v[k]/math.Sqrt(float64(n[k]))))
		}
	}
	return g
}

func (g *blockGrid) Dims() (c, r int)   { return g.w, g.h }
func (g *blockGrid) Z(c, r int) float64 { return g.v[r*g.w+c] }
func (g *blockGrid) X(c int) float64    { return float64(c) }
func (g *blockGrid) Y(r int) float64    { return float64(r) }

// plotDiagnostics draws the frame's diagnostics as probcat sample does: traces of N and of
// ln L (summed over tiles) per chain, the χ map, the histogram of log10 flux and the number
// counts (pipeline.CountsPanel).
func plotDiagnostics(path string, nSeries, lSeries [][]float64, chi []float32, w, h int, hist *fluxHist, counts *catalogue.Counts) error {
	trace := func(title, ylabel string, series [][]float64) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "kept sample"
		p.Y.Label.Text = ylabel
		for c, s := range series {
			pts := make(plotter.XYs, len(s))
			for i, v := range s {
				pts[i] = plotter.XY{X: float64(i), Y: v}
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = chainColours[c%len(chainColours)]
			p.Add(l)
		}
		return p, nil
	}
	pN, err := trace("number of sources (whole image)", "N", nSeries)
	if err != nil {
		return err
	}
	pL, err := trace("log-likelihood (sum over tiles)", "ln L", lSeries)
	if err != nil {
		return err
	}
	pR := plot.New()
	pR.Title.Text = "residual / σ (clipped to ±5)"
	grid := newBlockGrid(chi, w, h, 400)
	if grid.w < w {
		pR.Title.Text = fmt.Sprintf("residual / σ, sums over %d×%d blocks ÷ √n (clipped to ±5)", (w+grid.w-1)/grid.w, (w+grid.w-1)/grid.w)
	}
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(-5)
	cmap.SetMax(5)
	hm := plotter.NewHeatMap(grid, cmap.Palette(64))
	hm.Min, hm.Max = -5, 5
	pR.Add(hm)
	pH := plot.New()
	pH.Title.Text = "flux distribution (all kept samples)"
	pH.X.Label.Text = "log10 flux"
	pH.Y.Label.Text = "sources"
	if hp := hist.plotter(); len(hp.Bins) > 0 {
		pH.Add(hp)
	}
	pC, err := pipeline.CountsPanel(counts)
	if err != nil {
		return err
	}
	return pipeline.WritePanels(path, pipeline.PanelGrid([]*plot.Plot{pN, pL, pR, pH, pC}, 2))
}
