package score

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/order"
	"github.com/probcat/probcat/internal/pointgrid"
)

// Rule is a way of deciding whether an estimated source recovers a true one. A pair matches
// when their positions agree (within Radius in separation when Radius > 0; within HalfBox in
// both x and y when HalfBox > 0) and their magnitudes differ by less than MaxDeltaMag. Sources
// (true and estimated alike) closer than Border pixels to the image edge are left out.
type Rule struct {
	Name        string  `json:"name"`
	Border      float64 `json:"border"`
	Radius      float64 `json:"radius,omitempty"`
	HalfBox     float64 `json:"half_box,omitempty"`
	MaxDeltaMag float64 `json:"max_delta_mag"`
}

// PCATRule is the rule of Portillo et al. 2017: separation < 0.75 px, |Δmag| < 0.5, a 2.5 px
// border.
var PCATRule = Rule{Name: "pcat", Border: 2.5, Radius: 0.75, MaxDeltaMag: 0.5}

// StarNetRule is the rule of Liu, McAuliffe & Regier 2023: |Δx| < 0.5 and |Δy| < 0.5 px,
// |Δmag| < 0.5, a 5 px border.
var StarNetRule = Rule{Name: "starnet", Border: 5, HalfBox: 0.5, MaxDeltaMag: 0.5}

// RuleByName returns PCATRule for "pcat" and StarNetRule for "starnet".
func RuleByName(name string) (Rule, error) {
	switch strings.ToLower(name) {
	case "pcat":
		return PCATRule, nil
	case "starnet":
		return StarNetRule, nil
	}
	return Rule{}, fmt.Errorf("unknown scoring rule %q (want pcat or starnet)", name)
}

func (r Rule) validate() error {
	if (r.Radius > 0) == (r.HalfBox > 0) {
		return fmt.Errorf("scoring rule %q must set exactly one of radius and half box", r.Name)
	}
	if !(r.MaxDeltaMag > 0) || !(r.Border >= 0) {
		return fmt.Errorf("scoring rule %q needs a positive magnitude tolerance and a border ≥ 0", r.Name)
	}
	return nil
}

// reach is how far apart in x or y two matching sources can be.
func (r Rule) reach() float64 { return math.Max(r.Radius, r.HalfBox) }

func (r Rule) match(dx, dy, dmag float64) bool {
	if !(math.Abs(dmag) < r.MaxDeltaMag) {
		return false
	}
	if r.Radius > 0 {
		return dx*dx+dy*dy < r.Radius*r.Radius
	}
	return math.Abs(dx) < r.HalfBox && math.Abs(dy) < r.HalfBox
}

// Frame is the image a catalogue was made from, in the catalogues' pixel frame: pixel centres
// run from X0 to X0+W−1 and Y0 to Y0+H−1, so the image's edges lie half a pixel beyond them
// (at X0−½ and X0+W−½). The border of a rule is measured from these edges, as StarNet does
// with its pixel-edge coordinates.
type Frame struct {
	X0, Y0 float64
	W, H   int
}

// inside reports whether (x, y) lies more than border from every edge of the frame.
func (f Frame) inside(x, y, border float64) bool {
	return x-(f.X0-0.5) > border && (f.X0+float64(f.W)-0.5)-x > border &&
		y-(f.Y0-0.5) > border && (f.Y0+float64(f.H)-0.5)-y > border
}

// Reference is a truth catalogue: positions in the same pixel frame as the estimates and
// magnitudes.
type Reference struct {
	X, Y, Mag []float64
}

// Magnitude converts a flux to a magnitude with a zero point: zp − 2.5 log10(flux); NaN when
// the flux is not positive.
func Magnitude(flux, zp float64) float64 {
	if !(flux > 0) {
		return math.NaN()
	}
	return zp - 2.5*math.Log10(flux)
}

// NewReference makes a Reference from fluxes and the zero point that converts them.
func NewReference(x, y, flux []float64, zp float64) Reference {
	m := make([]float64, len(flux))
	for i, f := range flux {
		m[i] = Magnitude(f, zp)
	}
	return Reference{X: append([]float64(nil), x...), Y: append([]float64(nil), y...), Mag: m}
}

// Options says how to score.
type Options struct {
	Rule  Rule
	Frame Frame
	// ZeroPoint converts the estimated fluxes to magnitudes.
	ZeroPoint float64
	// BrightLimit and FaintLimit keep only sources with BrightLimit ≤ mag < FaintLimit, true
	// ones by their true magnitude and estimated ones by their estimated magnitude (0 means
	// no limit on that side).
	BrightLimit, FaintLimit float64
	// CountOnly makes the limits select what is counted, not what may match: every source
	// inside the frame may match, TPR counts the true sources inside the limits and PPV the
	// estimated ones, as completeness by true magnitude and purity by measured magnitude are
	// counted in artificial-star tests. An estimate of 19.6 that finds a true star of 19.9 is
	// then correct under a faint limit of 19.8. Without it both catalogues are cut before
	// matching, as StarNet's scoring does, and that estimate counts as false.
	CountOnly bool
	// BinWidth is the width of the magnitude bins (0 means 0.5 mag); bin edges are multiples
	// of it.
	BinWidth float64
}

