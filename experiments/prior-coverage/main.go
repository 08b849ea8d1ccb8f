// Command prior-coverage checks whether probcat's posteriors cover the truth on simulated fields
// whose sources follow a broken power law (issue 11): for each of -fields fields it simulates an
// image (`probcat simulate`, by default issue 11's setting: 64×64 px, 0.07 sources per pixel
// above f_min = 400 counts, slopes 1.5 below a break at 2000 counts and 2.5 above, zero sky,
// σ² = 100 + 10·model, Gaussian PSF of FWHM 2.5 px), samples it with each variant's flags
// (`probcat sample IMAGE --seed S FLAGS`), and counts in how many fields the central 90 %
// interval of the kept samples holds the true N, and, where a run samples them, the true break,
// slopes and density. It prints the tables of README.md.
//
//	go run ./experiments/prior-coverage                                   (from the module root)
//	go run ./experiments/prior-coverage -fields 10 -variants "hier=--count-prior poisson --flux-prior broken"
//
// N is an integer, so its interval is the randomised one of simulation-based calibration: the
// truth's rank among the draws, ties broken at random, lies in the central 90 % of ranks.
// For the density the truth is the simulation's mean density (the field's N is a Poisson draw
// about it).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/runcmd"
)

type setting struct {
	size                       int
	density, fmin              float64
	slope, brk, slopeBright    float64
	fwhm, gain, readNoise, sky float64
}

type variant struct {
	name  string
	flags []string
}

// result is one run's verdicts: for each quantity whether its 90 % interval held the truth,
// and the truth's normalised rank (NaN when the run does not sample the quantity).
type result struct {
	covered   map[string]bool
	rank      map[string]float64
	medianN   float64
	trueN     int
	converged bool
	cpu       float64
}

var quantities = []string{"N", "density", "slope", "break", "slope_bright"}

