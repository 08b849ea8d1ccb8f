package catalogue

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/probcat/probcat/internal/tablefile"
)

// Bin widths of number counts: half a magnitude when the image has a zero point, else 0.2 dex
// of flux (the same factor of 10^0.2 ≈ 1.58 in flux as 0.5 mag).
const (
	CountMagWidth = 0.5
	CountFluxDex  = 0.2
)

// CountQuantiles are the probabilities of the quantiles of counts.parquet, in column order
// after the median: p05, p16, p84, p95.
var CountQuantiles = []float64{0.05, 0.16, 0.84, 0.95}

// QuantileRule says how the quantiles of counts are defined, for files' metadata and plots.
const QuantileRule = "empirical: the q-quantile is the smallest count c such that at least a fraction q of the samples have count ≤ c (gonum stat.Quantile, stat.Empirical); the median is q = 0.5"

// Binning assigns a source's flux to a bin of number counts: bins of CountMagWidth in
// magnitude when Magnitude is set (bin k holds magnitudes in [k·0.5, (k+1)·0.5)), else bins
// of CountFluxDex in log10 flux (bin k holds log10 flux in [k·0.2, (k+1)·0.2)). A flux with no
// finite magnitude or logarithm (≤ 0, NaN) has no bin.
type Binning struct {
	// Magnitude converts a flux to a magnitude (e.g. model.Image.Magnitude); nil bins fluxes.
	Magnitude func(flux float64) float64
}

// Magnitudes reports whether the bins are in magnitude.
func (b Binning) Magnitudes() bool { return b.Magnitude != nil }

// Bin returns the index of flux's bin, or false when it has none.
func (b Binning) Bin(flux float64) (int, bool) {
	var v float64
	if b.Magnitude != nil {
		v = math.Floor(b.Magnitude(flux) / CountMagWidth)
	} else {
		v = math.Floor(math.Log10(flux) / CountFluxDex)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
		return 0, false
	}
	return int(v), true
}

// Edges returns bin k's bounds, lo < hi, in magnitude or in flux.
func (b Binning) Edges(k int) (lo, hi float64) {
	if b.Magnitude != nil {
		return float64(k) * CountMagWidth, float64(k+1) * CountMagWidth
	}
	return math.Pow(10, float64(k)*CountFluxDex), math.Pow(10, float64(k+1)*CountFluxDex)
}

// CountBin is one bin of the posterior number counts: the bin's bounds (magnitudes or fluxes,
// Lo < Hi) and quantiles over samples of the number of sources in it (see QuantileRule).
type CountBin struct {
	Lo, Hi                     float64
	Median, P05, P16, P84, P95 float64
}

// Counts are the posterior number counts of an ensemble: for every bin from the one of the
// brightest sampled source to the one of the faintest (bins no sample fills included), the
// quantiles of the number of sources in that bin over the samples. Bins are in order of
// increasing Lo (bright to faint in magnitude, faint to bright in flux).
type Counts struct {
	// Magnitudes says the bins' bounds are magnitudes (else fluxes).
	Magnitudes bool
	// Samples is the number of samples the quantiles are over.
	Samples int
	Bins    []CountBin
	// Limit is the detection limit (see DetectionLimit) in the bins' unit, NaN when unknown.
	Limit float64
}

// Counter accumulates number counts sample by sample, so that an ensemble too large to hold
// (a merged tiled run) is counted as it streams by. Its memory is one integer per bin per
// sample. The zero value is not usable: see NewCounter.
type Counter struct {
	b   Binning
	n   int       // samples added
	lo  int       // bin index of per[0]
	per [][]int32 // per[k-lo][s]: sources of sample s in bin k (length up to n; missing = 0)
}

// NewCounter returns a Counter with the given binning.
func NewCounter(b Binning) *Counter { return &Counter{b: b} }

// Add counts one sample's sources, given by their fluxes. Sources whose flux has no bin (see
// Binning) are left out.
func (c *Counter) Add(flux []float64) {
	s := c.n
	c.n++
	for _, f := range flux {
		k, ok := c.b.Bin(f)
		if !ok {
			continue
		}
		switch {
		case len(c.per) == 0:
			c.lo = k
			c.per = [][]int32{nil}
		case k < c.lo:
			c.per = append(make([][]int32, c.lo-k), c.per...)
			c.lo = k
		case k >= c.lo+len(c.per):
			c.per = append(c.per, make([][]int32, k-c.lo-len(c.per)+1)...)
		}
		row := c.per[k-c.lo]
		if len(row) <= s {
			row = append(row, make([]int32, s+1-len(row))...)
		}
		row[s]++
		c.per[k-c.lo] = row
	}
}

// Counts returns the quantiles of the counts of every sample added so far.
func (c *Counter) Counts() *Counts {
	out := &Counts{Magnitudes: c.b.Magnitudes(), Samples: c.n, Limit: math.NaN()}
	if c.n == 0 {
		return out
	}
	x := make([]float64, c.n)
	for i, row := range c.per {
		clear(x)
		for s, v := range row {
			x[s] = float64(v)
		}
		slices.Sort(x)
		lo, hi := c.b.Edges(c.lo + i)
		q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, x, nil) }
		out.Bins = append(out.Bins, CountBin{Lo: lo, Hi: hi, Median: q(0.5),
			P05: q(CountQuantiles[0]), P16: q(CountQuantiles[1]), P84: q(CountQuantiles[2]), P95: q(CountQuantiles[3])})
	}
	return out
}

// CountSamples returns the posterior number counts of an ensemble: see Counts.
func CountSamples(samples []Sample, b Binning) *Counts {
	c := NewCounter(b)
	for i := range samples {
		c.Add(samples[i].Flux)
	}
	return c.Counts()
}

