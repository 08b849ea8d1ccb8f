package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"

	"github.com/probcat/probcat/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// binStat is one magnitude bin of one method, one value per seed.
type binStat struct {
	lo, hi                  float64
	n                       []int
	tpr, chance, bias, scat []float64
}

// byBin gathers a method's per-seed bins by magnitude.
func byBin(m *method) []*binStat {
	idx := map[float64]*binStat{}
	k := len(m.scores)
	get := func(lo, hi float64) *binStat {
		if b, ok := idx[lo]; ok {
			return b
		}
		b := &binStat{lo: lo, hi: hi, n: make([]int, k)}
		for _, s := range []*[]float64{&b.tpr, &b.chance, &b.bias, &b.scat} {
			*s = make([]float64, k)
			for i := range *s {
				(*s)[i] = nan
			}
		}
		idx[lo] = b
		return b
	}
	for i := range m.scores {
		for _, sb := range m.scores[i].Bins {
			if sb.NTruth == 0 {
				continue
			}
			b := get(sb.MagLo, sb.MagHi)
			b.n[i], b.tpr[i] = sb.NTruth, float64(sb.TPR)
		}
		for _, sb := range m.chance[i].Bins {
			if sb.NTruth > 0 {
				get(sb.MagLo, sb.MagHi).chance[i] = float64(sb.TPR)
			}
		}
		for _, pb := range m.scores[i].Photometry {
			if pb.Pairs > 0 {
				b := get(pb.MagLo, pb.MagHi)
				b.bias[i], b.scat[i] = float64(pb.Bias), float64(pb.Scatter)
			}
		}
	}
	var out []*binStat
	for _, b := range idx {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	return out
}

// limit50 returns, for seed i, the magnitude at which completeness falls through 0.5: linear
// interpolation between the bin centres around the first bin, from the bright end, below 0.5.
func limit50(bins []*binStat, i int) float64 {
	prevM, prevT := nan, nan
	for _, b := range bins {
		if b.n[i] == 0 || math.IsNaN(b.tpr[i]) {
			continue
		}
		m := (b.lo + b.hi) / 2
		if b.tpr[i] < 0.5 {
			if math.IsNaN(prevM) {
				return m
			}
			return prevM + (prevT-0.5)/(prevT-b.tpr[i])*(m-prevM)
		}
		prevM, prevT = m, b.tpr[i]
	}
	return nan
}

// at returns the bin holding magnitude m.
func at(bins []*binStat, m float64) *binStat {
	for _, b := range bins {
		if m >= b.lo && m < b.hi {
			return b
		}
	}
	return nil
}

// spread formats values over seeds as mean (min–max), skipping NaN.
func spread(v []float64, prec int) string {
	var ok []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			ok = append(ok, x)
		}
	}
	if len(ok) == 0 {
		return "—"
	}
	lo, hi, sum := ok[0], ok[0], 0.0
	for _, x := range ok {
		lo, hi, sum = math.Min(lo, x), math.Max(hi, x), sum+x
	}
	if len(ok) == 1 || hi == lo {
		return fmt.Sprintf("%.*f", prec, sum/float64(len(ok)))
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, sum/float64(len(ok)), prec, lo, prec, hi)
}

// mean is the mean of the values that are not NaN.
func mean(v []float64) float64 {
	s, n := 0.0, 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s, n = s+x, n+1
		}
	}
	if n == 0 {
		return nan
	}
	return s / float64(n)
}

