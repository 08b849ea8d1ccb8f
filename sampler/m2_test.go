package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/survey"
)

// m2 loads PCAT's M2 r-band cutout with PCAT's settings: background 179, f_min 250, α 2.
func m2(tb testing.TB) (*model.Image, *model.PointSource) {
	tb.Helper()
	img, err := survey.PCATImage(shareddata.Path(tb, "m2-pcat-cutout/sdss.0921_cts.txt"), shareddata.Path(tb, "m2-pcat-cutout/sdss.0921_pix.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	img.Background = 179
	p, err := psf.ReadPCATFile(shareddata.Path(tb, "m2-pcat-cutout/sdss.0921_psf.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return img, &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: 250, Slope: 2}}
}

// m2Config is PCAT's setting on M2: penalty 1.5 per source, 80:40:40 moves.
func m2Config() Config {
	cfg := DefaultConfig()
	cfg.CountPrior, cfg.SampleFluxPrior = model.Penalty{PerSource: 1.5}, false
	cfg.Threads = 1
	cfg.Proposals, cfg.RegionProposals = 1000, 1 // PCAT's passes, as the benchmarks report them
	return cfg
}

var (
	m2Once  sync.Once
	m2Warm  []byte
	m2Error error
)

// cpuTime returns this process's CPU time in seconds: on a shared machine it measures the
// benchmark's own work where wall time also counts the neighbours'.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkM2Proposals measures PCAT-style proposals (passes over the active regions) per
// second on the M2 cutout, one thread, from a chain burnt in for 30 samples of 1000 passes.
// It reports µs per PCAT proposal and per region proposal; PCAT takes 920 µs per proposal.
func BenchmarkM2Proposals(b *testing.B) { benchM2(b, m2Config()) }

// BenchmarkM2DefaultPasses is BenchmarkM2Proposals with the default proposals per active
// region (Config.RegionProposals, 4) and passes per sample (250), so the per-pass work (the
// regions' layout and the gathering and writing back of their sources) counts as it does in a
// run with default settings.
func BenchmarkM2DefaultPasses(b *testing.B) {
	c := m2WarmChain(b, m2Config())
	def := DefaultConfig()
	c.cfg.Proposals, c.cfg.RegionProposals = def.Proposals, def.RegionProposals // after the restore, which checks them
	benchChain(b, c)
}

// BenchmarkM2ProposalsRefit is BenchmarkM2Proposals, from the same burnt-in state, with refit
// births and deaths in place of births and deaths plus flux-group updates (birth-death: move
// 80, split/merge 40, refit 40, flux group 20), and with refit splits and merges in place of
// splits and merges (split-merge: move 80, birth/death 40, refit split/merge 40).
func BenchmarkM2ProposalsRefit(b *testing.B) {
	for _, bc := range []struct {
		name string
		w    MoveWeights
	}{
		{"birth-death", MoveWeights{Move: 80, SplitMerge: 40, Refit: 40, FluxGroup: 20}},
		{"split-merge", MoveWeights{Move: 80, BirthDeath: 40, RefitSplitMerge: 40}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := m2Config()
			cfg.Weights = bc.w
			benchM2(b, cfg)
		})
	}
}

// benchM2 runs the M2 benchmarks with cfg, starting from the state of a chain with the default
// settings (m2Config) burnt in for 30 samples.
func benchM2(b *testing.B, cfg Config) { benchChain(b, m2WarmChain(b, cfg)) }

// benchChain makes b.N passes of c, sorting its sources every Config.Proposals passes as
// Chain.Next does, and reports their cost.
func benchChain(b *testing.B, c *Chain) {
	cfg := c.cfg
	b.ResetTimer()
	cpu0 := cpuTime()
	var regions int64
	for i := 0; i < b.N; i++ {
		if i%cfg.Proposals == 0 {
			c.sortSources() // as Chain.Next does at the start of every sample
		}
		c.pass()
		regions += int64(c.nRegions * cfg.RegionProposals)
	}
	b.StopTimer()
	el := b.Elapsed().Seconds()
	cpu := cpuTime() - cpu0
	b.ReportMetric(el/float64(b.N)*1e6, "µs/proposal")
	b.ReportMetric(cpu/float64(b.N)*1e6, "cpu-µs/proposal")
	b.ReportMetric(cpu/float64(regions)*1e6, "cpu-µs/region-proposal")
	b.ReportMetric(float64(regions)/float64(b.N), "regions/proposal")
	b.ReportMetric(float64(len(c.xs)), "sources")
}

// m2WarmChain returns a chain on the M2 cutout with settings cfg, restored from one with the
// default settings (m2Config) burnt in for 30 samples of 1000 passes (made once per process).
func m2WarmChain(b testing.TB, cfg Config) *Chain {
	img, kind := m2(b)
	m2Once.Do(func() {
		c, err := NewChain(img, kind, m2Config(), 0)
		if err != nil {
			m2Error = err
			return
		}
		for i := 0; i < 30; i++ {
			if _, err := c.Next(context.Background()); err != nil {
				m2Error = err
				return
			}
		}
		m2Warm, m2Error = c.MarshalBinary()
	})
	if m2Error != nil {
		b.Fatal(m2Error)
	}
	c, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.UnmarshalBinary(m2Warm); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkM2HyperSteps measures one hyperparameter update (the density's Gibbs draw and the
// flux function's update: the power-law slope's Gibbs draw, or a broken power law's slice
// sweeps) on the burnt-in M2 chain, to set beside BenchmarkM2Proposals' cost of the
// fluxPriorEvery × globalEvery passes between two flux-function updates.
func BenchmarkM2HyperSteps(b *testing.B) {
	for _, broken := range []bool{false, true} {
		name := "powerlaw"
		if broken {
			name = "broken"
		}
		b.Run(name, func(b *testing.B) {
			cfg := m2Config()
			c := m2WarmChain(b, cfg)
			hp := model.DefaultGammaPoisson
			c.hier = &hp
			if broken {
				c.flux.Break, c.flux.SlopeBright = 4*c.flux.Min, c.flux.Slope
			}
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				c.densityStep(rng)
				c.fluxPriorStep(rng)
			}
			b.StopTimer()
			b.ReportMetric((cpuTime()-cpu0)/float64(b.N)*1e6, "cpu-µs/update")
			b.ReportMetric(float64(len(c.xs)), "sources")
			b.ReportMetric(float64(fluxPriorEvery*c.globalEvery), "passes/update")
		})
	}
}
