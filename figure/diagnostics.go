package figure

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"

	"github.com/probcat/probcat/catalogue"
)

// Diagnostics is what a sampling run's diagnostics figure (diagnostics.png) shows, two panels
// a row: traces of the number of sources and of the log-likelihood per chain, the residual
// map, the distribution of log10 flux over all kept samples and the number counts
// (CountsPanel).
type Diagnostics struct {
	// NTitle and LogLikeTitle are the titles of the two trace panels.
	NTitle, LogLikeTitle string
	// N and LogLike hold, per chain, the number of sources and ln L of each kept sample.
	N, LogLike [][]float64
	// Residual is the residual map (PixelResidual or BlockResidual).
	Residual Residual
	// Flux is the flux distribution (*LogFluxes or *FluxBins).
	Flux FluxDistribution
	// Counts are the posterior number counts.
	Counts *catalogue.Counts
}

// chainColours distinguishes chains in the trace plots.
var chainColours = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// PlotDiagnostics draws d and writes the PNG to path, atomically.
func PlotDiagnostics(path string, d Diagnostics) error {
	pN, err := tracePanel(d.NTitle, "N", d.N)
	if err != nil {
		return err
	}
	pL, err := tracePanel(d.LogLikeTitle, "ln L", d.LogLike)
	if err != nil {
		return err
	}
	pR := plot.New()
	pR.Title.Text = d.Residual.title
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(-5)
	cmap.SetMax(5)
	hm := plotter.NewHeatMap(d.Residual.grid, cmap.Palette(64))
	hm.Min, hm.Max = -5, 5
	pR.Add(hm)
	pH := plot.New()
	pH.Title.Text = "flux distribution (all kept samples)"
	pH.X.Label.Text = "log10 flux"
	pH.Y.Label.Text = "sources"
	h, err := d.Flux.histogram()
	if err != nil {
		return err
	}
	if h != nil {
		pH.Add(h)
	}
	pC, err := CountsPanel(d.Counts)
	if err != nil {
		return err
	}
	return WritePanels(path, PanelGrid([]*plot.Plot{pN, pL, pR, pH, pC}, 2))
}

// tracePanel draws one line per chain of series against the kept sample's index.
func tracePanel(title, ylabel string, series [][]float64) (*plot.Plot, error) {
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

// Residual is the residual map of a diagnostics figure, (data − model)/σ clipped to ±5, with
// its panel's title.
type Residual struct {
	grid  *residualGrid
	title string
}

// PixelResidual is the residual map of a w×h image from its (data − model)/σ, chi, row by
// row: one cell per pixel.
func PixelResidual(w, h int, chi []float64) Residual {
	g := &residualGrid{w: w, h: h, v: make([]float64, len(chi))}
	for i, r := range chi {
		g.v[i] = math.Max(-5, math.Min(5, r))
	}
	return Residual{grid: g, title: "residual / σ (clipped to ±5)"}
}

// BlockResidual is the residual map of a w×h image from its (data − model)/σ, chi (NaN where
// a pixel has none), summed over square blocks and divided by the square root of their pixels
// (so that ±5 keeps its meaning), the blocks as small as keep the map within maxSide cells a
// side: a whole frame draws quickly.
func BlockResidual(chi []float32, w, h, maxSide int) Residual {
	b := max(1, (max(w, h)+maxSide-1)/maxSide)
	g := &residualGrid{w: (w + b - 1) / b, h: (h + b - 1) / b}
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
	title := "residual / σ (clipped to ±5)"
	if g.w < w {
		title = fmt.Sprintf("residual / σ, sums over %d×%d blocks ÷ √n (clipped to ±5)", (w+g.w-1)/g.w, (w+g.w-1)/g.w)
	}
	return Residual{grid: g, title: title}
}

// residualGrid adapts a residual map to plotter.GridXYZ (row 0 at the bottom, as in ds9).
type residualGrid struct {
	w, h int
	v    []float64
}

func (g *residualGrid) Dims() (c, r int)   { return g.w, g.h }
func (g *residualGrid) Z(c, r int) float64 { return g.v[r*g.w+c] }
func (g *residualGrid) X(c int) float64    { return float64(c) }
func (g *residualGrid) Y(r int) float64    { return float64(r) }

// FluxDistribution gathers the fluxes of a diagnostics figure's flux panel: *LogFluxes or
// *FluxBins.
type FluxDistribution interface {
	// Add counts one source's flux (non-positive fluxes are left out).
	Add(flux float64)
	// histogram returns the panel's histogram, nil when there is no flux.
	histogram() (*plotter.Histogram, error)
}

// LogFluxes keeps every positive flux's log10, drawn in 40 bins over their range.
type LogFluxes []float64

// Add appends log10 flux when flux is positive.
func (l *LogFluxes) Add(flux float64) {
	if flux > 0 {
		*l = append(*l, math.Log10(flux))
	}
}

func (l *LogFluxes) histogram() (*plotter.Histogram, error) {
	if len(*l) == 0 {
		return nil, nil
	}
	sort.Float64s(*l)
	return plotter.NewHist(plotter.Values(*l), 40)
}

// FluxBins counts log10 fluxes in fixed bins (200 from −1 to 9; outliers in the end bins),
// so that the histogram of a whole frame's ensemble needs no more memory than its bins. It
// draws over its non-empty range.
type FluxBins struct{ counts [histBins]float64 }

const (
	histLo, histHi = -1.0, 9.0 // log10 flux range
	histBins       = 200
)

// Add counts flux when it is positive.
func (h *FluxBins) Add(flux float64) {
	if !(flux > 0) {
		return
	}
	l := math.Log10(flux)
	k := int((l - histLo) / (histHi - histLo) * histBins)
	h.counts[min(max(k, 0), histBins-1)]++
}

func (h *FluxBins) histogram() (*plotter.Histogram, error) {
	lo, hi := -1, -1
	for k, c := range h.counts {
		if c > 0 {
			if lo < 0 {
				lo = k
			}
			hi = k
		}
	}
	if lo < 0 {
		return nil, nil
	}
	width := (histHi - histLo) / histBins
	out := &plotter.Histogram{Width: width, FillColor: color.Gray{Y: 128}, LineStyle: plotter.DefaultLineStyle}
	for k := lo; k <= hi; k++ {
		a := histLo + float64(k)*width
		out.Bins = append(out.Bins, plotter.HistogramBin{Min: a, Max: a + width, Weight: h.counts[k]})
	}
	return out, nil
}
