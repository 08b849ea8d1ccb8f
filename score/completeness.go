package score

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/probcat/probcat/internal/order"
)

// SkyOptions says how to score a catalogue against a reference on the sky.
type SkyOptions struct {
	// Radius is the match radius in arcseconds (inclusive).
	Radius float64
	// MagTol, when positive, also requires |Δmag| < MagTol of a match, where Δmag =
	// estimated − reference − the offset.
	MagTol float64
	// MagOffset is the offset (colour term) between the two magnitude systems: estimated ≈
	// reference + MagOffset.
	MagOffset float64
	// FitOffset fits MagOffset instead: the median of estimated − reference magnitude over the
	// one-to-one matches by position alone (every sample) whose reference magnitude is below
	// FitBright (0: the brightest quarter of those matches).
	FitOffset bool
	FitBright float64
	// BrightLimit and FaintLimit keep only sources with BrightLimit ≤ mag < FaintLimit,
	// reference ones by their magnitude and estimated ones by theirs minus the offset (0 means
	// no limit on that side).
	BrightLimit, FaintLimit float64
	// BinWidth is the width of the magnitude bins (0 means 0.5 mag); bin edges are multiples
	// of it.
	BinWidth float64
}

// SkyScore is the result of scoring an ensemble (or one catalogue) against a reference
// matched on the sky. Completeness (the fraction of reference sources matched) and purity
// (the fraction of estimated sources matched) are computed sample by sample; each comes with
// its 16th and 84th percentiles over the samples. The central completeness is the mean over
// samples, the central purity is pooled (matched over estimated, summed over samples).
type SkyScore struct {
	Match      string `json:"match"`
	Assignment string `json:"assignment"`
	// Radius is in arcseconds; MagTol is 0 when magnitudes were not compared.
	Radius float64 `json:"radius_arcsec"`
	MagTol float64 `json:"mag_tol"`
	// MagOffset is the offset used (estimated ≈ reference + offset); when fitted,
	// OffsetPairs matches brighter than OffsetBright (reference magnitude) gave it.
	MagOffset    float64 `json:"mag_offset"`
	OffsetFitted bool    `json:"mag_offset_fitted"`
	OffsetPairs  int     `json:"mag_offset_pairs,omitempty"`
	OffsetBright float64 `json:"mag_offset_bright_cut,omitempty"`
	Samples      int     `json:"samples"`
	// NTruth is the number of reference sources scored (after the selection and limits).
	NTruth int `json:"n_truth"`
	// NEstimated is the mean number of estimated sources scored per sample.
	NEstimated           float64  `json:"n_estimated"`
	Completeness         Ratio    `json:"completeness"`
	CompletenessInterval [2]Ratio `json:"completeness_16_84"`
	Purity               Ratio    `json:"purity"`
	PurityInterval       [2]Ratio `json:"purity_16_84"`
	F1                   Ratio    `json:"f1"`
	// Mag50 is the magnitude at which completeness falls to 50 %, interpolated linearly
	// between bin centres (null when the curve does not cross 50 %).
	Mag50 Ratio `json:"mag_50"`
	// Bins hold completeness by reference magnitude and purity by estimated magnitude
	// minus the offset, in the same bins.
	Bins []SkyBin `json:"bins"`
	// Matches are the pairs of the first sample, in order of increasing separation.
	Matches []SkyMatch `json:"-"`
	// MatchChain and MatchSample identify the first sample.
	MatchChain, MatchSample int `json:"-"`
}

// SkyMatch is one pair of a match: each side's row in its file (0-based, data rows only),
// position and magnitude, their separation in arcseconds and Δmag = estimated − reference −
// the offset.
type SkyMatch struct {
	RefRow, EstRow        int
	RefRA, RefDec, RefMag float64
	RA, Dec, Mag          float64
	Sep, DMag             float64
}

// SkyBin is one magnitude bin [MagLo, MagHi) of a SkyScore.
type SkyBin struct {
	MagLo                float64  `json:"mag_lo"`
	MagHi                float64  `json:"mag_hi"`
	NTruth               int      `json:"n_truth"`
	NEstimated           float64  `json:"n_estimated"`
	Completeness         Ratio    `json:"completeness"`
	CompletenessInterval [2]Ratio `json:"completeness_16_84"`
	Purity               Ratio    `json:"purity"`
	PurityInterval       [2]Ratio `json:"purity_16_84"`
}

// Assignment describes how Sky pairs sources.
const Assignment = "one-to-one, greedy nearest first"

