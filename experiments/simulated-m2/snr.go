package main

import (
	"fmt"
	"math"
	"sort"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/simulate"
	"gonum.org/v1/gonum/mat"
)

// fwhm is the PSF of probcat simulate's default field.
const fwhm = 2.2

// window is the half-side in pixels of the box over which a source's light is summed: the
// default PSF's stamp is 11 pixels wide, so its light ends 5 pixels from the centre.
const window = 6

// zeroPoint turns fluxes into magnitudes for the scorer (both catalogues alike, so only
// magnitude differences matter).
const zeroPoint = 22.5

// field is the noise model and true scene of the simulation.
type field struct {
	w, h       int
	background float64 // sky level, counts
	gain       float64 // electrons per count
	sigma      float64 // Gaussian PSF's standard deviation, pixels
	x, y, f    []float64
	model      []float64 // background + Σ f·PSF, counts, row-major
	// stampSumSq and analyticSumSq are Σp² of psf.Gaussian's stamp and of the analytic
	// profile for a source at a pixel centre (a check that they are the same PSF).
	stampSumSq, analyticSumSq float64
}

// pixelGauss returns the fraction of a 1-d Gaussian centred at c falling in the pixel
// centred at u, and its derivative with respect to c.
func (fd *field) pixelGauss(u int, c float64) (p, dp float64) {
	s := fd.sigma
	a, b := (float64(u)-0.5-c)/s, (float64(u)+0.5-c)/s
	p = 0.5 * (math.Erf(b/math.Sqrt2) - math.Erf(a/math.Sqrt2))
	phi := func(t float64) float64 { return math.Exp(-t*t/2) / math.Sqrt(2*math.Pi) }
	dp = (phi(a) - phi(b)) / s
	return p, dp
}

// box is the clipped pixel range [x0, x1) × [y0, y1).
type box struct{ x0, x1, y0, y1 int }

func (fd *field) around(x, y float64, r int) box {
	cx, cy := int(math.Round(x)), int(math.Round(y))
	return box{max(cx-r, 0), min(cx+r+1, fd.w), max(cy-r, 0), min(cy+r+1, fd.h)}
}

func newField(x, y, f []float64) (*field, error) {
	c := simulate.Default()
	fd := &field{w: c.Width, h: c.Height, background: c.Background, gain: c.Gain,
		sigma: fwhm / (2 * math.Sqrt(2*math.Ln2)), x: x, y: y, f: f}
	fd.model = make([]float64, fd.w*fd.h)
	for i := range fd.model {
		fd.model[i] = fd.background
	}
	for i := range x {
		b := fd.around(x[i], y[i], window)
		for v := b.y0; v < b.y1; v++ {
			py, _ := fd.pixelGauss(v, y[i])
			for u := b.x0; u < b.x1; u++ {
				px, _ := fd.pixelGauss(u, x[i])
				fd.model[v*fd.w+u] += f[i] * px * py
			}
		}
	}
	// The analytic profile must be the PSF that probcat simulate rendered with.
	p, err := psf.Gaussian(fwhm)
	if err != nil {
		return nil, err
	}
	st := p.Stamp(0, 0)
	var s2, a2 float64
	for _, v := range st {
		s2 += v * v
	}
	for v := -window; v <= window; v++ {
		py, _ := fd.pixelGauss(v, 0)
		for u := -window; u <= window; u++ {
			px, _ := fd.pixelGauss(u, 0)
			a2 += px * px * py * py
		}
	}
	fd.stampSumSq, fd.analyticSumSq = s2, a2
	if math.Abs(s2-a2) > 5e-3*a2 {
		return nil, fmt.Errorf("Σp² of psf.Gaussian(%g) is %g, of the analytic profile %g", fwhm, s2, a2)
	}
	return fd, nil
}

// isolatedSNR is the optimal (matched-filter) S/N of source i alone on the sky:
// S/N² = Σ (f p)² / σ², σ² = (B + f p)/g over the pixels of the image, p the pixel-integrated
// PSF at the source's position: the inverse Fisher variance of its flux with the position known.
func (fd *field) isolatedSNR(i int) float64 {
	b := fd.around(fd.x[i], fd.y[i], window)
	var s2 float64
	for v := b.y0; v < b.y1; v++ {
		py, _ := fd.pixelGauss(v, fd.y[i])
		for u := b.x0; u < b.x1; u++ {
			px, _ := fd.pixelGauss(u, fd.x[i])
			m := fd.f[i] * px * py
			s2 += m * m * fd.gain / (fd.background + m)
		}
	}
	return math.Sqrt(s2)
}

