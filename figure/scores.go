package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/probcat/probcat/catalogue"
)

// Curve is a published or otherwise external completeness or purity curve to draw beside our
// scores: Value[i] at magnitude Mag[i] (a bin centre).
type Curve struct {
	Label      string
	Mag, Value []float64
}

// PCATCompletenessM2 is PCAT's completeness by HST F606W magnitude on M2 (PCAT rule, last 300
// samples, as measured on this workplace's machine; ../shared/REFERENCE.md), for the 0.5 mag
// bins from 20 to 22.5 (brighter bins are ≥ 0.91).
var PCATCompletenessM2 = Curve{
	Label: "PCAT (M2, ref.)",
	Mag:   []float64{20.25, 20.75, 21.25, 21.75, 22.25},
	Value: []float64{0.85, 0.71, 0.52, 0.32, 0.16},
}

// PCATPurityM2 is 1 − PCAT's false discovery rate by estimated r on M2 (same source as
// PCATCompletenessM2), for the 0.5 mag bins from 20.5 to 22.5 (brighter bins: FDR 0.08–0.24).
var PCATPurityM2 = Curve{
	Label: "PCAT (M2, ref.)",
	Mag:   []float64{20.75, 21.25, 21.75, 22.25},
	Value: []float64{1 - 0.32, 1 - 0.43, 1 - 0.61, 1 - 0.65},
}

// Labelled is a score with the name to show for it in a plot's legend.
type Labelled struct {
	Label string
	Score *catalogue.Score
}

// PlotScores draws completeness (TPR) by true magnitude and purity (PPV) by estimated
// magnitude, side by side, for each score and each reference curve, and writes the figure
// to path as PNG (atomically). Bins with no source are left out of the lines.
func PlotScores(path string, scores []Labelled, completenessRefs, purityRefs []Curve) error {
	if len(scores) == 0 && len(completenessRefs) == 0 && len(purityRefs) == 0 {
		return fmt.Errorf("%s: nothing to plot", path)
	}
	panel := func(title, xlabel string, value func(b catalogue.ScoreBin) catalogue.Ratio, refs []Curve) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = xlabel
		p.Y.Label.Text = title
		p.Y.Min, p.Y.Max = 0, 1.05
		p.Add(plotter.NewGrid())
		p.Legend.Top = false
		p.Legend.Left = true
		style := 0
		for _, s := range scores {
			var pts plotter.XYs
			for _, b := range s.Score.Bins {
				if v := float64(value(b)); !math.IsNaN(v) {
					pts = append(pts, plotter.XY{X: (b.MagLo + b.MagHi) / 2, Y: v})
				}
			}
			if err := addLine(p, s.Label, pts, style, false); err != nil {
				return nil, err
			}
			style++
		}
		for _, c := range refs {
			if len(c.Mag) != len(c.Value) {
				return nil, fmt.Errorf("curve %q has %d magnitudes and %d values", c.Label, len(c.Mag), len(c.Value))
			}
			pts := make(plotter.XYs, len(c.Mag))
			for i := range c.Mag {
				pts[i] = plotter.XY{X: c.Mag[i], Y: c.Value[i]}
			}
			if err := addLine(p, c.Label, pts, style, true); err != nil {
				return nil, err
			}
			style++
		}
		return p, nil
	}
	left, err := panel("completeness (TPR)", "true magnitude", func(b catalogue.ScoreBin) catalogue.Ratio { return b.TPR }, completenessRefs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	right, err := panel("purity (PPV)", "estimated magnitude", func(b catalogue.ScoreBin) catalogue.Ratio { return b.PPV }, purityRefs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	img := vgimg.NewWith(vgimg.UseWH(12*vg.Inch, 4.5*vg.Inch), vgimg.UseDPI(100))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 3, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8,
		PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{{left, right}}, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	return writePNG(path, img)
}

// addLine adds a line with points in style number k; reference curves are dashed and grey-toned.
func addLine(p *plot.Plot, label string, pts plotter.XYs, k int, reference bool) error {
	if len(pts) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := plotutil.Color(k)
	if reference {
		c = color.Gray{Y: uint8(40 + 50*(k%3))}
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	l.Color, s.Color = c, c
	l.Width = vg.Points(1.5)
	s.Shape = plotutil.Shape(k)
	p.Add(l, s)
	p.Legend.Add(label, l, s)
	return nil
}
