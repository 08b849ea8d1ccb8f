package sampler

import (
	"context"
	"runtime"
	"sync"

	"github.com/probcat/probcat/model"
)

// Run samples img with cfg.Chains chains on cfg.Threads goroutines (runtime.GOMAXPROCS(0) when 0) and
// hands every sample, burn-in included (Sample.BurnIn tells), to sink: sample 0 of chains
// 0, 1, …, then sample 1 of each chain, and so on. The samples, and their order, do not
// depend on the number of threads. Run stops at the first error from sink or when ctx is
// cancelled.
func Run(ctx context.Context, img *model.Image, kind model.SourceKind, cfg Config, sink func(Sample) error) error {
	return RunBands(ctx, []Band{{Image: img}}, kind, cfg, sink)
}

// RunBands is Run for one image per band (NewBandChain): bands[0] is the reference band.
func RunBands(ctx context.Context, bands []Band, kind model.SourceKind, cfg Config, sink func(Sample) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	per := cfg
	per.Threads = max(1, threads/cfg.Chains)
	chains := make([]*Chain, cfg.Chains)
	for i := range chains {
		c, err := NewBandChain(bands, kind, per, i)
		if err != nil {
			return err
		}
		chains[i] = c
	}
	return RunChains(ctx, chains, min(threads, cfg.Chains), cfg.BurnIn+cfg.Samples, sink)
}

// RunChains advances the given chains (for example restored from checkpoints) until each has
// produced total samples, running up to parallel chains at once, and hands their samples to
// sink in the order of Run: by sample index, then by position in chains.
func RunChains(ctx context.Context, chains []*Chain, parallel, total int, sink func(Sample) error) error {
	parallel = max(1, parallel)
	out := make([]Sample, len(chains))
	errs := make([]error, len(chains))
	for {
		var todo []int
		for i, c := range chains {
			if c.samples < total {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		// chains may be at different points after a partial restore: advance the laggards first
		lo := total
		for _, i := range todo {
			lo = min(lo, chains[i].samples)
		}
		var round []int
		for _, i := range todo {
			if chains[i].samples == lo {
				round = append(round, i)
			}
		}
		var wg sync.WaitGroup
		next := make(chan int, len(round))
		for _, i := range round {
			next <- i
		}
		close(next)
		for k := 0; k < min(parallel, len(round)); k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					out[i], errs[i] = chains[i].Next(ctx)
				}
			}()
		}
		wg.Wait()
		for _, i := range round {
			if errs[i] != nil {
				return errs[i]
			}
			if err := sink(out[i]); err != nil {
				return err
			}
		}
	}
}
