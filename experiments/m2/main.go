// Command m2 runs the M2 benchmark (issue 5): probcat on PCAT's r-band cutout of the globular
// cluster M2 (PCAT's own inputs, and again from the SDSS frame with its psField PSF), photutils'
// iterative PSF photometry and SEP on the same pixels with the same PSF, all scored against
// the HST truth under the PCAT and StarNet rules beside the published PCAT, StarNet and
// DAOPHOT numbers. It records wall time, CPU time and peak memory of every system it runs,
// and writes README.md and completeness/purity plots into -out. Run from the module root:
//
//	go run ./experiments/m2 [-out experiments/m2] [-work DIR] [-quick]
//
// -quick makes the probcat runs short (to check the harness in a couple of minutes);
// -samples, -burn-in, -proposals and -chains override probcat's defaults; -runs chooses the
// runs, e.g. the knob study (variants of probcat's settings) that experiments/m2/knobs holds:
//
//	go run ./experiments/m2 -runs a-sampled,v-poisson,v-fmin125,v-slope -out experiments/m2/knobs
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probcat/probcat/internal/runcmd"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/survey/m2"
)

// options are the command-line settings.
type options struct {
	out, work, python, runs           string
	samples, burnIn, proposals, chain int
	quick                             bool
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", filepath.Join("experiments", "m2"), "folder for README.md and the plots")
	flag.StringVar(&o.work, "work", "", "folder for the runs' outputs (default: a new temporary folder, kept)")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with photutils and sep")
	flag.IntVar(&o.samples, "samples", 0, "kept samples per chain (0: probcat's default)")
	flag.IntVar(&o.burnIn, "burn-in", 0, "fixed burn-in samples per chain (0: probcat's default, until the chains agree)")
	flag.IntVar(&o.proposals, "proposals", 0, "proposals per sample (0: probcat's default)")
	flag.IntVar(&o.chain, "chains", 0, "chains (0: probcat's default)")
	flag.BoolVar(&o.quick, "quick", false, "short probcat runs (30+30 samples of 200 proposals, 2 chains) to check the harness")
	flag.StringVar(&o.runs, "runs", "a-fixed,a-sampled,b-sdss,photutils,sep",
		"runs to make, comma-separated: a-fixed, a-sampled, b-sdss, photutils, sep, and the variants v-poisson, v-fmin125, v-slope, v-long, v-sdss-burnin, v-sdss-psf-refine, v-sdss-model-error")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "m2:", err)
		os.Exit(2)
	}
}

// usage is what one child process cost.
type usage struct {
	Wall, CPU time.Duration
	MaxRSS    int64 // bytes
}