// Ratio is a fraction that may be undefined (0/0); it marshals to JSON null when it is NaN.
type Ratio float64

// MarshalJSON writes null for NaN.
func (r Ratio) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(r)) || math.IsInf(float64(r), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(r))
}

// String gives the ratio to three decimals, or "—" when it is undefined.
func (r Ratio) String() string {
	if math.IsNaN(float64(r)) || math.IsInf(float64(r), 0) {
		return "—"
	}
	return strconv.FormatFloat(float64(r), 'f', 3, 64)
}

// UnmarshalJSON reads null as NaN.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = Ratio(math.NaN())
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*r = Ratio(f)
	return err
}

func ratio(a, b float64) Ratio {
	if b == 0 {
		return Ratio(math.NaN())
	}
	return Ratio(a / b)
}

// Score is the result of scoring an ensemble (or one catalogue, an ensemble of one) against a
// reference. TPR is the fraction of true sources found, averaged over the samples (PCAT's
// completeness); PPV is the fraction of estimated sources that are correct, pooled over all
// the ensemble's sources (1 − PCAT's false discovery rate); F1 = 2·TPR·PPV/(TPR + PPV).
// A true source is found when any estimate of the same sample matches it; an estimate is
// correct when it matches any true source (StarNet's semantics; PCAT's association is the same).
type Score struct {
	Rule    Rule `json:"rule"`
	Samples int  `json:"samples"`
	// NTruth is the number of true sources kept (inside the border and magnitude limits).
	NTruth int `json:"n_truth"`
	// NEstimated is the mean number of estimated sources kept per sample, and NInterval the
	// 5th and 95th percentiles of that number over the samples (the posterior's 90 % interval
	// of N inside the border and magnitude limits).
	NEstimated float64    `json:"n_estimated"`
	NInterval  [2]float64 `json:"n_estimated_5_95"`
	TPR        Ratio      `json:"tpr"`
	PPV        Ratio      `json:"ppv"`
	F1         Ratio      `json:"f1"`
	// Bins holds completeness by true magnitude and purity by estimated magnitude.
	Bins []Bin `json:"bins"`
}

// Bin is one magnitude bin [MagLo, MagHi): TPR is the completeness of the true sources
// whose true magnitude falls in it, PPV the purity of the estimates whose estimated magnitude
// falls in it, and FDR = 1 − PPV.
type Bin struct {
	MagLo      float64 `json:"mag_lo"`
	MagHi      float64 `json:"mag_hi"`
	NTruth     int     `json:"n_truth"`
	NEstimated float64 `json:"n_estimated"`
	TPR        Ratio   `json:"tpr"`
	PPV        Ratio   `json:"ppv"`
	FDR        Ratio   `json:"fdr"`
}

