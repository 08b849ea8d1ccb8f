package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/probcat/probcat/catalogue"
)

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
