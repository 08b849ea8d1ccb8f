package pipeline

import (
	"bufio"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
)

// chainColours distinguishes chains in the trace plots.
var chainColours = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// plotDiagnostics draws a 2×2 PNG: traces of N and of the log-likelihood per chain, the
// residual map in units of σ, and the histogram of log10 flux over all kept samples.
func plotDiagnostics(path string, recs [][]record, im *model.Image, mean []float32) error {
	trace := func(title, ylabel string, val func(r *record) float64) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "kept sample"
		p.Y.Label.Text = ylabel
		for c, rs := range recs {
			pts := make(plotter.XYs, len(rs))
			for i := range rs {
				pts[i] = plotter.XY{X: float64(i), Y: val(&rs[i])}
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
	pN, err := trace("number of sources", "N", func(r *record) float64 { return float64(len(r.X)) })
	if err != nil {
		return err
	}
	pL, err := trace("log-likelihood", "ln L", func(r *record) float64 { return r.LogLike })
	if err != nil {
		return err
	}

	// Residual map, (data − model)/σ, clipped to ±5.
	w := im.InverseVariance(mean)
	bg := 0.0
	n := 0
	for _, rs := range recs {
		for i := range rs {
			bg += rs[i].Background
			n++
		}
	}
	if n > 0 {
		bg /= float64(n)
	}
	grid := &residualGrid{w: im.Width, h: im.Height, v: make([]float64, len(mean))}
	for i := range mean {
		r := (float64(im.Pix[i]) - im.Bias - bg - float64(mean[i])) * math.Sqrt(float64(w[i]))
		grid.v[i] = math.Max(-5, math.Min(5, r))
	}
	pR := plot.New()
	pR.Title.Text = "residual / σ (clipped to ±5)"
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(-5)
	cmap.SetMax(5)
	hm := plotter.NewHeatMap(grid, cmap.Palette(64))
	hm.Min, hm.Max = -5, 5
	pR.Add(hm)

	// Flux histogram.
	var lf []float64
	for _, rs := range recs {
		for i := range rs {
			for _, f := range rs[i].Flux {
				if f > 0 {
					lf = append(lf, math.Log10(f))
				}
			}
		}
	}
	sort.Float64s(lf)
	pH := plot.New()
	pH.Title.Text = "flux distribution (all kept samples)"
	pH.X.Label.Text = "log10 flux"
	pH.Y.Label.Text = "sources"
	if len(lf) > 0 {
		h, err := plotter.NewHist(plotter.Values(lf), 40)
		if err != nil {
			return err
		}
		pH.Add(h)
	}

	return WritePanels(path, [][]*plot.Plot{{pN, pL}, {pR, pH}})
}

// WritePanels draws plots as a grid of 6-inch panels (rows of columns, axes aligned) and
// writes the PNG to path through a temporary file, so a failure leaves nothing behind.
func WritePanels(path string, plots [][]*plot.Plot) error {
	const side = 6 * vg.Inch
	rows, cols := len(plots), len(plots[0])
	img := vgimg.New(vg.Length(cols)*side, vg.Length(rows)*side)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, draw.New(img))
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	return atomicfile.Write(path, func(w *bufio.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// residualGrid adapts a residual image to plotter.GridXYZ (row 0 at the bottom, as in ds9).
type residualGrid struct {
	w, h int
	v    []float64
}

func (g *residualGrid) Dims() (c, r int)   { return g.w, g.h }
func (g *residualGrid) Z(c, r int) float64 { return g.v[r*g.w+c] }
func (g *residualGrid) X(c int) float64    { return float64(c) }
func (g *residualGrid) Y(r int) float64    { return float64(r) }