func main() {
	s := setting{}
	fields := flag.Int("fields", 40, "simulated fields")
	first := flag.Int("first", 1, "seed of the first field (field k has seed first+k)")
	work := flag.String("work", "", "folder for the fields and runs (default: a temporary folder); finished runs are reused")
	variants := flag.String("variants", "penalty=;hierarchical=--count-prior poisson --flux-prior broken", "runs per field: NAME=FLAGS;NAME=FLAGS (FLAGS added to probcat sample's defaults)")
	threads := flag.Int("threads", 2, "probcat sample --threads")
	flag.IntVar(&s.size, "size", 64, "field side, pixels")
	flag.Float64Var(&s.density, "density", 0.07, "sources per pixel above f_min")
	flag.Float64Var(&s.fmin, "fmin", 400, "f_min, counts")
	flag.Float64Var(&s.slope, "slope", 1.5, "slope below the break")
	flag.Float64Var(&s.brk, "break", 2000, "break, counts")
	flag.Float64Var(&s.slopeBright, "slope-bright", 2.5, "slope above the break")
	flag.Float64Var(&s.fwhm, "fwhm", 2.5, "Gaussian PSF FWHM, pixels")
	flag.Float64Var(&s.gain, "gain", 0.1, "gain (σ² = model/gain + read²)")
	flag.Float64Var(&s.readNoise, "read-noise", 10, "read noise, counts")
	flag.Float64Var(&s.sky, "background", 0, "sky, counts")
	flag.Parse()
	log.SetFlags(0)

	var vs []variant
	for _, part := range strings.Split(*variants, ";") {
		name, flags, ok := strings.Cut(part, "=")
		if !ok || name == "" {
			log.Fatalf("-variants: %q is not NAME=FLAGS", part)
		}
		vs = append(vs, variant{name, strings.Fields(flags)})
	}
	dir, err := runcmd.WorkDir("prior-coverage", *work)
	if err != nil {
		log.Fatal(err)
	}
	bin := filepath.Join(dir, "probcat")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/probcat").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	results := make(map[string][]result)
	for k := 0; k < *fields; k++ {
		seed := *first + k
		fd := filepath.Join(dir, fmt.Sprintf("field-%03d", seed))
		sim := filepath.Join(fd, "sim")
		if _, err := os.Stat(filepath.Join(sim, "truth.parquet")); err != nil {
			args := []string{"simulate", "--out", sim, "--seed", strconv.Itoa(seed),
				"--width", strconv.Itoa(s.size), "--height", strconv.Itoa(s.size),
				"--density", fmt.Sprint(s.density), "--fmin", fmt.Sprint(s.fmin),
				"--slope", fmt.Sprint(s.slope), "--break", fmt.Sprint(s.brk), "--slope-bright", fmt.Sprint(s.slopeBright),
				"--psf", fmt.Sprintf("gaussian:fwhm=%g", s.fwhm), "--background", fmt.Sprint(s.sky),
				"--gain", fmt.Sprint(s.gain), "--read-noise", fmt.Sprint(s.readNoise)}
			if _, err := runcmd.Output("prior-coverage", bin, args...); err != nil {
				log.Fatal(err)
			}
		}
		truth, _, err := catalogue.ReadEstimates(filepath.Join(sim, "truth.parquet"))
		if err != nil {
			log.Fatal(err)
		}
		trueN := truth[0].Len()
		for _, v := range vs {
			out := filepath.Join(fd, v.name)
			cpu := math.NaN()
			if _, err := os.Stat(filepath.Join(out, "samples.parquet")); err != nil {
				args := append([]string{"sample", filepath.Join(sim, "image.fits"), "--out", out,
					"--seed", strconv.Itoa(seed), "--threads", strconv.Itoa(*threads)}, v.flags...)
				fmt.Fprintf(os.Stderr, "prior-coverage: field %d/%d, %s: %s %s\n", k+1, *fields, v.name, bin, strings.Join(args, " "))
				cmd := exec.Command(bin, args...)
				start := time.Now()
				if msg, err := cmd.CombinedOutput(); err != nil {
					log.Fatalf("%s: %v\n%s", out, err, msg)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
				fmt.Fprintf(os.Stderr, "prior-coverage: %.1f CPU-s, %.1f s wall\n", cpu, time.Since(start).Seconds())
			}
			r, err := score(out, trueN, s, uint64(seed))
			if err != nil {
				log.Fatal(err)
			}
			r.cpu = cpu
			results[v.name] = append(results[v.name], r)
		}
	}
	report(s, *fields, vs, results)
}

// score reads a finished run's samples.parquet and run.json and judges its intervals.
func score(out string, trueN int, s setting, seed uint64) (result, error) {
	_, rows, err := catalogue.ReadSamples(filepath.Join(out, "samples.parquet"))
	if err != nil {
		return result{}, err
	}
	draws := map[string][]float64{}
	for _, r := range rows {
		draws["N"] = append(draws["N"], float64(r.N))
		draws["density"] = append(draws["density"], r.Density)
		draws["slope"] = append(draws["slope"], r.FluxSlope)
		draws["break"] = append(draws["break"], r.FluxBreak)
		draws["slope_bright"] = append(draws["slope_bright"], r.FluxSlopeBright)
	}
	truths := map[string]float64{"N": float64(trueN), "density": s.density, "slope": s.slope, "break": s.brk, "slope_bright": s.slopeBright}
	rng := rand.New(rand.NewPCG(seed, 11))
	res := result{covered: map[string]bool{}, rank: map[string]float64{}, trueN: trueN}
	broken := len(rows) > 0 && !math.IsNaN(rows[0].FluxBreak)
	for _, q := range quantities {
		d := draws[q]
		// a single power law's slope is not the truth's slope below the break
		if len(d) == 0 || math.IsNaN(d[0]) || (q == "slope" && !broken) {
			res.rank[q] = math.NaN()
			continue
		}
		// the truth's rank among the draws, ties broken at random
		below, ties := 0, 0
		for _, v := range d {
			switch {
			case v < truths[q]:
				below++
			case v == truths[q]:
				ties++
			}
		}
		rank := below + rng.IntN(ties+1)
		u := (float64(rank) + 0.5) / float64(len(d)+1)
		res.rank[q] = u
		res.covered[q] = u >= 0.05 && u <= 0.95
	}
	n := slices.Clone(draws["N"])
	slices.Sort(n)
	res.medianN = n[len(n)/2]
	var run struct {
		Convergence struct {
			Converged bool `json:"converged"`
		} `json:"convergence"`
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(b, &run); err != nil {
		return res, fmt.Errorf("%s: %v", filepath.Join(out, "run.json"), err)
	}
	res.converged = run.Convergence.Converged
	return res, nil
}

func report(s setting, fields int, vs []variant, results map[string][]result) {
	fmt.Printf("%d fields of %d×%d px: %.3g sources per pixel above f_min = %g, slopes %g below a break at %g and %g above, sky %g, σ² = model/%g + %g², Gaussian PSF FWHM %g px\n\n",
		fields, s.size, s.size, s.density, s.fmin, s.slope, s.brk, s.slopeBright, s.sky, s.gain, s.readNoise, s.fwhm)
	fmt.Println("| variant | flags | converged | 90 % interval holds the truth: N | density | slope below | break | slope above | mean rank of the true N | median (posterior median N − true N) | CPU-s per run (median) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, v := range vs {
		rs := results[v.name]
		conv := 0
		var ranks, dn, cpus []float64
		for _, r := range rs {
			if r.converged {
				conv++
			}
			ranks = append(ranks, r.rank["N"])
			dn = append(dn, r.medianN-float64(r.trueN))
			if !math.IsNaN(r.cpu) {
				cpus = append(cpus, r.cpu)
			}
		}
		cov := func(q string) string {
			k, m := 0, 0
			for _, r := range rs {
				if math.IsNaN(r.rank[q]) {
					continue
				}
				m++
				if r.covered[q] {
					k++
				}
			}
			if m == 0 {
				return "–"
			}
			return fmt.Sprintf("%d/%d (%.0f %%)", k, m, 100*float64(k)/float64(m))
		}
		flags := strings.Join(v.flags, " ")
		if flags == "" {
			flags = "(defaults)"
		}
		fmt.Printf("| %s | `%s` | %d/%d | %s | %s | %s | %s | %s | %.3f ± %.3f | %+.1f | %s |\n", v.name, flags, conv, len(rs),
			cov("N"), cov("density"), cov("slope"), cov("break"), cov("slope_bright"),
			mean(ranks), math.Sqrt(1.0/12/float64(len(ranks))), median(dn), medianString(cpus))
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	w := slices.Clone(v)
	slices.Sort(w)
	return w[len(w)/2]
}

func medianString(v []float64) string {
	if len(v) == 0 {
		return "– (runs reused)"
	}
	return fmt.Sprintf("%.0f", median(v))
}
