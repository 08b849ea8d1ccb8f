package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/probcat/probcat/score"
)

// PlotCompleteness draws completeness by reference magnitude and purity by estimated
// magnitude minus the offset on one panel, each with its 16–84 % band over samples, and marks
// the 50 % completeness magnitude; the figure goes to path as PNG (atomically).
func PlotCompleteness(path string, sc *score.SkyScore) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("completeness and purity (%d samples, radius %g″)", sc.Samples, sc.Radius)
	p.X.Label.Text = "magnitude (reference for completeness, estimated for purity)"
	if sc.MagOffset != 0 {
		p.X.Label.Text = fmt.Sprintf("magnitude (reference; estimated − %.4g for purity)", sc.MagOffset)
	}
	p.Y.Min, p.Y.Max = 0, 1.05
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = true
	curve := func(label string, c color.RGBA, get func(b score.SkyBin) (score.Ratio, [2]score.Ratio)) error {
		var mid, band plotter.XYs
		var upper plotter.XYs
		for _, b := range sc.Bins {
			v, iv := get(b)
			if math.IsNaN(float64(v)) {
				continue
			}
			x := (b.MagLo + b.MagHi) / 2
			mid = append(mid, plotter.XY{X: x, Y: float64(v)})
			if !math.IsNaN(float64(iv[0])) {
				band = append(band, plotter.XY{X: x, Y: float64(iv[0])})
				upper = append(upper, plotter.XY{X: x, Y: float64(iv[1])})
			}
		}
		if len(mid) == 0 {
			return nil
		}
		if len(band) > 1 {
			for i := len(upper) - 1; i >= 0; i-- {
				band = append(band, upper[i])
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return err
			}
			poly.Color = color.NRGBA{R: c.R, G: c.G, B: c.B, A: 60}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		l, s, err := plotter.NewLinePoints(mid)
		if err != nil {
			return err
		}
		l.Color, s.Color = c, c
		l.Width = vg.Points(1.5)
		s.Shape = draw.CircleGlyph{}
		p.Add(l, s)
		p.Legend.Add(label+" (16–84 % band)", l, s)
		return nil
	}
	if err := curve("completeness", color.RGBA{R: 31, G: 119, B: 180, A: 255}, func(b score.SkyBin) (score.Ratio, [2]score.Ratio) {
		return b.Completeness, b.CompletenessInterval
	}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := curve("purity", color.RGBA{R: 214, G: 39, B: 40, A: 255}, func(b score.SkyBin) (score.Ratio, [2]score.Ratio) {
		return b.Purity, b.PurityInterval
	}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if m := float64(sc.Mag50); !math.IsNaN(m) {
		l, err := plotter.NewLine(plotter.XYs{{X: m, Y: 0}, {X: m, Y: 1.05}})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		l.Color = color.Gray{Y: 60}
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("50 %% completeness at %.2f", m), l)
	}
	img := vgimg.NewWith(vgimg.UseWH(8*vg.Inch, 5*vg.Inch), vgimg.UseDPI(100))
	p.Draw(draw.New(img))
	return writePNG(path, img)
}
