// Command m2-convergence measures the wall time probcat's sampler needs on PCAT's M2 r-band
// cutout (100×100 px, PCAT's own image, calibration and PSF; background 179, f_min 250, α 2,
// penalty 1.5 as PCAT) to reach a converged posterior: the split-R̂ of N over the last
// Samples kept samples of Chains chains below 1.05. It prints, after every round of samples,
// the time, N and ln L of each chain and R̂(N), and a summary line. With -fixed it runs
// exactly -max samples per chain instead and reports, over the samples after -burn, the
// split-R̂ and the bulk effective sample size of N, ln L and the total flux, and the ESS per
// CPU-second.
//
//	go run ./experiments/m2-convergence [-chains 4] [-threads 2] [-samples 300] [-proposals 100]
//	go run ./experiments/m2-convergence -fixed -max 1000 -burn 500 [-seed S]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/render"
	"github.com/probcat/probcat/sampler"
	"github.com/probcat/probcat/survey"
)

func main() {
	cfg := sampler.DefaultConfig()
	cfg.CountPrior, cfg.SampleFluxPrior = model.Penalty{PerSource: 1.5}, false // PCAT's priors
	flag.IntVar(&cfg.Chains, "chains", 4, "chains")
	flag.IntVar(&cfg.Threads, "threads", 2, "threads")
	window := flag.Int("samples", 300, "kept samples per chain: R-hat is computed over the last this many")
	flag.IntVar(&cfg.Proposals, "proposals", 100, "passes (PCAT proposals) per sample")
	flag.IntVar(&cfg.RegionProposals, "region-proposals", 1, "proposals per active region per pass")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed")
	flag.Float64Var(&cfg.StepScale, "step", cfg.StepScale, "move step in units of the Fisher standard deviation")
	flag.Float64Var(&cfg.SplitScale, "split-scale", cfg.SplitScale, "split separation and merge kernel scale, pixels")
	flag.Float64Var(&cfg.Weights.BirthDeath, "birth-death", cfg.Weights.BirthDeath, "weight of births and deaths")
	flag.Float64Var(&cfg.Weights.Refit, "refit", cfg.Weights.Refit, "weight of refit births and deaths (neighbours' fluxes redrawn)")
	flag.Float64Var(&cfg.Weights.SplitMerge, "split-merge", cfg.Weights.SplitMerge, "weight of splits and merges")
	flag.Float64Var(&cfg.Weights.RefitSplitMerge, "refit-split-merge", cfg.Weights.RefitSplitMerge, "weight of refit splits and merges (neighbours' fluxes redrawn)")
	flag.Float64Var(&cfg.Weights.FluxGroup, "flux-group", cfg.Weights.FluxGroup, "weight of joint flux updates of a source and its neighbours")
	flag.IntVar(&cfg.RefitNeighbours, "refit-neighbours", cfg.RefitNeighbours, "most neighbours a refit move redraws")
	flag.Float64Var(&cfg.RefitRadius, "refit-radius", cfg.RefitRadius, "neighbours of the refit moves lie within this many pixels")
	flag.Float64Var(&cfg.RefitScale, "refit-scale", cfg.RefitScale, "width factor (≥ 1) of the refit moves' flux proposals")
	maxSamples := flag.Int("max", 3000, "give up after this many samples per chain")
	every := flag.Int("every", 25, "print a progress line every this many samples")
	fixed := flag.Bool("fixed", false, "run exactly -max samples per chain and report R-hat and ESS over those after -burn")
	burn := flag.Int("burn", 500, "with -fixed: samples per chain discarded before the diagnostics")
	flag.Parse()
	dir := filepath.Join(shareddata.Dir(), "m2-pcat-cutout")
	img, err := survey.PCATImage(filepath.Join(dir, "sdss.0921_cts.txt"), filepath.Join(dir, "sdss.0921_pix.txt"))
	if err != nil {
		log.Fatal(err)
	}
	img.Background = 179
	p, err := psf.ReadPCATFile(filepath.Join(dir, "sdss.0921_psf.txt"))
	if err != nil {
		log.Fatal(err)
	}
	kind := &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: 250, Slope: 2}}
	cfg.BurnIn = 0
	total := *maxSamples
	cfg.Samples = total
	ns := make([][]float64, cfg.Chains)
	traces := make([]sampler.Trace, cfg.Chains)
	var moves [sampler.NumMoveTypes]sampler.MoveStats
	ll := make([]float64, cfg.Chains)
	passes, regionProps := int64(0), int64(0)
	fmt.Printf("M2 r cutout, %d chains on %d threads, %d passes × %d proposals per region per sample, step %g, split scale %g px, weights %+v, refit %d neighbours within %g px, scale %g, kernels %s\n",
		cfg.Chains, cfg.Threads, cfg.Proposals, cfg.RegionProposals, cfg.StepScale, cfg.SplitScale, cfg.Weights, cfg.RefitNeighbours, cfg.RefitRadius, cfg.RefitScale, render.Path())
	fmt.Println("| samples | wall s | CPU s | N per chain | ln L per chain | R-hat(N) last window |")
	fmt.Println("|---|---|---|---|---|---|")
	start := time.Now()
	done := fmt.Errorf("converged")
	var conv time.Duration
	var convCPU, cpuBurn float64
	convAt := -1
	err = sampler.Run(context.Background(), img, kind, cfg, func(s sampler.Sample) error {
		ns[s.Chain] = append(ns[s.Chain], float64(s.Catalogue.Len()))
		ll[s.Chain] = s.LogLike
		traces[s.Chain].AddSample(&s)
		if s.Index >= *burn {
			for t := range moves {
				moves[t].Proposed += s.Moves[t].Proposed
				moves[t].Accepted += s.Moves[t].Accepted
			}
		}
		passes += s.Passes
		regionProps += s.RegionProposals
		if s.Chain != cfg.Chains-1 {
			return nil
		}
		k := s.Index + 1
		if k == *burn {
			cpuBurn = cpuSeconds()
		}
		rh := math.NaN()
		if k >= *window {
			win := make([][]float64, cfg.Chains)
			for c := range win {
				win[c] = ns[c][k-*window:]
			}
			rh = sampler.SplitRHat(win)
		}
		if k%*every == 0 || rh < 1.05 {
			last := make([]float64, cfg.Chains)
			for c := range last {
				last[c] = ns[c][k-1]
			}
			fmt.Printf("| %d | %.1f | %.1f | %v | %.0f | %.3f |\n", k, time.Since(start).Seconds(), cpuSeconds(), last, ll, rh)
		}
		if rh < 1.05 && !*fixed {
			conv, convAt, convCPU = time.Since(start), k, cpuSeconds()
			return done
		}
		return nil
	})
	if err != nil && err != done {
		log.Fatal(err)
	}
	el := time.Since(start)
	if *fixed {
		report(traces, *burn, total, el.Seconds(), cpuSeconds(), cpuBurn, passes, regionProps, moves)
		return
	}
	if convAt < 0 {
		fmt.Printf("\nnot converged after %d samples per chain (%.1f s)\n", total, el.Seconds())
		os.Exit(1)
	}
	fmt.Printf("\nR-hat(N) < 1.05 over the last %d samples of %d chains after %d samples per chain: %.1f s wall, %.1f s CPU (%d passes, %d region proposals in all; %.1f µs CPU per pass, %.2f µs per region proposal)\n",
		*window, cfg.Chains, convAt, conv.Seconds(), convCPU, passes, regionProps, convCPU*1e6/float64(passes), convCPU*1e6/float64(regionProps))
}

