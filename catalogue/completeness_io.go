package catalogue

import (
	"bufio"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/probcat/probcat/internal/atomicfile"
)

// completenessColumns are the columns of completeness.parquet, in file order.
var completenessColumns = []column{
	{"mag_lo", kindDouble}, {"mag_hi", kindDouble},
	{"n_truth", kindInt32}, {"completeness", kindDouble}, {"completeness_16", kindDouble}, {"completeness_84", kindDouble},
	{"n_estimated", kindDouble}, {"purity", kindDouble}, {"purity_16", kindDouble}, {"purity_84", kindDouble},
}

// WriteCompletenessParquet writes the bins of a sky score to path (atomically), one row per
// magnitude bin: mag_lo, mag_hi, n_truth, completeness with its 16 and 84 % percentiles over
// samples, n_estimated (mean per sample), purity with its percentiles. Undefined values (a
// bin with no reference or no estimated source) are NaN. The file's metadata holds the
// settings (probcat.match_radius_arcsec, probcat.mag_tol, probcat.mag_offset,
// probcat.mag_50, probcat.samples).
func WriteCompletenessParquet(path string, sc *SkyScore) error {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	meta := map[string]string{
		"probcat.match":               "sky, " + sc.Assignment,
		"probcat.match_radius_arcsec": g(sc.Radius),
		"probcat.mag_tol":             g(sc.MagTol),
		"probcat.mag_offset":          g(sc.MagOffset),
		"probcat.mag_offset_fitted":   strconv.FormatBool(sc.OffsetFitted),
		"probcat.mag_50":              g(float64(sc.Mag50)),
		"probcat.samples":             strconv.Itoa(sc.Samples),
	}
	t, err := createTable(path, completenessColumns, meta)
	if err != nil {
		return err
	}
	for _, b := range sc.Bins {
		if err := t.add(b.MagLo, b.MagHi, float64(b.NTruth),
			float64(b.Completeness), float64(b.CompletenessInterval[0]), float64(b.CompletenessInterval[1]),
			b.NEstimated, float64(b.Purity), float64(b.PurityInterval[0]), float64(b.PurityInterval[1])); err != nil {
			return err
		}
	}
	return t.close()
}

// matchColumns are the columns of matches.parquet, in file order.
var matchColumns = []column{
	{"truth_row", kindInt32}, {"row", kindInt32}, {"chain", kindInt32}, {"sample", kindInt32},
	{"truth_ra", kindDouble}, {"truth_dec", kindDouble}, {"truth_mag", kindDouble},
	{"ra", kindDouble}, {"dec", kindDouble}, {"mag", kindDouble},
	{"separation_arcsec", kindDouble}, {"delta_mag", kindDouble},
}

// WriteMatchesParquet writes the matches of the first sample of a sky score to path
// (atomically), one row per pair in order of increasing separation: truth_row and row (each
// side's 0-based data row in its file), chain and sample (the sample matched), both sides'
// ra, dec and magnitude, separation_arcsec and delta_mag (estimated − reference − offset).
func WriteMatchesParquet(path string, sc *SkyScore) error {
	t, err := createTable(path, matchColumns, map[string]string{
		"probcat.mag_offset": strconv.FormatFloat(sc.MagOffset, 'g', -1, 64),
	})
	if err != nil {
		return err
	}
	for _, m := range sc.Matches {
		if m.RefRow > math.MaxInt32 || m.EstRow > math.MaxInt32 {
			t.fail(fmt.Errorf("row %d or %d does not fit a 32-bit column", m.RefRow, m.EstRow))
			return t.err
		}
		if err := t.add(float64(m.RefRow), float64(m.EstRow), float64(sc.MatchChain), float64(sc.MatchSample),
			m.RefRA, m.RefDec, m.RefMag, m.RA, m.Dec, m.Mag, m.Sep, m.DMag); err != nil {
			return err
		}
	}
	return t.close()
}

// PlotCompleteness draws completeness by reference magnitude and purity by estimated
// magnitude minus the offset on one panel, each with its 16–84 % band over samples, and marks
// the 50 % completeness magnitude; the figure goes to path as PNG (atomically).
func PlotCompleteness(path string, sc *SkyScore) error {
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
	curve := func(label string, c color.RGBA, get func(b SkyBin) (Ratio, [2]Ratio)) error {
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
	if err := curve("completeness", color.RGBA{R: 31, G: 119, B: 180, A: 255}, func(b SkyBin) (Ratio, [2]Ratio) {
		return b.Completeness, b.CompletenessInterval
	}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := curve("purity", color.RGBA{R: 214, G: 39, B: 40, A: 255}, func(b SkyBin) (Ratio, [2]Ratio) {
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
	return atomicfile.Write(path, func(w *bufio.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}
