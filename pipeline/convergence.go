package pipeline

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/probcat/probcat/sampler"
)

// Diag is the R-hat and bulk ESS of one scalar as run.json holds them (-1 when undefined: too
// few draws, or constant ones such as a fixed background).
type Diag struct {
	RHat float64 `json:"rhat"`
	ESS  float64 `json:"ess"`
}

// Diags are the diagnostics of the watched scalars (sampler.Watched) as run.json holds them.
type Diags struct {
	N          Diag `json:"n"`
	LogLike    Diag `json:"loglike"`
	TotalFlux  Diag `json:"total_flux"`
	Background Diag `json:"background"`
}

// NewDiags converts diagnostics for run.json.
func NewDiags(c sampler.Convergence) Diags {
	d := func(q int) Diag { return Diag{RHat: jsonNum(c[q].RHat), ESS: jsonNum(c[q].ESS)} }
	return Diags{N: d(0), LogLike: d(1), TotalFlux: d(2), Background: d(3)}
}

// Check is the convergence check that ended burn-in: the window of samples [From, To) of
// every chain it looked at and its diagnostics.
type Check struct {
	From int `json:"from"`
	To   int `json:"to"`
	Diags
}

// TileConvergence is one tile's entry in a merged run.json.
type TileConvergence struct {
	Index     int  `json:"index"`
	Converged bool `json:"converged"`
	BurnIn    int  `json:"burn_in"`
	// RHat holds the R-hat of each watched scalar over the tile's kept samples.
	RHat map[string]float64 `json:"rhat"`
}

// Convergence is run.json's "convergence": whether burn-in ended with the chains agreeing,
// its length in samples per chain, the diagnostics of the kept samples (inline) and of the
// check that ended burn-in, the diagnostics of the kept samples' sampled hyperparameters,
// and, for a merged tiled run, every tile's.
//
// The hyperparameters (density, flux_slope, flux_break, flux_slope_bright, those the run
// samples) are reported but do not decide where burn-in ends: they are summaries of the
// catalogue (the density follows N exactly, the flux function the flux distribution), whose
// own watched scalars (N, total flux) already gate it, and the break of a broken power law can
// wander over a flat ridge where sources are few without the catalogue changing.
type Convergence struct {
	Converged bool `json:"converged"`
	BurnIn    int  `json:"burn_in"`
	Diags
	Check *Check            `json:"burn_in_check,omitempty"`
	Hyper map[string]Diag   `json:"hyperparameters,omitempty"`
	Tiles []TileConvergence `json:"tiles,omitempty"`
}

// hyperDiags returns the diagnostics of every hyperparameter that varies over the kept
// samples recs (one slice per chain), by samples.parquet's column name.
func hyperDiags(recs [][]record) map[string]Diag {
	get := []func(*record) float64{
		func(r *record) float64 { return r.Density }, func(r *record) float64 { return r.FluxSlope },
		func(r *record) float64 { return r.FluxBreak }, func(r *record) float64 { return r.FluxSlopeBright },
	}
	out := map[string]Diag{}
	if len(recs) == 0 || len(recs[0]) == 0 {
		return out
	}
	for k, name := range []string{"density", "flux_slope", "flux_break", "flux_slope_bright"} {
		series := make([][]float64, len(recs))
		varies := false
		for c, rs := range recs {
			for i := range rs {
				v := get[k](&rs[i])
				series[c] = append(series[c], v)
				varies = varies || (finite(v) && v != get[k](&recs[0][0]))
			}
		}
		if varies {
			d := sampler.DiagnoseSeries(series)
			out[name] = Diag{RHat: jsonNum(d.RHat), ESS: jsonNum(d.ESS)}
		}
	}
	return out
}

// ReadConvergence reads the "convergence" record of the run.json at path.
func ReadConvergence(path string) (*Convergence, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec struct {
		Convergence *Convergence `json:"convergence"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: not a probcat run.json: %v", path, err)
	}
	if rec.Convergence == nil {
		return nil, fmt.Errorf("%s: no convergence record", path)
	}
	return rec.Convergence, nil
}

// TileEntry returns the entry of tile index in a merged run.json.
func (c *Convergence) TileEntry(index int) TileConvergence {
	return TileConvergence{Index: index, Converged: c.Converged, BurnIn: c.BurnIn, RHat: map[string]float64{
		sampler.Watched[0]: c.N.RHat, sampler.Watched[1]: c.LogLike.RHat,
		sampler.Watched[2]: c.TotalFlux.RHat, sampler.Watched[3]: c.Background.RHat}}
}