// Ensemble scores the samples against the truth under opt.
func Ensemble(truth Reference, samples []catalogue.Sample, opt Options) (*Score, error) {
	if err := opt.Rule.validate(); err != nil {
		return nil, err
	}
	if len(truth.Y) != len(truth.X) || len(truth.Mag) != len(truth.X) {
		return nil, fmt.Errorf("truth catalogue has %d x, %d y and %d magnitudes", len(truth.X), len(truth.Y), len(truth.Mag))
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("no sample to score")
	}
	if opt.Frame.W <= 0 || opt.Frame.H <= 0 {
		return nil, fmt.Errorf("image frame has size %d×%d", opt.Frame.W, opt.Frame.H)
	}
	width := opt.BinWidth
	if width == 0 {
		width = 0.5
	}
	if !(width > 0) {
		return nil, fmt.Errorf("magnitude bin width must be positive, got %g", width)
	}
	counted := func(mag float64) bool {
		return (opt.BrightLimit == 0 || mag >= opt.BrightLimit) && (opt.FaintLimit == 0 || mag < opt.FaintLimit)
	}
	inFrame := func(x, y, mag float64) bool {
		return opt.Frame.inside(x, y, opt.Rule.Border) && (opt.CountOnly || counted(mag))
	}
	// Truth that may match; tin marks what TPR counts.
	var tx, ty, tm []float64
	var tin []bool
	ntruth := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range truth.X {
		if inFrame(truth.X[i], truth.Y[i], truth.Mag[i]) {
			m := truth.Mag[i]
			tx, ty, tm = append(tx, truth.X[i]), append(ty, truth.Y[i]), append(tm, m)
			tin = append(tin, counted(m))
			if tin[len(tin)-1] {
				ntruth++
				if !math.IsNaN(m) {
					lo, hi = math.Min(lo, m), math.Max(hi, m)
				}
			}
		}
	}
	// Estimates that may match, per sample, with magnitudes; in marks what PPV counts.
	type est struct {
		x, y, m []float64
		in      []bool
	}
	ests := make([]est, len(samples))
	for s := range samples {
		sa := &samples[s]
		if len(sa.Y) != len(sa.X) || len(sa.Flux) != len(sa.X) {
			return nil, fmt.Errorf("sample %d of chain %d has mismatched columns", sa.Index, sa.Chain)
		}
		e := &ests[s]
		for i := range sa.X {
			m := Magnitude(sa.Flux[i], opt.ZeroPoint)
			if inFrame(sa.X[i], sa.Y[i], m) {
				e.x, e.y, e.m = append(e.x, sa.X[i]), append(e.y, sa.Y[i]), append(e.m, m)
				e.in = append(e.in, counted(m))
				if counted(m) && !math.IsNaN(m) {
					lo, hi = math.Min(lo, m), math.Max(hi, m)
				}
			}
		}
	}
	// Bins.
	var bins []Bin
	if lo <= hi {
		first := math.Floor(lo / width)
		n := int(math.Floor(hi/width)-first) + 1
		if n > 10000 {
			return nil, fmt.Errorf("magnitudes span %g to %g: too many bins of %g mag", lo, hi, width)
		}
		for b := 0; b < n; b++ {
			bins = append(bins, Bin{MagLo: (first + float64(b)) * width, MagHi: (first + float64(b) + 1) * width})
		}
	}
	binOf := func(m float64) int {
		if math.IsNaN(m) || len(bins) == 0 {
			return -1
		}
		b := int(math.Floor(m/width) - math.Floor(lo/width))
		if b < 0 || b >= len(bins) {
			return -1
		}
		return b
	}
	tbin := make([]int, len(tm))
	for i, m := range tm {
		tbin[i] = -1
		if tin[i] {
			tbin[i] = binOf(m)
		}
		if tbin[i] >= 0 {
			bins[tbin[i]].NTruth++
		}
	}
	found := make([]float64, len(bins))
	nest := make([]float64, len(bins))
	correct := make([]float64, len(bins))
	var foundAll, estAll, correctAll float64

	g := pointgrid.New(tx, ty, opt.Rule.reach())
	hit := make([]bool, len(tx))
	var rs [][2]int32
	counts := make([]float64, len(ests))
	for s := range ests {
		e := &ests[s]
		for _, in := range e.in {
			if in {
				counts[s]++
			}
		}
		clear(hit)
		for i := range e.x {
			ok := false
			rs = g.Near(e.x[i], e.y[i], rs)
			for _, r := range rs {
				for p := r[0]; p < r[1]; p++ {
					j := g.ID[p]
					if opt.Rule.match(e.x[i]-g.X[p], e.y[i]-g.Y[p], e.m[i]-tm[j]) {
						ok = true
						hit[j] = true
					}
				}
			}
			if !e.in[i] {
				continue
			}
			estAll++
			b := binOf(e.m[i])
			if b >= 0 {
				nest[b]++
			}
			if ok {
				correctAll++
				if b >= 0 {
					correct[b]++
				}
			}
		}
		for j, h := range hit {
			if h && tin[j] {
				foundAll++
				if tbin[j] >= 0 {
					found[tbin[j]]++
				}
			}
		}
	}
	ns := float64(len(samples))
	sc := &Score{
		Rule: opt.Rule, Samples: len(samples), NTruth: ntruth, NEstimated: estAll / ns,
		TPR: ratio(foundAll, ns*float64(ntruth)), PPV: ratio(correctAll, estAll),
	}
	sort.Float64s(counts)
	sc.NInterval = [2]float64{order.Percentile(counts, 5), order.Percentile(counts, 95)}
	sc.F1 = ratio(2*float64(sc.TPR)*float64(sc.PPV), float64(sc.TPR)+float64(sc.PPV))
	if sc.TPR == 0 && sc.PPV == 0 {
		sc.F1 = 0
	}
	for b := range bins {
		bins[b].NEstimated = nest[b] / ns
		bins[b].TPR = ratio(found[b], ns*float64(bins[b].NTruth))
		bins[b].PPV = ratio(correct[b], nest[b])
		bins[b].FDR = ratio(nest[b]-correct[b], nest[b])
	}
	sc.Bins = bins
	return sc, nil
}

// Curve is a published or otherwise external completeness or purity curve to compare our
// scores with: Value[i] at magnitude Mag[i] (a bin centre).
type Curve struct {
	Label      string
	Mag, Value []float64
}