// Sky scores the samples against the reference on the sky under opt. Samples are matched
// in parallel (GOMAXPROCS workers); the result does not depend on their number.
func Sky(ref *SkyCatalogue, samples []SkySample, opt SkyOptions) (*SkyScore, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("no sample to score")
	}
	width := opt.BinWidth
	if width == 0 {
		width = 0.5
	}
	if !(width > 0) {
		return nil, fmt.Errorf("magnitude bin width must be positive, got %g", width)
	}
	for s := range samples {
		sa := &samples[s]
		if len(sa.Dec) != len(sa.RA) || len(sa.Mag) != len(sa.RA) {
			return nil, fmt.Errorf("sample %d of chain %d has mismatched columns", sa.Index, sa.Chain)
		}
	}
	sc := &SkyScore{Match: "sky", Assignment: Assignment, Radius: opt.Radius, MagTol: opt.MagTol,
		MagOffset: opt.MagOffset, Samples: len(samples), MatchChain: samples[0].Chain, MatchSample: samples[0].Index}
	inLimits := func(m float64) bool {
		if !finite(m) {
			return false
		}
		if opt.BrightLimit != 0 && !(m >= opt.BrightLimit) {
			return false
		}
		return opt.FaintLimit == 0 || m < opt.FaintLimit
	}
	// Reference sources inside the limits.
	kept := SkyCatalogue{}
	for i := range ref.RA {
		if inLimits(ref.Mag[i]) {
			kept.RA, kept.Dec, kept.Mag = append(kept.RA, ref.RA[i]), append(kept.Dec, ref.Dec[i]), append(kept.Mag, ref.Mag[i])
			kept.Row = append(kept.Row, int32(ref.FileRow(i)))
		}
	}
	if kept.Len() == 0 {
		return nil, fmt.Errorf("no reference source within the magnitude limits")
	}
	if opt.FitOffset {
		m, err := NewSkyMatcher(&kept, opt.Radius, 0, 0)
		if err != nil {
			return nil, err
		}
		var pairs [][2]float64 // reference magnitude, estimated − reference
		for s := range samples {
			for _, p := range m.Match(&samples[s].SkyCatalogue) {
				if finite(p.DMag) {
					pairs = append(pairs, [2]float64{kept.Mag[p.Ref], p.DMag})
				}
			}
		}
		cut := opt.FitBright
		if cut == 0 && len(pairs) > 0 {
			mags := make([]float64, len(pairs))
			for i, p := range pairs {
				mags[i] = p[0]
			}
			sort.Float64s(mags)
			cut = mags[(len(mags)-1)/4] + 1e-9
		}
		var d []float64
		for _, p := range pairs {
			if p[0] < cut {
				d = append(d, p[1])
			}
		}
		if len(d) == 0 {
			return nil, fmt.Errorf("no match by position brighter than %g to fit the magnitude offset", cut)
		}
		sort.Float64s(d)
		sc.MagOffset, sc.OffsetFitted, sc.OffsetPairs, sc.OffsetBright = order.Percentile(d, 50), true, len(d), cut
	}
	// Estimated sources inside the limits, by their magnitude minus the offset.
	est := make([]SkyCatalogue, len(samples))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range kept.Mag {
		lo, hi = math.Min(lo, m), math.Max(hi, m)
	}
	for s := range samples {
		sa := &samples[s].SkyCatalogue
		all := true
		for i := range sa.RA {
			if !inLimits(sa.Mag[i]-sc.MagOffset) || !finite(sa.RA[i]) || !finite(sa.Dec[i]) {
				all = false
				break
			}
		}
		if all {
			est[s] = *sa
		} else {
			for i := range sa.RA {
				if inLimits(sa.Mag[i]-sc.MagOffset) && finite(sa.RA[i]) && finite(sa.Dec[i]) {
					e := &est[s]
					e.RA, e.Dec, e.Mag = append(e.RA, sa.RA[i]), append(e.Dec, sa.Dec[i]), append(e.Mag, sa.Mag[i])
					e.Row = append(e.Row, int32(sa.FileRow(i)))
				}
			}
		}
		for _, m := range est[s].Mag {
			lo, hi = math.Min(lo, m-sc.MagOffset), math.Max(hi, m-sc.MagOffset)
		}
	}
	first := math.Floor(lo / width)
	nb := int(math.Floor(hi/width)-first) + 1
	if nb > 10000 {
		return nil, fmt.Errorf("magnitudes span %g to %g: too many bins of %g mag", lo, hi, width)
	}
	binOf := func(m float64) int { return min(max(int(math.Floor(m/width)-first), 0), nb-1) }
	sc.Bins = make([]SkyBin, nb)
	for b := range sc.Bins {
		sc.Bins[b].MagLo, sc.Bins[b].MagHi = (first+float64(b))*width, (first+float64(b)+1)*width
	}
	refBin := make([]int, kept.Len())
	for j, m := range kept.Mag {
		refBin[j] = binOf(m)
		sc.Bins[refBin[j]].NTruth++
	}
	sc.NTruth = kept.Len()

	m, err := NewSkyMatcher(&kept, opt.Radius, opt.MagTol, sc.MagOffset)
	if err != nil {
		return nil, err
	}
	// Per sample and bin (the last slot is the total): reference sources found, estimated
	// sources, estimated sources matched.
	type tally struct{ found, nest, correct []int }
	tallies := make([]tally, len(samples))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, min(runtime.GOMAXPROCS(0), len(samples))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cands []candidate
			for s := range next {
				t := tally{make([]int, nb+1), make([]int, nb+1), make([]int, nb+1)}
				e := &est[s]
				for _, mg := range e.Mag {
					t.nest[binOf(mg-sc.MagOffset)]++
				}
				t.nest[nb] = e.Len()
				var pairs []SkyPair
				pairs, cands = m.match(e, cands)
				for _, p := range pairs {
					t.found[refBin[p.Ref]]++
					t.correct[binOf(e.Mag[p.Est]-sc.MagOffset)]++
				}
				t.found[nb], t.correct[nb] = len(pairs), len(pairs)
				tallies[s] = t
				if s == 0 {
					for _, p := range pairs {
						i, j := p.Est, p.Ref
						sc.Matches = append(sc.Matches, SkyMatch{RefRow: kept.FileRow(j), EstRow: e.FileRow(i),
							RefRA: kept.RA[j], RefDec: kept.Dec[j], RefMag: kept.Mag[j],
							RA: e.RA[i], Dec: e.Dec[i], Mag: e.Mag[i], Sep: p.Sep, DMag: p.DMag})
					}
				}
			}
		}()
	}
	for s := range samples {
		next <- s
	}
	close(next)
	wg.Wait()

	// summarise returns the mean completeness and pooled purity of bin b (nb: all) with their
	// 16–84 % intervals over samples, and the mean number of estimated sources.
	ns := float64(len(samples))
	summarise := func(b, ntruth int) (c Ratio, ci [2]Ratio, p Ratio, pi [2]Ratio, n float64) {
		var cs, ps []float64
		var found, nest, correct float64
		for _, t := range tallies {
			found += float64(t.found[b])
			nest += float64(t.nest[b])
			correct += float64(t.correct[b])
			if ntruth > 0 {
				cs = append(cs, float64(t.found[b])/float64(ntruth))
			}
			if t.nest[b] > 0 {
				ps = append(ps, float64(t.correct[b])/float64(t.nest[b]))
			}
		}
		c, p = ratio(found, ns*float64(ntruth)), ratio(correct, nest)
		return c, interval(cs), p, interval(ps), nest / ns
	}
	sc.Completeness, sc.CompletenessInterval, sc.Purity, sc.PurityInterval, sc.NEstimated = summarise(nb, sc.NTruth)
	for b := range sc.Bins {
		bn := &sc.Bins[b]
		bn.Completeness, bn.CompletenessInterval, bn.Purity, bn.PurityInterval, bn.NEstimated = summarise(b, bn.NTruth)
	}
	sc.F1 = ratio(2*float64(sc.Completeness)*float64(sc.Purity), float64(sc.Completeness)+float64(sc.Purity))
	if sc.Completeness == 0 && sc.Purity == 0 {
		sc.F1 = 0
	}
	sc.Mag50 = Ratio(mag50(sc.Bins))
	return sc, nil
}

// interval returns the 16th and 84th percentiles of v (NaN when v is empty).
func interval(v []float64) [2]Ratio {
	sort.Float64s(v)
	return [2]Ratio{Ratio(order.Percentile(v, 16)), Ratio(order.Percentile(v, 84))}
}

// mag50 is where completeness, going from bright to faint bins with reference sources, first
// falls below 0.5 after having been at or above it: interpolated linearly between the two bin
// centres. NaN when it never does.
func mag50(bins []SkyBin) float64 {
	prevM, prevC := math.NaN(), math.NaN()
	for _, b := range bins {
		c := float64(b.Completeness)
		if b.NTruth == 0 || math.IsNaN(c) {
			continue
		}
		m := (b.MagLo + b.MagHi) / 2
		if c < 0.5 && prevC >= 0.5 {
			return prevM + (prevC-0.5)/(prevC-c)*(m-prevM)
		}
		prevM, prevC = m, c
	}
	return math.NaN()
}