// DetectionPrevalence is the mean prevalence of the condensed sources of a bin below which the
// bin counts as undetected (see DetectionLimit).
const DetectionPrevalence = 0.5

// DetectionLimit returns where the condensed catalogue stops detecting sources: the faint edge
// (the magnitude mag_hi, or the flux flux_lo) of the faintest bin whose condensed sources have
// a mean prevalence of at least DetectionPrevalence, so that every fainter bin holding condensed
// sources has a lower mean prevalence: fainter than the limit, a source the condensed catalogue
// lists is present in fewer than half of the samples, on average. It returns false when no bin
// reaches DetectionPrevalence. The mean prevalence of a bin is a completeness proxy that needs
// no truth: where sources are detected they are in (almost) every sample, and where the
// sampler only proposes faint sources that the data do not require, they come and go.
func DetectionLimit(b Binning, cond []CondensedSource) (float64, bool) {
	sum, n := map[int]float64{}, map[int]int{}
	for _, s := range cond {
		if k, ok := b.Bin(s.Flux); ok {
			sum[k] += s.Prevalence
			n[k]++
		}
	}
	best, found := 0, false
	for k, m := range n {
		if sum[k]/float64(m) < DetectionPrevalence {
			continue
		}
		// The faintest bin: highest magnitude index, lowest flux index.
		if !found || (b.Magnitudes() && k > best) || (!b.Magnitudes() && k < best) {
			best, found = k, true
		}
	}
	if !found {
		return math.NaN(), false
	}
	lo, hi := b.Edges(best)
	if b.Magnitudes() {
		return hi, true
	}
	return lo, true
}

// Detection limit metadata key of counts.parquet (absent when there is none).
const DetectionLimitKey = "probcat.detection_limit"

// WriteCounts writes number counts to path (atomically), one row per bin: mag_lo, mag_hi (or
// flux_lo, flux_hi without a zero point), then median, p05, p16, p84, p95 of the number of
// sources in the bin over the samples. meta is added to the file's metadata, which also holds
// the binning (probcat.counts_binning), the quantile rule (probcat.counts_quantiles), the
// number of samples (probcat.samples) and, when c.Limit is finite, the detection limit
// (DetectionLimitKey: see DetectionLimit).
func WriteCounts(path string, c *Counts, meta map[string]string) error {
	lo, hi, binning := "flux_lo", "flux_hi", fmt.Sprintf("log10 flux (image units), bins of %g dex aligned to multiples of %g; flux_lo ≤ flux < flux_hi", CountFluxDex, CountFluxDex)
	if c.Magnitudes {
		lo, hi, binning = "mag_lo", "mag_hi", fmt.Sprintf("magnitude, bins of %g mag aligned to multiples of %g; mag_lo ≤ mag < mag_hi", CountMagWidth, CountMagWidth)
	}
	m := map[string]string{
		"probcat.counts_binning":   binning,
		"probcat.counts_quantiles": QuantileRule,
		"probcat.counts":           "median, p05, p16, p84, p95: quantiles over all kept samples of all chains of the number of sources in the image in the bin",
		"probcat.samples":          strconv.Itoa(c.Samples),
	}
	if !math.IsNaN(c.Limit) && !math.IsInf(c.Limit, 0) {
		m[DetectionLimitKey] = strconv.FormatFloat(c.Limit, 'g', -1, 64)
	}
	for k, v := range meta {
		m[k] = v
	}
	t, err := createTable(path, []tablefile.Column{{Name: lo, Kind: tablefile.Double}, {Name: hi, Kind: tablefile.Double},
		{Name: "median", Kind: tablefile.Double}, {Name: "p05", Kind: tablefile.Double}, {Name: "p16", Kind: tablefile.Double}, {Name: "p84", Kind: tablefile.Double}, {Name: "p95", Kind: tablefile.Double}}, m)
	if err != nil {
		return err
	}
	for _, b := range c.Bins {
		if err := t.Add(b.Lo, b.Hi, b.Median, b.P05, b.P16, b.P84, b.P95); err != nil {
			return err
		}
	}
	return t.Close()
}

// ReadCounts reads a file written by WriteCounts (Limit is NaN when the file has none).
func ReadCounts(path string) (*Counts, error) {
	tab, err := readTable(path, "median", "p05", "p16", "p84", "p95")
	if err != nil {
		return nil, err
	}
	out := &Counts{Limit: math.NaN()}
	lo, hi := tab.cols["mag_lo"], tab.cols["mag_hi"]
	if lo != nil && hi != nil {
		out.Magnitudes = true
	} else if lo, hi = tab.cols["flux_lo"], tab.cols["flux_hi"]; lo == nil || hi == nil {
		return nil, fmt.Errorf("%s: neither mag_lo, mag_hi nor flux_lo, flux_hi columns", path)
	}
	if v, ok := tab.meta["probcat.samples"]; ok {
		if out.Samples, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("%s: bad probcat.samples metadata %q", path, v)
		}
	}
	for i := range tab.rows {
		out.Bins = append(out.Bins, CountBin{Lo: lo[i], Hi: hi[i], Median: tab.cols["median"][i],
			P05: tab.cols["p05"][i], P16: tab.cols["p16"][i], P84: tab.cols["p84"][i], P95: tab.cols["p95"][i]})
	}
	if v, ok := tab.meta[DetectionLimitKey]; ok {
		if out.Limit, err = strconv.ParseFloat(v, 64); err != nil {
			return nil, fmt.Errorf("%s: bad %s metadata %q", path, DetectionLimitKey, v)
		}
	}
	return out, nil
}
