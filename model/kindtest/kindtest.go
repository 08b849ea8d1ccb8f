// Package kindtest checks that a model.SourceKind keeps the contract the sampler relies on,
// as testing/fstest does for file systems. A researcher who writes a new kind runs it from a
// test in one line:
//
//	func TestMyKind(t *testing.T) { kindtest.Test(t, myKind) }
//
// Each check is a subtest, and a failure says which part of the contract is broken: the
// parameter list, a normalised prior that SamplePrior draws from, a Perturb whose Hastings
// term is right (a Metropolis–Hastings chain built on it must keep the prior), and a Render
// that is linear in its sign, conserves flux, is centred on (x, y), clips to the box it is
// given and adds no light beyond Radius (or RadiusOf, for a model.SourceRadius) from the
// anchor pixel (⌈x⌉, ⌈y⌉).
//
// The checks are statistical with fixed seeds and thresholds far in the tails (the false-alarm
// rate of a correct kind is below 10⁻⁴ per check), so a kind either passes every time or fails
// every time.
package kindtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"gonum.org/v1/gonum/stat"
)

// Test runs every check of the SourceKind contract on kind.
func Test(t *testing.T, kind model.SourceKind) {
	t.Helper()
	t.Run("params", func(t *testing.T) { checkParams(t, kind) })
	if t.Failed() {
		return
	}
	t.Run("prior-normalised", func(t *testing.T) { checkNormalised(t, kind) })
	t.Run("perturb-keeps-prior", func(t *testing.T) { checkPerturb(t, kind) })
	t.Run("render", func(t *testing.T) { checkRender(t, kind) })
}

// draws returns n parameter vectors drawn by SamplePrior.
func draws(kind model.SourceKind, rng *rand.Rand, n int) [][]float64 {
	p := len(kind.Params())
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, p)
		kind.SamplePrior(rng, out[i])
	}
	return out
}

