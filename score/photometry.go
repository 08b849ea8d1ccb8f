package score

import (
	"fmt"
	"math"
	"sort"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/internal/pointgrid"
)

// PhotometryBin is the photometric error of the recovered sources of one bin of true
// magnitude [MagLo, MagHi), as artificial-star tests report it: Δmag = estimated − true over
// the matched pairs of every sample, pooled.
type PhotometryBin struct {
	MagLo float64 `json:"mag_lo"`
	MagHi float64 `json:"mag_hi"`
	// Pairs is the number of matched pairs, pooled over samples.
	Pairs int `json:"pairs"`
	// Bias is the median Δmag, and Scatter half the width of its 16–84 % interval (σ for a
	// Gaussian); NaN (JSON null) without pairs.
	Bias    Ratio `json:"bias"`
	Scatter Ratio `json:"scatter"`
}

// Photometry measures the photometric bias and scatter by true magnitude: each true source
// (kept by opt as in Ensemble) is paired in each sample with the nearest estimate that
// matches it under opt.Rule, whose magnitude tolerance therefore bounds |Δmag|. Bins are
// opt.BinWidth wide (0.5 mag by default) on multiples of it, from the brightest true
// magnitude to the faintest.
func Photometry(truth Reference, samples []catalogue.Sample, opt Options) ([]PhotometryBin, error) {
	if err := opt.Rule.validate(); err != nil {
		return nil, err
	}
	if len(truth.Y) != len(truth.X) || len(truth.Mag) != len(truth.X) {
		return nil, fmt.Errorf("truth catalogue has %d x, %d y and %d magnitudes", len(truth.X), len(truth.Y), len(truth.Mag))
	}
	width := opt.BinWidth
	if width == 0 {
		width = 0.5
	}
	if !(width > 0) {
		return nil, fmt.Errorf("magnitude bin width must be positive, got %g", width)
	}
	inLimits := func(m float64) bool {
		return (opt.BrightLimit == 0 || m >= opt.BrightLimit) && (opt.FaintLimit == 0 || m < opt.FaintLimit)
	}
	var tx, ty, tm []float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range truth.X {
		m := truth.Mag[i]
		if math.IsNaN(m) || !inLimits(m) || !opt.Frame.inside(truth.X[i], truth.Y[i], opt.Rule.Border) {
			continue
		}
		tx, ty, tm = append(tx, truth.X[i]), append(ty, truth.Y[i]), append(tm, m)
		lo, hi = math.Min(lo, m), math.Max(hi, m)
	}
	if len(tm) == 0 {
		return nil, nil
	}
	first := math.Floor(lo / width)
	n := int(math.Floor(hi/width)-first) + 1
	if n > 10000 {
		return nil, fmt.Errorf("magnitudes span %g to %g: too many bins of %g mag", lo, hi, width)
	}
	deltas := make([][]float64, n)
	reach := opt.Rule.reach()
	for s := range samples {
		sa := &samples[s]
		if len(sa.Y) != len(sa.X) || len(sa.Flux) != len(sa.X) {
			return nil, fmt.Errorf("sample %d of chain %d has mismatched columns", sa.Index, sa.Chain)
		}
		var ex, ey, em []float64
		for i := range sa.X {
			m := Magnitude(sa.Flux[i], opt.ZeroPoint)
			if !math.IsNaN(m) && inLimits(m) {
				ex, ey, em = append(ex, sa.X[i]), append(ey, sa.Y[i]), append(em, m)
			}
		}
		g := pointgrid.New(ex, ey, reach)
		var rs [][2]int32
		for j := range tx {
			best, bestD := -1, math.Inf(1)
			rs = g.Near(tx[j], ty[j], rs)
			for _, r := range rs {
				for p := r[0]; p < r[1]; p++ {
					dx, dy := g.X[p]-tx[j], g.Y[p]-ty[j]
					i := g.ID[p]
					if d := dx*dx + dy*dy; d < bestD && opt.Rule.match(dx, dy, em[i]-tm[j]) {
						best, bestD = int(i), d
					}
				}
			}
			if best >= 0 {
				b := int(math.Floor(tm[j]/width) - first)
				deltas[b] = append(deltas[b], em[best]-tm[j])
			}
		}
	}
	bins := make([]PhotometryBin, n)
	for b := range bins {
		d := deltas[b]
		sort.Float64s(d)
		bins[b] = PhotometryBin{MagLo: (first + float64(b)) * width, MagHi: (first + float64(b) + 1) * width, Pairs: len(d),
			Bias: Ratio(order.Percentile(d, 50)), Scatter: Ratio(order.HalfWidth68(d))}
	}
	return bins, nil
}