// report prints one image's tables and writes its plot.
func report(o options, f field, dir string, zp float64, pc, ph *method) error {
	fmt.Printf("\n## %s (cutout %s, %d injections of %d stars, magnitudes %g–%g, zero point %.4f)\n\n",
		f.name, f.cutout, o.k, o.stars, f.bright, f.faint, zp)
	methods := []*method{pc, ph}
	bins := [][]*binStat{byBin(pc), byBin(ph)}
	fmt.Printf("| method | CPU-s per run (seed 0, 1..K) | stars scored | completeness | chance-match rate | 50 %% completeness mag | bias / scatter at m50 − 2 |\n|---|---|---|---|---|---|---|\n")
	m50s := make([][]float64, 2)
	for j, m := range methods {
		var n, tpr, ch, m50 []float64
		for i := range m.scores {
			n = append(n, float64(m.scores[i].NTruth))
			tpr = append(tpr, float64(m.scores[i].TPR))
			ch = append(ch, float64(m.chance[i].TPR))
			m50 = append(m50, limit50(bins[j], i))
		}
		m50s[j] = m50
		bs := "—"
		if b := at(bins[j], mean(m50)-2); b != nil {
			bs = fmt.Sprintf("%s / %s (bin %.1f–%.1f)", spread(b.bias, 3), spread(b.scat, 3), b.lo, b.hi)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | **%s** | %s |\n", m.name, spread(m.cpu, 0), spread(n, 0), spread(tpr, 3), spread(ch, 3), spread(m50, 2), bs)
	}
	var d []float64
	for i := range m50s[0] {
		d = append(d, m50s[0][i]-m50s[1][i])
	}
	fmt.Printf("\nprobcat − photutils 50 %% limit, per injection: %s mag (goal ≥ 0.7).\n", spread(d, 2))
	fmt.Printf("\nBy true magnitude (mean over injections, min–max in brackets; chance: the catalogue of the image without injections matched to the injected stars):\n\n")
	fmt.Printf("| mag | n | probcat TPR | chance | bias | scatter | photutils TPR | chance | bias | scatter |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, b := range bins[0] {
		q := at(bins[1], (b.lo+b.hi)/2)
		total := 0
		for _, n := range b.n {
			total += n
		}
		row := fmt.Sprintf("| %.1f–%.1f | %d | %s | %s | %s | %s |", b.lo, b.hi, total, spread(b.tpr, 2), spread(b.chance, 2), spread(b.bias, 3), spread(b.scat, 3))
		if q != nil {
			row += fmt.Sprintf(" %s | %s | %s | %s |", spread(q.tpr, 2), spread(q.chance, 2), spread(q.bias, 3), spread(q.scat, 3))
		} else {
			row += " — | — | — | — |"
		}
		fmt.Println(row)
	}
	png := filepath.Join(dir, f.name+"-ast.png")
	fmt.Printf("\nPlot: `%s`.\n", png)
	return plotBins(f.name, png, bins)
}

// plotBins draws completeness, bias and scatter against magnitude for both methods.
func plotBins(name, path string, bins [][]*binStat) error {
	colours := []color.Color{color.RGBA{R: 200, A: 255}, color.RGBA{B: 200, A: 255}}
	names := []string{"probcat", "photutils"}
	titles := []string{"completeness", "bias (est − true, mag)", "scatter (mag)"}
	var panels []*plot.Plot
	for k := range 3 {
		p := plot.New()
		p.Title.Text = name + ": " + titles[k]
		p.X.Label.Text = "injected magnitude"
		for j := range bins {
			var pts plotter.XYs
			for _, b := range bins[j] {
				v := []float64{mean(b.tpr), mean(b.bias), mean(b.scat)}[k]
				if !math.IsNaN(v) {
					pts = append(pts, plotter.XY{X: (b.lo + b.hi) / 2, Y: v})
				}
			}
			if len(pts) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			l.Color, s.Color = colours[j], colours[j]
			s.Shape = draw.CircleGlyph{}
			p.Add(l, s)
			p.Legend.Add(names[j], l, s)
			p.Legend.Top = true
		}
		if k == 1 {
			p.Y.Min, p.Y.Max = -0.3, 0.3
		}
		if k == 2 {
			p.Y.Min = 0
		}
		panels = append(panels, p)
	}
	return figure.WritePanels(path, figure.PanelGrid(panels, 3))
}
