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

	"github.com/probcat/probcat/score"
)

// Labelled is a score with the name to show for it in a plot's legend.
type Labelled struct {
	Label string
	Score *score.Score
}

// PlotScores draws completeness (TPR) by true magnitude and purity (PPV) by estimated
// magnitude, side by side, for each score and each reference curve, and writes the figure
// to path as PNG (atomically). Bins with no source are left out of the lines.
func PlotScores(path string, scores []Labelled, completenessRefs, purityRefs []score.Curve) error {
	if len(scores) == 0 && len(completenessRefs) == 0 && len(purityRefs) == 0 {
		return fmt.Errorf("%s: nothing to plot", path)
	}
	panel := func(title, xlabel string, value func(b score.Bin) score.Ratio, refs []score.Curve) (*plot.Plot, error) {
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
	left, err := panel("completeness (TPR)", "true magnitude", func(b score.Bin) score.Ratio { return b.TPR }, completenessRefs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	right, err := panel("purity (PPV)", "estimated magnitude", func(b score.Bin) score.Ratio { return b.PPV }, purityRefs)
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
