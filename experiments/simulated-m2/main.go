// Command simulated-m2 checks issue 3's must-show on a simulated M2-like field: it builds the
// CLI, simulates a field with `probcat simulate`'s defaults (100×100 pixels, 0.1 sources per
// pixel above f_min = 250, slope 2, Gaussian PSF of FWHM 2.2, background 179, gain 4.62) and a
// fixed seed, samples it with 4 chains, scores the ensemble and the condensed catalogue
// (prevalence ≥ 0.5) against the truth under the PCAT and StarNet rules with `probcat score`,
// and prints completeness as a function of each true source's signal-to-noise ratio, both the
// isolated one and a crowding-aware one (definitions in snr.go). Run from the module root:
//
//	go run ./experiments/simulated-m2 [-work DIR] [-burn-in 300] [-samples 1500] [-proposals 1000]
//
// It prints Markdown (the tables of README.md) on stdout and its progress on stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/probcat/probcat/internal/runcmd"
	"github.com/probcat/probcat/score"
)

// options are the command-line settings.
type options struct {
	work                                  string
	seed                                  uint64
	chains, proposals, burnIn, samples    int
	neighbourRadius, prevalence, snrLimit float64
}

func main() {
	var o options
	flag.StringVar(&o.work, "work", "", "folder for the simulation and the run (default: a new temporary folder, kept)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the simulation and of the sampler")
	flag.IntVar(&o.chains, "chains", 4, "chains")
	flag.IntVar(&o.proposals, "proposals", 1000, "proposals per kept sample")
	flag.IntVar(&o.burnIn, "burn-in", 300, "burn-in samples per chain")
	flag.IntVar(&o.samples, "samples", 1500, "kept samples per chain")
	flag.Float64Var(&o.neighbourRadius, "neighbour-radius", 4, "true neighbours within this many pixels enter the crowding-aware S/N")
	flag.Float64Var(&o.prevalence, "prevalence", 0.5, "minimum prevalence of the scored condensed catalogue")
	flag.Float64Var(&o.snrLimit, "snr", 10, "the S/N above which completeness must reach 0.9")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "simulated-m2:", err)
		os.Exit(2)
	}
}

// execute runs a command and returns its standard output; its stderr passes through.
func execute(name string, args ...string) ([]byte, error) {
	return runcmd.Output("simulated-m2", name, args...)
}

// runInfo is the part of run.json this experiment reports.
type runInfo struct {
	Convergence map[string]struct {
		ESS  float64 `json:"ess"`
		RHat float64 `json:"rhat"`
	} `json:"convergence"`
	MeanN   float64 `json:"mean_n"`
	Kernel  string  `json:"kernel"`
	Timings struct {
		Wall float64 `json:"wall_seconds"`
	} `json:"timings"`
}

func run(o options) error {
	start := time.Now()
	var err error
	if o.work, err = runcmd.WorkDir("simulated-m2", o.work); err != nil {
		return err
	}
	bin := filepath.Join(o.work, "probcat")
	if _, err := execute("go", "build", "-o", bin, "./cmd/probcat"); err != nil {
		return err
	}
	sim := filepath.Join(o.work, "sim")
	runDir := filepath.Join(o.work, "run")
	seed := strconv.FormatUint(o.seed, 10)
	if _, err := execute(bin, "simulate", "--out", sim, "--seed", seed); err != nil {
		return err
	}
	image, truthPath := filepath.Join(sim, "image.fits"), filepath.Join(sim, "truth.parquet")
	if err := os.RemoveAll(runDir); err != nil {
		return err
	}
	sampleStart := time.Now()
	if _, err := execute(bin, "sample", image, "--out", runDir, "--seed", seed, "--quiet",
		"--chains", strconv.Itoa(o.chains), "--proposals", strconv.Itoa(o.proposals),
		"--burn-in", strconv.Itoa(o.burnIn), "--max-burn-in", strconv.Itoa(o.burnIn), "--samples", strconv.Itoa(o.samples)); err != nil {
		return err
	}
	sampleWall := time.Since(sampleStart)
	var info runInfo
	if b, err := os.ReadFile(filepath.Join(runDir, "run.json")); err != nil {
		return err
	} else if err := json.Unmarshal(b, &info); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(runDir, "run.json"), err)
	}
	ensemble := filepath.Join(runDir, "ensemble.parquet")
	condensed := filepath.Join(runDir, fmt.Sprintf("condensed-%g.parquet", o.prevalence))
	condenseStart := time.Now()
	if _, err := execute(bin, "condense", ensemble, "--out", condensed,
		"--min-prevalence", strconv.FormatFloat(o.prevalence, 'g', -1, 64)); err != nil {
		return err
	}
	condenseWall := time.Since(condenseStart)
	// Overall scores from the CLI, as a user would get them.
	type cliRow struct {
		what, rule string
		s          score.Score
	}
	var rows []cliRow
	for _, c := range []struct{ what, path string }{
		{"ensemble", ensemble}, {fmt.Sprintf("condensed, prevalence ≥ %g", o.prevalence), condensed},
	} {
		for _, rule := range []string{"pcat", "starnet"} {
			out, err := execute(bin, "score", c.path, "--truth", truthPath, "--rule", rule)
			if err != nil {
				return err
			}
			var s score.Score
			if err := json.Unmarshal(out, &s); err != nil {
				return fmt.Errorf("probcat score output: %w", err)
			}
			rows = append(rows, cliRow{c.what, rule, s})
		}
	}

	// Completeness by S/N.
	fmt.Fprintln(os.Stderr, "simulated-m2: S/N of the true sources and completeness by S/N")
	tab, err := completenessBySNR(o, truthPath, ensemble, condensed)
	if err != nil {
		return err
	}

	// Report.
	fmt.Printf("Machine: %d cores, %s; load average at the end: %s\n\n", runtime.NumCPU(), cpuModel(), loadAverage())
	fmt.Printf("Run: `probcat sample` with %d chains, %d proposals per sample, burn-in %d, %d kept samples per chain, seed %d, kernels %s.\n",
		o.chains, o.proposals, o.burnIn, o.samples, o.seed, info.Kernel)
	fmt.Printf("Wall time of `probcat sample`: %.1f s (run.json: %.1f s); of `probcat condense`: %.1f s; whole experiment: %.1f s.\n\n",
		sampleWall.Seconds(), info.Timings.Wall, condenseWall.Seconds(), time.Since(start).Seconds())
	fmt.Printf("%d true sources (%d inside the PCAT rule's 2.5-px border); posterior mean N = %.1f.\n\n", tab.nTrue, tab.nInside, info.MeanN)
	fmt.Println("| quantity | R-hat | ESS |")
	fmt.Println("|---|---|---|")
	for _, k := range []string{"n", "total_flux"} {
		c := info.Convergence[k]
		fmt.Printf("| %s | %.3f | %.0f |\n", k, c.RHat, c.ESS)
	}
	fmt.Println()
	fmt.Println("`probcat score` (whole catalogue; the truth's own border cut):")
	fmt.Println()
	fmt.Println("| catalogue | rule | true | estimated (5–95 %) | TPR | PPV | F1 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %d | %.1f (%.0f–%.0f) | %s | %s | %s |\n", r.what, r.rule, r.s.NTruth, r.s.NEstimated,
			r.s.NInterval[0], r.s.NInterval[1], r.s.TPR, r.s.PPV, r.s.F1)
	}
	fmt.Println()
	tab.print(o)
	return nil
}

// cpuModel reads the processor's name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage reads the 1, 5 and 15-minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}
