package pipeline

import (
	"bufio"
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
)

// chainColours distinguishes chains in the trace plots.
var chainColours = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// plotDiagnostics draws the diagnostics PNG, two panels a row: traces of N and of the
// log-likelihood per chain, the residual map in units of σ, the histogram of log10 flux over
// all kept samples, and the number counts (CountsPanel).
func plotDiagnostics(path string, recs [][]record, im *model.Image, mean []float32, counts *catalogue.Counts, sky *skyPosterior) error {
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
	w := im.InverseVariance(sky.weightModel(im, mean))
	grid := &residualGrid{w: im.Width, h: im.Height, v: make([]float64, len(mean))}
	for i := range mean {
		r := (float64(im.Pix[i]) - im.Bias - sky.at(i) - float64(mean[i])) * math.Sqrt(float64(w[i]))
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

	pC, err := CountsPanel(counts)
	if err != nil {
		return err
	}
	return WritePanels(path, PanelGrid([]*plot.Plot{pN, pL, pR, pH, pC}, 2))
}

// PanelGrid arranges panels in rows of cols for WritePanels, in order, the last row
// completed with blank panels: adding a diagnostic is adding a panel to the list.
func PanelGrid(panels []*plot.Plot, cols int) [][]*plot.Plot {
	var grid [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := append([]*plot.Plot(nil), panels[i:min(i+cols, len(panels))]...)
		for len(row) < cols {
			blank := plot.New()
			blank.HideAxes()
			row = append(row, blank)
		}
		grid = append(grid, row)
	}
	return grid
}

// countsFloor is where a count of zero is drawn on the counts panel's logarithmic axis.
const countsFloor = 0.5

// Colours of the counts panel: 90 % and 68 % intervals, median, detection limit.
var (
	counts90Colour    = color.RGBA{158, 202, 225, 255}
	counts68Colour    = color.RGBA{66, 146, 198, 255}
	countsMedColour   = color.RGBA{8, 48, 107, 255}
	countsLimitColour = color.RGBA{214, 39, 40, 255}
)

// CountsPanel draws number counts: per bin, the median number of sources (a step line) with
// its 68 % (p16–p84) and 90 % (p05–p95) intervals over samples as bands, on a logarithmic
// axis (zero drawn at 0.5), against magnitude or, without a zero point, flux (logarithmic);
// the detection limit, when known, as a vertical dashed line. Callers may add to the plot
// (e.g. a reference's counts).
func CountsPanel(c *catalogue.Counts) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "number counts (all kept samples)"
	p.Y.Label.Text = "sources per bin (0 drawn at 0.5)"
	p.X.Label.Text = fmt.Sprintf("magnitude (bins of %g mag)", catalogue.CountMagWidth)
	if !c.Magnitudes {
		p.X.Label.Text = fmt.Sprintf("flux (bins of %g dex)", catalogue.CountFluxDex)
	}
	if len(c.Bins) == 0 {
		return p, nil
	}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	if !c.Magnitudes {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	// The legend where the counts are low: faint magnitudes and low fluxes hold the most.
	p.Legend.Top = !c.Magnitudes
	floor := func(v float64) float64 { return math.Max(v, countsFloor) }
	// steps traces v over the bins as a step function, left to right.
	steps := func(v func(b catalogue.CountBin) float64) plotter.XYs {
		var pts plotter.XYs
		for _, b := range c.Bins {
			pts = append(pts, plotter.XY{X: b.Lo, Y: floor(v(b))}, plotter.XY{X: b.Hi, Y: floor(v(b))})
		}
		return pts
	}
	band := func(lo, hi func(b catalogue.CountBin) float64, col color.Color, label string) error {
		pts := steps(hi)
		low := steps(lo)
		for i := len(low) - 1; i >= 0; i-- {
			pts = append(pts, low[i])
		}
		poly, err := plotter.NewPolygon(pts)
		if err != nil {
			return err
		}
		poly.Color = col
		poly.LineStyle.Width = 0
		p.Add(poly)
		p.Legend.Add(label, poly)
		return nil
	}
	if err := band(func(b catalogue.CountBin) float64 { return b.P05 }, func(b catalogue.CountBin) float64 { return b.P95 }, counts90Colour, "90 % interval"); err != nil {
		return nil, err
	}
	if err := band(func(b catalogue.CountBin) float64 { return b.P16 }, func(b catalogue.CountBin) float64 { return b.P84 }, counts68Colour, "68 % interval"); err != nil {
		return nil, err
	}
	med, err := plotter.NewLine(steps(func(b catalogue.CountBin) float64 { return b.Median }))
	if err != nil {
		return nil, err
	}
	med.Color = countsMedColour
	p.Add(med)
	p.Legend.Add("median", med)
	if !math.IsNaN(c.Limit) {
		top := countsFloor
		for _, b := range c.Bins {
			top = math.Max(top, b.P95)
		}
		l, err := plotter.NewLine(plotter.XYs{{X: c.Limit, Y: countsFloor}, {X: c.Limit, Y: top}})
		if err != nil {
			return nil, err
		}
		l.Color = countsLimitColour
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add("detection limit", l)
	}
	return p, nil
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