// execute runs a command, passing its stderr through, and returns its cost from getrusage.
func execute(name string, args ...string) (usage, error) {
	fmt.Fprintf(os.Stderr, "m2: %s %s\n", name, strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	err := cmd.Run()
	u := usage{Wall: time.Since(start)}
	if err != nil {
		return u, fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		u.MaxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return u, nil
}

// probcatRun is one probcat configuration.
type probcatRun struct {
	key, label string
	args       []string
	dx, dy     float64 // added to the output positions to get cutout pixels
}

// paths to the shared data.
type inputs struct {
	cts, pix, psf, pcatTruth, frame, psField, hubble, daophot string
}

func dataInputs() inputs {
	d := shareddata.Dir()
	c := filepath.Join(d, "m2-pcat-cutout")
	s := filepath.Join(d, "m2-sdss-2583-2-136")
	return inputs{
		cts: filepath.Join(c, "sdss.0921_cts.txt"), pix: filepath.Join(c, "sdss.0921_pix.txt"),
		psf: filepath.Join(c, "sdss.0921_psf.txt"), pcatTruth: filepath.Join(c, "sdss.0921_tru.txt"),
		daophot: filepath.Join(c, "idR-002583-2-0136-tru.txt"),
		frame:   filepath.Join(s, "frame-r-002583-2-0136.fits.bz2"), psField: filepath.Join(s, "psField-002583-2-0136.fit"),
		hubble: filepath.Join(s, "true_hubble_m2.npy"),
	}
}

func run(o options) error {
	in := dataInputs()
	for _, p := range []string{in.cts, in.pix, in.psf, in.pcatTruth, in.frame, in.psField, in.hubble, in.daophot} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("shared data missing (set PROBCAT_DATA): %w", err)
		}
	}
	var err error
	if o.work, err = runcmd.WorkDir("m2", o.work); err != nil {
		return err
	}
	env := describeMachine()

	bin := filepath.Join(o.work, "probcat")
	if _, err := execute("go", "build", "-o", bin, "./cmd/probcat"); err != nil {
		return err
	}
	common := []string{"--quiet"}
	add := func(flag string, v int) {
		if v > 0 {
			common = append(common, flag, strconv.Itoa(v))
		}
	}
	if o.quick {
		o.samples, o.burnIn, o.proposals, o.chain = orDefault(o.samples, 30), orDefault(o.burnIn, 30), orDefault(o.proposals, 200), orDefault(o.chain, 2)
	}
	add("--samples", o.samples)
	add("--burn-in", o.burnIn)
	add("--max-burn-in", o.burnIn) // a burn-in given here is fixed, as when the results were made
	add("--proposals", o.proposals)
	add("--chains", o.chain)

	zp := strconv.FormatFloat(m2.ZeroPointR, 'f', 6, 64)
	pcatIn := []string{in.cts, "--pix", in.pix, "--psf", in.psf, "--background", "179",
		"--fmin", "250", "--slope", "2", "--count-prior", "penalty", "--penalty", "1.5", "--sample-slope=false", "--zero-point", zp}
	all := []probcatRun{
		{key: "a-fixed", label: "probcat (a) PCAT inputs, sky fixed at 179", args: append(append([]string{}, pcatIn...), "--fix-background")},
		{key: "a-sampled", label: "probcat (a) PCAT inputs, sky sampled", args: pcatIn},
		{key: "b-sdss", label: "probcat (b) SDSS frame + psField", dx: -310, dy: -630,
			args: []string{"--sdss", in.frame, "--psfield", in.psField, "--cutout", "310,630,100,100"}},
	}
	all = append(all, variants(pcatIn)...)
	all = append(all, probcatRun{key: "v-sdss-burnin", label: "variant: (b) SDSS, --burn-in 1500", dx: -310, dy: -630,
		args: append(append([]string{}, all[2].args...), "--burn-in", "1500", "--max-burn-in", "1500")})
	all = append(all, probcatRun{key: "v-sdss-psf-refine", label: "variant: (b) SDSS, --psf-refine (PSF refined from the image)", dx: -310, dy: -630,
		args: append(append([]string{}, all[2].args...), "--psf-refine")})
	all = append(all, probcatRun{key: "v-sdss-model-error", label: "variant: (b) SDSS, --model-error 0.02", dx: -310, dy: -630,
		args: append(append([]string{}, all[2].args...), "--model-error", "0.02")})
	want := map[string]bool{}
	for _, k := range strings.Split(o.runs, ",") {
		want[strings.TrimSpace(k)] = true
	}
	var runs []probcatRun
	for _, r := range all {
		if want[r.key] {
			runs = append(runs, r)
			delete(want, r.key)
		}
	}
	var tools []string
	for _, t := range []string{"photutils", "sep"} {
		if want[t] {
			tools = append(tools, t)
			delete(want, t)
		}
	}
	for k := range want {
		return fmt.Errorf("-runs: unknown run %q", k)
	}
	if len(runs) == 0 {
		return fmt.Errorf("-runs: no probcat run chosen")
	}

	// Every system runs before any scoring, while this process is small: Linux starts a
	// child's peak RSS at the parent's RSS (Go's os/exec shares the parent's memory until
	// exec), so the children's peaks include at most env.selfRSS of ours.
	env.selfRSS = selfMaxRSS()
	uses := map[string]usage{}
	for _, r := range runs {
		args := append(append([]string{"sample"}, r.args...), "--out", filepath.Join(o.work, r.key))
		if uses[r.key], err = execute(bin, append(args, common...)...); err != nil {
			return err
		}
	}
	for _, tool := range tools {
		cat := filepath.Join(o.work, tool+".txt")
		if uses[tool], err = execute(o.python, filepath.Join("experiments", "m2", "baselines.py"), tool, in.cts, in.pix, in.psf, cat); err != nil {
			return err
		}
	}

	truth, err := loadTruth(in)
	if err != nil {
		return err
	}
	var results []*result
	for _, r := range runs {
		res, err := scoreProbcat(r, filepath.Join(o.work, r.key), truth, uses[r.key])
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	for _, tool := range tools {
		u := uses[tool]
		res, err := scoreCatalogue(tool, labelOf[tool], filepath.Join(o.work, tool+".txt"), truth, &u)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	dao, err := scoreDAOPHOT(in, truth)
	if err != nil {
		return err
	}
	results = append(results, dao)

	if err := writePlots(o.out, results); err != nil {
		return err
	}
	settings, err := readSettings(filepath.Join(o.work, runs[0].key, "run.json"))
	if err != nil {
		return err
	}
	env.command = commandLine()
	return writeREADME(filepath.Join(o.out, "README.md"), env, settings, results)
}

var labelOf = map[string]string{
	"photutils": "photutils 1.6 iterative PSF photometry",
	"sep":       "SEP 1.2 extraction, fine deblending",
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// variants are extra probcat runs on PCAT's inputs that show what a few knobs do.
func variants(pcatIn []string) []probcatRun {
	with := func(extra ...string) []string { return append(append([]string{}, pcatIn...), extra...) }
	return []probcatRun{
		{key: "v-poisson", label: "variant: sky sampled, --count-prior poisson --density 0.1", args: with("--count-prior", "poisson", "--density", "0.1")},
		{key: "v-fmin125", label: "variant: sky sampled, --fmin 125", args: with("--fmin", "125")},
		{key: "v-slope", label: "variant: sky sampled, --sample-slope", args: with("--sample-slope")},
		{key: "v-long", label: "variant: sky sampled, --proposals 3000", args: with("--proposals", "3000")},
	}
}

// environment describes where and how the experiment ran.
type environment struct {
	date, machine, goVersion, commit, load, command string
	selfRSS                                         int64 // this process's peak RSS before the runs
}

// selfMaxRSS returns this process's peak RSS in bytes.
func selfMaxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024
}

func describeMachine() environment {
	e := environment{date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), goVersion: runtime.Version()}
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	e.machine = fmt.Sprintf("%d cores (%s)%s, %s/%s", runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		e.load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		e.commit = strings.TrimSpace(string(out))
	}
	return e
}

func commandLine() string {
	args := []string{"go run ./experiments/m2"}
	flag.Visit(func(f *flag.Flag) {
		if f.Name != "work" && f.Name != "out" {
			args = append(args, "-"+f.Name+"="+f.Value.String())
		}
	})
	return strings.Join(args, " ")
}

// readSettings returns the sampler section of a probcat run.json.
func readSettings(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, _ := v["sampler"].(map[string]any)
	if s == nil {
		return nil, fmt.Errorf("%s: no sampler section", path)
	}
	return s, nil
}
