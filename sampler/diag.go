package sampler

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/probcat/probcat/internal/order"
)

// Convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021, Bayesian
// Analysis 16:667), as in Stan: chains are split in halves, draws are replaced by the normal
// scores of their pooled ranks, R-hat is the larger of the bulk and the folded (tail) value,
// and the effective sample size uses the multi-chain autocorrelation with Geyer's initial
// monotone sequence. Each series is one chain's draws of a scalar (N, total flux, …).

// SplitRHat returns the rank-normalised split-R̂ of a scalar over chains (each chain at least
// 4 draws, all of the same length). Values near 1 indicate convergence; 1.01–1.05 are the
// usual thresholds. It returns NaN when the draws are constant or too few.
func SplitRHat(chains [][]float64) float64 {
	sp := splitChains(chains)
	if sp == nil {
		return math.NaN()
	}
	bulk := rhat(rankNormalise(sp))
	fold := make([][]float64, len(sp))
	med := median(sp)
	for i, c := range sp {
		fold[i] = make([]float64, len(c))
		for j, v := range c {
			fold[i][j] = math.Abs(v - med)
		}
	}
	tail := rhat(rankNormalise(fold))
	if math.IsNaN(bulk) {
		return tail
	}
	if math.IsNaN(tail) {
		return bulk
	}
	return math.Max(bulk, tail)
}

// EffectiveSampleSize returns the bulk effective sample size of a scalar over chains: the
// number of independent draws carrying the same information about its posterior mean. It
// returns NaN when the draws are constant or too few.
func EffectiveSampleSize(chains [][]float64) float64 {
	sp := splitChains(chains)
	if sp == nil {
		return math.NaN()
	}
	return ess(rankNormalise(sp))
}

// splitChains cuts every chain in two halves (dropping the middle draw of odd lengths).
func splitChains(chains [][]float64) [][]float64 {
	if len(chains) == 0 {
		return nil
	}
	n := len(chains[0])
	for _, c := range chains {
		if len(c) != n {
			return nil
		}
	}
	if n < 4 {
		return nil
	}
	h := n / 2
	out := make([][]float64, 0, 2*len(chains))
	for _, c := range chains {
		out = append(out, c[:h], c[n-h:])
	}
	return out
}

// rankNormalise replaces draws by Φ⁻¹((r − 3/8)/(S + 1/4)) of their pooled average ranks r.
func rankNormalise(chains [][]float64) [][]float64 {
	type item struct {
		v    float64
		c, i int
	}
	var all []item
	for c, ch := range chains {
		for i, v := range ch {
			all = append(all, item{v, c, i})
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a].v < all[b].v })
	S := float64(len(all))
	out := make([][]float64, len(chains))
	for c, ch := range chains {
		out[c] = make([]float64, len(ch))
	}
	norm := distuv.UnitNormal
	for a := 0; a < len(all); {
		b := a
		for b < len(all) && all[b].v == all[a].v {
			b++
		}
		r := float64(a+b+1) / 2 // average 1-based rank of the ties
		z := norm.Quantile((r - 3.0/8) / (S + 1.0/4))
		for k := a; k < b; k++ {
			out[all[k].c][all[k].i] = z
		}
		a = b
	}
	return out
}

// median returns the median of all the chains' values together.
func median(chains [][]float64) float64 {
	var all []float64
	for _, c := range chains {
		all = append(all, c...)
	}
	return order.Median(all)
}

// meanVar returns the mean and the unbiased variance of x.
func meanVar(x []float64) (m, v float64) {
	for _, a := range x {
		m += a
	}
	m /= float64(len(x))
	for _, a := range x {
		v += (a - m) * (a - m)
	}
	return m, v / float64(len(x)-1)
}

// varParts returns the within-chain variance W and the pooled estimate var⁺ of the posterior
// variance, (n−1)/n W + B/n.
func varParts(chains [][]float64) (W, varPlus float64) {
	m := len(chains)
	n := float64(len(chains[0]))
	means := make([]float64, m)
	for i, c := range chains {
		mu, v := meanVar(c)
		means[i] = mu
		W += v
	}
	W /= float64(m)
	_, bOverN := meanVar(means)
	if m == 1 {
		bOverN = 0
	}
	return W, (n-1)/n*W + bOverN
}

// rhat is the classic potential scale reduction factor sqrt(var⁺/W).
func rhat(chains [][]float64) float64 {
	W, vp := varParts(chains)
	if !(W > 0) {
		return math.NaN()
	}
	return math.Sqrt(vp / W)
}

// ess is Stan's effective sample size: ρ_t = 1 − (W − mean autocovariance_t)/var⁺, summed in
// pairs until a pair is negative, pairs forced monotone, τ = −1 + 2 Σ pairs, ESS = m n / τ.
func ess(chains [][]float64) float64 {
	m := len(chains)
	n := len(chains[0])
	W, vp := varParts(chains)
	if !(W > 0) || !(vp > 0) {
		return math.NaN()
	}
	means := make([]float64, m)
	for i, c := range chains {
		means[i], _ = meanVar(c)
	}
	// Autocovariances are computed lag by lag as the sum needs them: the sum usually stops
	// after a few lags, and computing every lag would cost O(n²) per chain.
	rho := func(t int) float64 {
		s := 0.0
		for i, c := range chains {
			s += autocov(c, means[i], t)
		}
		return 1 - (W-s/float64(m))/vp
	}
	tau := -1.0
	prev := math.Inf(1)
	for t := 0; t+1 < n; t += 2 {
		p := rho(t) + rho(t+1)
		if p < 0 {
			break
		}
		p = math.Min(p, prev)
		prev = p
		tau += 2 * p
	}
	if !(tau > 0) {
		return math.NaN()
	}
	mn := float64(m * n)
	return math.Min(mn/tau, mn*math.Log10(mn))
}

// autocov returns the autocovariance of x (of mean m) at lag t, divided by n, with lag 0
// scaled to the unbiased variance as in Stan.
func autocov(x []float64, m float64, t int) float64 {
	n := len(x)
	s := 0.0
	for i := 0; i+t < n; i++ {
		s += (x[i] - m) * (x[i+t] - m)
	}
	if t == 0 {
		return s / float64(n) * (float64(n) / float64(n-1))
	}
	return s / float64(n)
}