// checkParams checks the names, the radius and that prior draws lie in the support.
func checkParams(t testing.TB, kind model.SourceKind) {
	if kind.Name() == "" {
		t.Error("Name is empty")
	}
	ps := kind.Params()
	if len(ps) == 0 || ps[0] != "flux" {
		t.Fatalf("Params() = %q: the first parameter must be \"flux\"", ps)
	}
	if r := kind.Radius(); r < 0 {
		t.Errorf("Radius() = %d, negative", r)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, th := range draws(kind, rng, 2000) {
		lp := kind.LogPrior(th)
		if math.IsNaN(lp) || math.IsInf(lp, 0) {
			t.Fatalf("SamplePrior drew %v, where LogPrior is %g", th, lp)
		}
		if !(th[0] > 0) {
			t.Fatalf("SamplePrior drew a flux of %g", th[0])
		}
	}
}

// checkNormalised compares, in boxes around the middle of the prior, the fraction of
// SamplePrior's draws that fall inside with the integral of exp(LogPrior) over the box
// (Monte Carlo, uniform in the box). Their ratio is the prior's normalisation, which must be 1:
// the sampler's dimension-changing moves compare priors of catalogues of different sizes, so
// a constant left out of LogPrior ("0 where it is flat") biases the number of sources.
// Parameters that take at most 16 values in the draws (a mixed kind's "kind") are discrete:
// the check runs for each combination of their values that holds 5 % of the draws or more,
// with the discrete values and any parameter constant among those draws (one a kind does not
// have) held fixed, so LogPrior is then a mass in them and a density in the rest.
func checkNormalised(t testing.TB, kind model.SourceKind) {
	const n = 40000
	rng := rand.New(rand.NewPCG(3, 4))
	th := draws(kind, rng, n)
	p := len(kind.Params())
	discrete := make([]bool, p)
	for k := range p {
		seen := map[float64]bool{}
		for _, v := range th {
			if seen[v[k]] = true; len(seen) > 16 {
				break
			}
		}
		discrete[k] = len(seen) <= 16
	}
	groups := map[string][]int{}
	var keys []string
	for i, v := range th {
		key := ""
		for k := range p {
			if discrete[k] {
				key += fmt.Sprint(v[k], " ")
			}
		}
		if groups[key] == nil {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], i)
	}
	sort.Strings(keys)
	checked := 0
	for _, key := range keys {
		sub := groups[key]
		if len(sub) < n/20 {
			continue
		}
		fixed := make([]bool, p)
		for k := range p {
			fixed[k] = true
			for _, i := range sub {
				if th[i][k] != th[sub[0]][k] {
					fixed[k] = false
					break
				}
			}
		}
		for _, width := range []float64{0.5, 1} {
			lo, hi := make([]float64, p), make([]float64, p)
			vol := 1.0
			for k := range p {
				if fixed[k] {
					lo[k], hi[k] = th[sub[0]][k], th[sub[0]][k]
					continue
				}
				col := make([]float64, len(sub))
				for j, i := range sub {
					col[j] = th[i][k]
				}
				sort.Float64s(col)
				m := len(col)
				q25, q50, q75 := col[m/4], col[m/2], col[3*m/4]
				half := width * (q75 - q25) / 2
				if !(half > 0) {
					t.Fatalf("parameter %q has no spread in %d prior draws", kind.Params()[k], m)
				}
				lo[k], hi[k] = q50-half, q50+half
				vol *= hi[k] - lo[k]
			}
			in := 0
			for _, i := range sub {
				inside := true
				for k := range p {
					inside = inside && (fixed[k] || th[i][k] >= lo[k] && th[i][k] < hi[k])
				}
				if inside {
					in++
				}
			}
			if in < 400 {
				continue // too few draws in the box to judge
			}
			frac := float64(in) / n
			u := make([]float64, p)
			var s, s2 float64
			for range n {
				for k := range p {
					u[k] = lo[k]
					if !fixed[k] {
						u[k] += (hi[k] - lo[k]) * rng.Float64()
					}
				}
				v := math.Exp(kind.LogPrior(u)) * vol
				s += v
				s2 += v * v
			}
			mass := s / n
			se := math.Sqrt(max(s2/n-mass*mass, 0) / n)
			ratio := mass / frac
			// the ratio's relative error: the binomial fraction's and the Monte Carlo integral's
			rel := math.Hypot(math.Sqrt((1-frac)/(frac*n)), se/mass)
			t.Logf("box %.1f × IQR%s: %d of %d draws inside (%.4f), ∫ exp(LogPrior) = %.4f ± %.4f: normalisation %.4f ± %.4f", width, discreteNote(key), in, n, frac, mass, se, ratio, ratio*rel)
			if math.Abs(ratio-1) > 5*rel+0.01 {
				t.Errorf("LogPrior integrates to %.4f times the probability SamplePrior puts in the box %v–%v: it must be a normalised density (and SamplePrior must draw from it)", ratio, lo, hi)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatalf("no box held enough prior draws to check the normalisation")
	}
}

// discreteNote describes the discrete parameters' values of a box, if any.
func discreteNote(key string) string {
	if key == "" {
		return ""
	}
	return " (discrete parameters " + strings.TrimSpace(key) + ")"
}

// checkPerturb runs a Metropolis–Hastings chain that targets the prior with Perturb's proposals
// and Hastings term, and compares its thinned states with SamplePrior's draws, parameter by
// parameter (two-sample Kolmogorov–Smirnov). A wrong Hastings term moves the chain's
// distribution away from the prior.
func checkPerturb(t testing.TB, kind model.SourceKind) {
	const (
		n    = 4000
		thin = 50
	)
	p := len(kind.Params())
	rng := rand.New(rand.NewPCG(5, 6))
	cur, next := make([]float64, p), make([]float64, p)
	kind.SamplePrior(rng, cur)
	lp := kind.LogPrior(cur)
	chain := make([][]float64, 0, n)
	accepted := 0
	for i := range n * thin {
		lq := kind.Perturb(rng, cur, next, 1)
		lpn := kind.LogPrior(next)
		if math.IsNaN(lq) {
			t.Fatalf("Perturb returned a NaN Hastings term from %v to %v", cur, next)
		}
		if !math.IsInf(lpn, -1) && math.Log(rng.Float64()) < lpn-lp+lq {
			cur, next = next, cur
			lp = lpn
			accepted++
		}
		if i%thin == thin-1 {
			chain = append(chain, slices.Clone(cur))
		}
	}
	rate := float64(accepted) / float64(n*thin)
	if rate < 0.05 {
		t.Fatalf("Perturb's proposals are accepted %.3f of the time under the prior alone: steps of scale 1 should be typical steps", rate)
	}
	ref := draws(kind, rng, n)
	for k, name := range kind.Params() {
		a, b := make([]float64, n), make([]float64, n)
		for i := range n {
			a[i], b[i] = chain[i][k], ref[i][k]
		}
		sort.Float64s(a)
		sort.Float64s(b)
		d := stat.KolmogorovSmirnov(a, nil, b, nil)
		// √(n/2)·D: 1.95 is the 0.1 % point for independent samples; the thinned chain's
		// residual correlation widens it, so 2.6 leaves room for that and still catches a
		// wrong Hastings term, which moves it by 10 and more
		z := math.Sqrt(float64(n)/2) * d
		t.Logf("%s: acceptance %.3f, KS √(n/2)·D = %.2f", name, rate, z)
		if z > 2.6 {
			t.Errorf("parameter %q: a Metropolis–Hastings chain with Perturb's Hastings term does not keep the prior (KS √(n/2)·D = %.2f): check the returned ln q(old|new) − ln q(new|old)", name, z)
		}
	}
}

// checkRender renders prior draws at sub-pixel positions into a box much larger than the
// stamp and checks where the light goes.
func checkRender(t testing.TB, kind model.SourceKind) {
	R := kind.Radius()
	size := 2*R + 9
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 40 {
		th := make([]float64, len(kind.Params()))
		kind.SamplePrior(rng, th)
		th[0] = 1000
		c := float64(size / 2)
		x, y := c+rng.Float64()-0.5, c+rng.Float64()-0.5
		if trial < 4 { // the edges of the anchor's range: x just above an integer and at one
			x, y = c+float64(trial%2)*1e-9, c+float64(trial/2)
		}
		box := model.Box{Pix: make([]float32, size*size), Stride: size, W: size, H: size}
		kind.Render(box, x, y, th, 1)
		ax, ay := model.Anchor(x), model.Anchor(y)
		R := R
		if sr, ok := kind.(model.SourceRadius); ok {
			if R = sr.RadiusOf(th); R > kind.Radius() || R < 0 {
				t.Fatalf("%v: RadiusOf is %d, outside [0, Radius() = %d]", th, R, kind.Radius())
			}
		}
		var sum, sx, sy float64
		for py := range size {
			for px := range size {
				v := float64(box.Pix[py*size+px])
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%v at (%g, %g): pixel (%d, %d) is %g", th, x, y, px, py, v)
				}
				if v != 0 && (abs(px-ax) > R || abs(py-ay) > R) {
					t.Fatalf("%v at (%g, %g): light %g at pixel (%d, %d), beyond the radius %d (Radius, or RadiusOf) of the anchor pixel (%d, %d) = (⌈x⌉, ⌈y⌉); the sampler's proposals would leave it out", th, x, y, v, px, py, R, ax, ay)
				}
				sum += v
				sx += v * float64(px)
				sy += v * float64(py)
			}
		}
		if math.Abs(sum/th[0]-1) > 0.05 {
			t.Errorf("%v at (%g, %g): rendered light %g for a flux of %g (more than 5 %% off)", th, x, y, sum, th[0])
		}
		if cx, cy := sx/sum, sy/sum; math.Hypot(cx-x, cy-y) > 0.1 {
			t.Errorf("%v at (%g, %g): light centred at (%.3f, %.3f): the position must be the light's centre, with pixel centres at integers", th, x, y, cx, cy)
		}
		// sign −1 removes what +1 added
		kind.Render(box, x, y, th, -1)
		for i, v := range box.Pix {
			if math.Abs(float64(v)) > 1e-5*th[0] {
				t.Fatalf("%v at (%g, %g): rendering with sign +1 then −1 leaves %g at pixel %d", th, x, y, v, i)
			}
		}
		// a sub-box gets exactly the pixels of the full render that it holds
		full := model.Box{Pix: make([]float32, size*size), Stride: size, W: size, H: size}
		kind.Render(full, x, y, th, 1)
		x0, y0 := int(c)-R/2, int(c)+1
		w, h := R+1, R/2+1
		sub := model.Box{Pix: make([]float32, (h-1)*(w+3)+w), Stride: w + 3, X0: x0, Y0: y0, W: w, H: h}
		kind.Render(sub, x, y, th, 1)
		for py := range h {
			for px := range w {
				got := sub.Pix[py*sub.Stride+px]
				want := full.Pix[(py+y0)*size+px+x0]
				if math.Abs(float64(got-want)) > 1e-6*th[0] {
					t.Fatalf("%v at (%g, %g): pixel (%d, %d) is %g rendered into a sub-box, %g in the full box", th, x, y, px+x0, py+y0, got, want)
				}
			}
			for px := w; px < sub.Stride && py*sub.Stride+px < len(sub.Pix); px++ {
				if sub.Pix[py*sub.Stride+px] != 0 {
					t.Fatalf("%v at (%g, %g): Render wrote past the sub-box's width into its row padding", th, x, y)
				}
			}
		}
	}
}

func abs(v int) int { return max(v, -v) }
