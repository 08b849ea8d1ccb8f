package sampler

// The convergence check that ends an automatic burn-in (pipeline.Run) watches four scalars of
// every chain: the number of sources, ln L, the total flux and the background. They have
// converged when, over a window of samples at the same indices in every chain, each has a
// rank-normalised split R̂ below MaxRHat and a bulk effective sample size of at least MinESS
// (Vehtari et al. 2021's recommendations), or is constant over the window (a fixed
// background).

const (
	// MaxRHat is the rank-normalised split R̂ below which a watched scalar has converged.
	MaxRHat = 1.01
	// MinESS is the bulk effective sample size, over all chains, a watched scalar needs.
	MinESS = 100
)

// NumWatched is the number of scalars the convergence check watches.
const NumWatched = 4

// Watched names the watched scalars, in the order of Trace and Convergence: the number of
// sources, ln L, the total flux and the background (the names of run.json).
var Watched = [NumWatched]string{"n", "loglike", "total_flux", "background"}

// Trace holds one chain's watched scalars, one entry per sample, in the order of Watched.
type Trace [NumWatched][]float64

// Add appends one sample's scalars.
func (t *Trace) Add(n int, logLike, totalFlux, background float64) {
	for q, v := range [NumWatched]float64{float64(n), logLike, totalFlux, background} {
		t[q] = append(t[q], v)
	}
}

// AddSample appends the scalars of s.
func (t *Trace) AddSample(s *Sample) {
	total := 0.0
	for _, f := range s.Catalogue.Flux {
		total += f
	}
	t.Add(s.Catalogue.Len(), s.LogLike, total, s.Background)
}

// Len returns the number of samples traced.
func (t *Trace) Len() int { return len(t[0]) }

// Diagnostic is the rank-normalised split R̂ and the bulk effective sample size of one scalar
// over chains (NaN when undefined: too few draws, or constant ones). Constant is true when
// every draw of every chain has the same value.
type Diagnostic struct {
	RHat, ESS float64
	Constant  bool
}

// Converged reports whether the scalar passes the check: constant, or R̂ < MaxRHat and
// ESS ≥ MinESS.
func (d Diagnostic) Converged() bool {
	return d.Constant || (d.RHat < MaxRHat && d.ESS >= MinESS)
}

// Convergence holds the Diagnostic of each watched scalar, in the order of Watched.
type Convergence [NumWatched]Diagnostic

// Converged reports whether every watched scalar passes the check.
func (c Convergence) Converged() bool {
	for _, d := range c {
		if !d.Converged() {
			return false
		}
	}
	return true
}

// Diagnose returns the diagnostics of the watched scalars over samples [from, to) of every
// chain's trace. Every trace must hold at least to samples; a window of fewer than 4 samples
// gives NaN diagnostics, which do not pass the check.
func Diagnose(traces []Trace, from, to int) Convergence {
	var out Convergence
	for q := range out {
		series := make([][]float64, len(traces))
		for c := range traces {
			series[c] = traces[c][q][from:to]
		}
		out[q] = diagnose(series)
	}
	return out
}

// DiagnoseSeries returns the diagnostic of one scalar given as one series per chain.
func DiagnoseSeries(chains [][]float64) Diagnostic { return diagnose(chains) }

func diagnose(chains [][]float64) Diagnostic {
	d := Diagnostic{RHat: SplitRHat(chains), ESS: EffectiveSampleSize(chains)}
	if len(chains) == 0 || len(chains[0]) < 4 {
		return d
	}
	first := chains[0][0]
	for _, c := range chains {
		if len(c) != len(chains[0]) {
			return d
		}
		for _, v := range c {
			if v != first {
				return d
			}
		}
	}
	d.Constant = true
	return d
}