// crowdedSNR is the S/N of source i's flux when it and its true neighbours within radius
// pixels all have free fluxes and positions, and the noise comes from the whole true scene:
// f / sqrt((F⁻¹)_ff) with F the Fisher matrix of those 3k parameters, σ² = (B + m)/g with m the
// true model (so neighbours' light adds noise, and their overlap with the source inflates its
// flux variance). It is the Cramér–Rao bound on the flux of a deblended source; neighbours
// beyond radius are held fixed. Zero when the matrix is singular (coincident sources).
func (fd *field) crowdedSNR(i int, radius float64) float64 {
	ids := []int{i}
	for j := range fd.x {
		if j != i && math.Hypot(fd.x[j]-fd.x[i], fd.y[j]-fd.y[i]) < radius {
			ids = append(ids, j)
		}
	}
	b := fd.around(fd.x[i], fd.y[i], window+int(math.Ceil(radius)))
	n := 3 * len(ids)
	fisher := mat.NewSymDense(n, nil)
	grad := make([]float64, n)
	for v := b.y0; v < b.y1; v++ {
		for u := b.x0; u < b.x1; u++ {
			for k, j := range ids {
				px, dpx := fd.pixelGauss(u, fd.x[j])
				py, dpy := fd.pixelGauss(v, fd.y[j])
				grad[3*k] = px * py              // ∂m/∂f
				grad[3*k+1] = fd.f[j] * dpx * py // ∂m/∂x
				grad[3*k+2] = fd.f[j] * px * dpy // ∂m/∂y
			}
			w := fd.gain / fd.model[v*fd.w+u]
			for a := 0; a < n; a++ {
				if grad[a] == 0 {
					continue
				}
				for c := a; c < n; c++ {
					fisher.SetSym(a, c, fisher.At(a, c)+w*grad[a]*grad[c])
				}
			}
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(fisher) {
		return 0
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return 0
	}
	if v := inv.At(0, 0); v > 0 {
		return fd.f[i] / math.Sqrt(v)
	}
	return 0
}

// snrBin is a half-open S/N range [lo, hi).
type snrBin struct{ lo, hi float64 }

func (b snrBin) String() string {
	switch {
	case math.IsInf(b.hi, 1) && b.lo == 0:
		return "all"
	case math.IsInf(b.hi, 1):
		return fmt.Sprintf("> %g", b.lo)
	}
	return fmt.Sprintf("%g–%g", b.lo, b.hi)
}

// binRow is the completeness of the true sources in one S/N bin.
type binRow struct {
	bin      snrBin
	n        int     // true sources inside the PCAT border
	medFlux  float64 // their median true flux
	tpr      [2][2]float64
	nStarNet int // true sources inside the StarNet border
}

// snrTable holds the completeness tables for both S/N definitions.
type snrTable struct {
	nTrue, nInside        int
	stampSumSq, sumSq     float64
	isoMin, isoMed        float64
	crowdMin, crowdMed    float64
	crowdAbove, isoAbove  int
	iso, crowded          []binRow
	bright                []binRow // sources with isolated S/N above the limit, by nearest-neighbour distance
	catalogues, ruleNames [2]string
}

// completenessBySNR computes both S/N of every true source and scores the ensemble and the
// condensed catalogue against the true sources of each S/N bin (all estimates kept: only the
// completeness, TPR, is meaningful per bin).
func completenessBySNR(o options, truthPath, ensemblePath, condensedPath string) (*snrTable, error) {
	tru, _, err := catalogue.ReadEstimates(truthPath)
	if err != nil {
		return nil, err
	}
	if len(tru) != 1 {
		return nil, fmt.Errorf("%s: not a single catalogue", truthPath)
	}
	t := tru[0]
	fd, err := newField(t.X, t.Y, t.Flux)
	if err != nil {
		return nil, err
	}
	iso := make([]float64, len(t.X))
	crowd := make([]float64, len(t.X))
	for i := range t.X {
		iso[i] = fd.isolatedSNR(i)
		crowd[i] = fd.crowdedSNR(i, o.neighbourRadius)
	}
	ens, err := catalogue.ReadEnsemble(ensemblePath)
	if err != nil {
		return nil, err
	}
	cond, _, err := catalogue.ReadEstimates(condensedPath)
	if err != nil {
		return nil, err
	}
	frame := score.Frame{W: fd.w, H: fd.h}
	ests := [2][]catalogue.Sample{ens, cond}
	rules := [2]score.Rule{score.PCATRule, score.StarNetRule}
	bins := []snrBin{{0, 5}, {5, 10}, {10, 20}, {20, 50}, {50, 100}, {100, math.Inf(1)},
		{o.snrLimit, math.Inf(1)}, {0, math.Inf(1)}}
	table := func(snr []float64, bins []snrBin) ([]binRow, error) {
		var rows []binRow
		for _, b := range bins {
			r := binRow{bin: b}
			var x, y, f []float64
			for i, s := range snr {
				if s >= b.lo && s < b.hi && !math.IsNaN(s) {
					x, y, f = append(x, t.X[i]), append(y, t.Y[i]), append(f, t.Flux[i])
				}
			}
			var inside []float64
			for i := range x {
				if x[i] > 2 && x[i] < float64(fd.w)-3 && y[i] > 2 && y[i] < float64(fd.h)-3 {
					inside = append(inside, f[i])
				}
			}
			if len(inside) > 0 {
				sort.Float64s(inside)
				r.medFlux = inside[len(inside)/2]
			}
			ref := score.NewReference(x, y, f, zeroPoint)
			for c := range ests {
				for k, rule := range rules {
					s, err := score.Ensemble(ref, ests[c], score.Options{Rule: rule, Frame: frame, ZeroPoint: zeroPoint})
					if err != nil {
						return nil, err
					}
					r.tpr[c][k] = float64(s.TPR)
					if k == 0 {
						r.n = s.NTruth
					} else {
						r.nStarNet = s.NTruth
					}
				}
			}
			rows = append(rows, r)
		}
		return rows, nil
	}
	tab := &snrTable{nTrue: len(t.X), catalogues: [2]string{"ensemble", fmt.Sprintf("condensed ≥ %g", o.prevalence)},
		ruleNames: [2]string{"PCAT", "StarNet"}}
	if tab.iso, err = table(iso, bins); err != nil {
		return nil, err
	}
	if tab.crowded, err = table(crowd, bins); err != nil {
		return nil, err
	}
	// Nearest true neighbour of each source with isolated S/N above the limit (NaN for the others).
	sep := make([]float64, len(t.X))
	for i := range t.X {
		sep[i] = math.NaN()
		if iso[i] < o.snrLimit {
			continue
		}
		sep[i] = math.Inf(1)
		for j := range t.X {
			if j != i {
				sep[i] = math.Min(sep[i], math.Hypot(t.X[j]-t.X[i], t.Y[j]-t.Y[i]))
			}
		}
	}
	if tab.bright, err = table(sep, []snrBin{{0, 1}, {1, 1.5}, {1.5, 2}, {2, 3}, {3, math.Inf(1)}, {0, math.Inf(1)}}); err != nil {
		return nil, err
	}
	tab.nInside = tab.iso[len(tab.iso)-1].n
	tab.stampSumSq, tab.sumSq = fd.stampSumSq, fd.analyticSumSq
	tab.isoMin, tab.isoMed, tab.isoAbove = summary(iso, o.snrLimit)
	tab.crowdMin, tab.crowdMed, tab.crowdAbove = summary(crowd, o.snrLimit)
	return tab, nil
}

// summary returns the minimum and median of s and how many exceed limit.
func summary(s []float64, limit float64) (lo, med float64, above int) {
	c := append([]float64(nil), s...)
	sort.Float64s(c)
	for _, v := range c {
		if v > limit {
			above++
		}
	}
	return c[0], c[len(c)/2], above
}

func (tab *snrTable) print(o options) {
	fmt.Printf("PSF: Σp² at a pixel centre %.5f (analytic pixel-integrated Gaussian of FWHM %g), %.5f (psf.Gaussian(%g).Stamp(0, 0)).\n\n",
		tab.sumSq, fwhm, tab.stampSumSq, fwhm)
	fmt.Printf("S/N of the %d true sources: isolated min %.1f, median %.1f, %d above %g; crowding-aware (neighbours within %g px) min %.2f, median %.1f, %d above %g.\n\n",
		tab.nTrue, tab.isoMin, tab.isoMed, tab.isoAbove, o.snrLimit, o.neighbourRadius, tab.crowdMin, tab.crowdMed, tab.crowdAbove, o.snrLimit)
	for _, part := range []struct {
		title string
		rows  []binRow
		col   string
	}{{"isolated S/N", tab.iso, "S/N"}, {fmt.Sprintf("crowding-aware S/N (neighbours within %g px)", o.neighbourRadius), tab.crowded, "S/N"},
		{fmt.Sprintf("distance to the nearest true neighbour, px, for the sources with isolated S/N > %g", o.snrLimit), tab.bright, "distance"}} {
		fmt.Printf("Completeness (TPR) by %s:\n\n", part.title)
		fmt.Printf("| %s | true (PCAT border) | median flux | %s PCAT | %s PCAT | true (StarNet border) | %s StarNet | %s StarNet |\n", part.col,
			tab.catalogues[0], tab.catalogues[1], tab.catalogues[0], tab.catalogues[1])
		fmt.Println("|---|---|---|---|---|---|---|---|")
		for _, r := range part.rows {
			fmt.Printf("| %s | %d | %.0f | %s | %s | %d | %s | %s |\n", r.bin, r.n, r.medFlux,
				fmtRatio(r.tpr[0][0]), fmtRatio(r.tpr[1][0]), r.nStarNet, fmtRatio(r.tpr[0][1]), fmtRatio(r.tpr[1][1]))
		}
		fmt.Println()
	}
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.3f", v)
}