// report prints the diagnostics of a fixed-length run: R-hat and ESS of N, ln L and the total
// flux over samples [burn, total) of every chain, their ESS per CPU-second spent on those
// samples (from cpuBurn, the CPU time when the last chain finished burning in, to cpu), and the
// acceptance rate of every move type over the kept samples.
func report(traces []sampler.Trace, burn, total int, wall, cpu, cpuBurn float64, passes, regionProps int64, moves [sampler.NumMoveTypes]sampler.MoveStats) {
	if burn >= total-4 {
		log.Fatalf("-burn %d leaves fewer than 4 of -max %d samples", burn, total)
	}
	d := sampler.Diagnose(traces, burn, total)
	fmt.Printf("\n%d samples per chain, diagnostics over samples %d–%d: %.1f s wall, %.1f s CPU, %.1f µs CPU per pass, %.2f µs per region proposal\n",
		total, burn, total-1, wall, cpu, cpu*1e6/float64(passes), cpu*1e6/float64(regionProps))
	kept := cpu - cpuBurn
	fmt.Printf("CPU s on the kept samples: %.1f\n", kept)
	fmt.Println("| scalar | R-hat | ESS | ESS per CPU-s | mean (last chain) |")
	fmt.Println("|---|---|---|---|---|")
	for q := 0; q < 3; q++ {
		m := 0.0
		last := traces[len(traces)-1][q][burn:total]
		for _, v := range last {
			m += v / float64(len(last))
		}
		fmt.Printf("| %s | %.3f | %.0f | %.3f | %.6g |\n", sampler.Watched[q], d[q].RHat, d[q].ESS, d[q].ESS/kept, m)
	}
	fmt.Print("acceptance over the kept samples:")
	for t, s := range moves {
		if s.Proposed > 0 {
			fmt.Printf(" %s %.2g (%d)", sampler.MoveType(t), s.Rate(), s.Proposed)
		}
	}
	fmt.Println()
}

// cpuSeconds returns the user and system CPU time of this process so far: on a shared machine
// it measures the work where wall time measures the neighbours too.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
