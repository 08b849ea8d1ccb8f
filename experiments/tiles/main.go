// Command tiles catalogues the whole r-band SDSS frame of M2 (2048×1489 pixels) with
// probcat sample --tile, on one and on two threads, and compares its cost per pixel with the
// 100×100 PCAT cutout sampled whole with the same settings. It then samples a 256×256 region
// around the cluster's core with the tile grid in place, shifted by half a tile, and with
// another seed, and compares the condensed catalogues: the grid's shift should change them no
// more than a new seed does.
//
//	go run ./experiments/tiles            (from the module root; needs ../shared/data)
//
// It prints the tables of README.md.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/tile"
)

// run is one probcat invocation's cost and results.
type run struct {
	name      string
	wall, cpu time.Duration
	maxRSS    int64 // KiB
	pixels    int
	meanN     float64
	condensed int
	out       string
	others    float64 // CPU seconds used by other processes on the machine meanwhile
	chains    int
}

// busyCPU returns the CPU seconds all processes have used since boot, from /proc/stat (user,
// nice, system, irq, softirq and steal; NaN where unavailable). The load average is no guide
// here: in this project's virtual machines it reads above 1 on an idle machine.
func busyCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return math.NaN()
	}
	var name string
	var v [8]float64
	if n, _ := fmt.Sscan(string(b), &name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]); n != 9 || name != "cpu" {
		return math.NaN()
	}
	return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / 100 // USER_HZ
}

func probcat(bin, name, out string, pixels int, args ...string) run {
	r := run{name: name, pixels: pixels, out: out}
	busy0 := busyCPU()
	os.RemoveAll(out)
	cmd := exec.Command(bin, append(args, "--out", out, "--quiet")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	r.wall = time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	r.maxRSS = int64(ru.Maxrss)
	r.others = max(0, busyCPU()-busy0-r.cpu.Seconds())
	var rec struct {
		MeanN     float64 `json:"mean_n"`
		Condensed int     `json:"condensed"`
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		log.Fatal(err)
	}
	r.meanN, r.condensed = rec.MeanN, rec.Condensed
	log.Printf("%s: wall %.1f s, cpu %.1f s, max RSS %d MiB, mean N %.0f (others used %.1f CPU s meanwhile)", name, r.wall.Seconds(), r.cpu.Seconds(), r.maxRSS>>10, r.meanN, r.others)
	return r
}

func same(a, b string) bool {
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// compare matches the condensed sources of a and b with prevalence ≥ minPrev and flux ≥
// minFlux (nearest within
// 1 pixel, mutually) and returns the matched fraction of a's sources, the median of
// |Δx|/σ over matched pairs (σ² = x_err² of both, both axes pooled) and the median |Δflux|/σ.
// near, if set, restricts a's sources to those it accepts.
func compare(a, b []catalogue.CondensedSource, minPrev, minFlux float64, near func(x, y float64) bool) (n int, matched, medPos, medFlux float64) {
	keep := func(cs []catalogue.CondensedSource) []catalogue.CondensedSource {
		var out []catalogue.CondensedSource
		for _, c := range cs {
			if c.Prevalence >= minPrev && c.Flux >= minFlux {
				out = append(out, c)
			}
		}
		return out
	}
	a, b = keep(a), keep(b)
	nearest := func(s catalogue.CondensedSource, in []catalogue.CondensedSource) (int, float64) {
		best, bd := -1, 1.0
		for j, t := range in {
			d := math.Hypot(s.X-t.X, s.Y-t.Y)
			if d < bd {
				best, bd = j, d
			}
		}
		return best, bd
	}
	var pos, flux []float64
	m := 0
	for _, s := range a {
		if near != nil && !near(s.X, s.Y) {
			continue
		}
		n++
		j, _ := nearest(s, b)
		if j < 0 {
			continue
		}
		if k, _ := nearest(b[j], a); k < 0 || a[k].X != s.X || a[k].Y != s.Y {
			continue
		}
		m++
		t := b[j]
		pos = append(pos, math.Abs(s.X-t.X)/math.Hypot(s.XErr, t.XErr), math.Abs(s.Y-t.Y)/math.Hypot(s.YErr, t.YErr))
		flux = append(flux, math.Abs(s.Flux-t.Flux)/math.Hypot(s.FluxErr, t.FluxErr))
	}
	med := func(v []float64) float64 {
		var f []float64
		for _, x := range v {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				f = append(f, x)
			}
		}
		if len(f) == 0 {
			return math.NaN()
		}
		sort.Float64s(f)
		return f[len(f)/2]
	}
	return n, float64(m) / math.Max(1, float64(n)), med(pos), med(flux)
}

func main() {
	work := flag.String("work", filepath.Join(os.TempDir(), "probcat-tiles"), "scratch folder")
	tileList := flag.String("tiles", "256,512", "tile sizes for the whole frame")
	skipFrame := flag.Bool("skip-frame", false, "skip the whole-frame runs")
	only := flag.String("only", "", "run only this part: cost, linear, seams or duplicates")
	repeats := flag.Int("repeats", 3, "pairs of 1- and 2-thread whole-frame runs (the speed-up is their median)")
	flag.Parse()
	log.SetFlags(0)
	data := shareddata.Dir()
	sd := filepath.Join(data, "m2-sdss-2583-2-136")
	frame := filepath.Join(sd, "frame-r-002583-2-0136.fits.bz2")
	psField := filepath.Join(sd, "psField-002583-2-0136.fit")
	if _, err := os.Stat(frame); err != nil {
		log.Fatalf("%v (set PROBCAT_DATA)", err)
	}
	if err := os.MkdirAll(*work, 0o755); err != nil {
		log.Fatal(err)
	}
	bin := filepath.Join(*work, "probcat")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/probcat").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v: %s", err, out)
	}
	sdss := []string{"sample", "--sdss", frame, "--psfield", psField}
	fmt.Printf("machine: %d cores (%s), %s/%s, Go %s\n\n", runtime.NumCPU(), cpuName(), runtime.GOOS, runtime.GOARCH, runtime.Version())

	if *only == "" || *only == "linear" {
		linear(bin, filepath.Join(*work, "linear"))
	}
	if *only == "" || *only == "cost" {
		var sizes []int
		for _, f := range strings.Split(*tileList, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
		cost(bin, *work, sdss, sizes, *skipFrame, *repeats)
	}
	if *only == "" || *only == "seams" {
		seamStudies(bin, *work, frame, psField)
	}
	if *only == "" || *only == "duplicates" {
		duplicateStudies(bin, *work, frame, psField)
	}
}

// cost compares the cost per pixel of the cutout sampled whole and of the frame tiled.
func cost(bin, work string, sdss []string, tileSizes []int, skipFrame bool, repeats int) {
	w := func(a ...[]string) []string {
		var out []string
		for _, x := range a {
			out = append(out, x...)
		}
		return out
	}
	modest := []string{"--samples", "20", "--burn-in", "20", "--max-burn-in", "20", "--proposals", "100", "--chains", "2"}
	// The cutout runs 20 times the chains (results are per chain) so that its sampling cost is
	// well above the fixed cost of reading the frame, which an overhead-only run measures.
	const cutChains = 40
	cut := probcat(bin, fmt.Sprintf("PCAT cutout 100×100, whole, 1 thread, %d chains", cutChains), filepath.Join(work, "cutout"), 100*100,
		w(sdss, []string{"--cutout", "310,630,100,100", "--threads", "1"}, modest, []string{"--chains", fmt.Sprint(cutChains)})...)
	cut.chains = cutChains
	base := []string{"--samples", "1", "--burn-in", "1", "--max-burn-in", "1", "--proposals", "1", "--chains", "1"}
	cutBase := probcat(bin, "PCAT cutout, overhead only (2 samples of 1 pass)", filepath.Join(work, "cutout0"), 100*100,
		w(sdss, []string{"--cutout", "310,630,100,100", "--threads", "1"}, base)...)
	net := func(r, b run) float64 { return r.cpu.Seconds() - b.cpu.Seconds() }
	perPix := func(r, b run) float64 { return 1e6 * net(r, b) / float64(r.pixels) / float64(r.chains) }
	runs := []run{cut, cutBase}
	var lines []string
	if !skipFrame {
		for _, ts := range tileSizes {
			t := fmt.Sprint(ts)
			frameBase := probcat(bin, "whole frame, --tile "+t+", overhead only", filepath.Join(work, "frame0-"+t), 2048*1489,
				w(sdss, []string{"--tile", t, "--threads", "1"}, base)...)
			// 1- and 2-thread runs alternate, so that a change in what else the machine is
			// doing affects both; the speed-up is the ratio of their median wall times.
			runs = append(runs, frameBase)
			var f1s, f2s []run
			var ratios []float64
			for k := range repeats {
				f1 := probcat(bin, fmt.Sprintf("whole frame 2048×1489, --tile %s, 1 thread (%d)", t, k+1), filepath.Join(work, "frame1-"+t), 2048*1489,
					w(sdss, []string{"--tile", t, "--threads", "1"}, modest)...)
				f2 := probcat(bin, fmt.Sprintf("whole frame 2048×1489, --tile %s, 2 threads (%d)", t, k+1), filepath.Join(work, "frame2-"+t), 2048*1489,
					w(sdss, []string{"--tile", t, "--threads", "2"}, modest)...)
				f1.chains, f2.chains = 2, 2
				if !same(filepath.Join(f1.out, "ensemble.parquet"), filepath.Join(f2.out, "ensemble.parquet")) {
					log.Fatalf("--tile %s: the ensembles of 1 and 2 threads differ", t)
				}
				f1s, f2s = append(f1s, f1), append(f2s, f2)
				ratios = append(ratios, f1.wall.Seconds()/f2.wall.Seconds())
				runs = append(runs, f1, f2)
			}
			f1, f2 := medianRun(f1s), medianRun(f2s)
			lines = append(lines, fmt.Sprintf("- --tile %s: sampling CPU per pixel and chain %.1f µs, %.2f× the cutout's (%.1f µs); per source and chain %.2f× the cutout's; "+
				"speed-up 1 → 2 threads (median wall %.1f s / %.1f s) %.2f× (pairs: %s); ensembles of 1 and 2 threads identical in every pair",
				t, perPix(f1, frameBase), perPix(f1, frameBase)/perPix(cut, cutBase), perPix(cut, cutBase),
				(net(f1, frameBase)/f1.meanN/2)/(net(cut, cutBase)/cut.meanN/cutChains),
				f1.wall.Seconds(), f2.wall.Seconds(), f1.wall.Seconds()/f2.wall.Seconds(), fmtRatios(ratios)))
		}
	}
	fmt.Printf("SDSS r frame of M2: settings %s (modest: cost, not convergence)\n\n", strings.Join(modest, " "))
	fmt.Println("| run | wall s | CPU s | peak RSS MiB | mean N | condensed | others' CPU s meanwhile |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range runs {
		fmt.Printf("| %s | %.1f | %.1f | %d | %.0f | %d | %.1f |\n", r.name, r.wall.Seconds(), r.cpu.Seconds(),
			r.maxRSS>>10, r.meanN, r.condensed, r.others)
	}
	fmt.Println()
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Println()
}

// medianRun returns the run of median wall time (the upper median for even counts).
func medianRun(rs []run) run {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b run) int { return cmp.Compare(a.wall, b.wall) })
	return s[len(s)/2]
}

func fmtRatios(r []float64) string {
	s := make([]string, len(r))
	for i, v := range r {
		s[i] = fmt.Sprintf("%.2f×", v)
	}
	return strings.Join(s, ", ")
}

// seamStudies runs seams on a simulated field and on M2's core.
func seamStudies(bin, work, frame, psField string) {
	// Seams: a 256×256 image, tiles of 128, grid in place / shifted by half a tile / new seed;
	// on a simulated field (converges) and on M2's core (far too crowded to converge here).
	sim := filepath.Join(work, "sim256")
	if out, err := exec.Command(bin, "simulate", "--out", sim, "--width", "256", "--height", "256", "--density", "0.02", "--seed", "4").CombinedOutput(); err != nil {
		log.Fatalf("simulate: %v: %s", err, out)
	}
	simImage := []string{filepath.Join(sim, "image.fits")}
	seams(bin, filepath.Join(work, "seam-sim"), "simulated 256×256 field, 0.02 sources/pixel above f_min (truth: "+truthN(sim)+" sources)",
		simImage, []string{"--samples", "100", "--burn-in", "100", "--max-burn-in", "100", "--proposals", "100", "--chains", "2"}, 0, 0)
	seams(bin, filepath.Join(work, "seam-m2"), "SDSS r, 256×256 around M2's core at (230, 550)",
		[]string{"--sdss", frame, "--psfield", psField, "--cutout", "230,550,256,256"},
		[]string{"--samples", "40", "--burn-in", "40", "--max-burn-in", "40", "--proposals", "100", "--chains", "2"}, 230, 550)
}

// duplicateStudies measures seam duplicates (tile.SeamPairs) on the fields of seamStudies.
func duplicateStudies(bin, work, frame, psField string) {
	sim := filepath.Join(work, "sim256")
	if out, err := exec.Command(bin, "simulate", "--out", sim, "--width", "256", "--height", "256", "--density", "0.02", "--seed", "4").CombinedOutput(); err != nil {
		log.Fatalf("simulate: %v: %s", err, out)
	}
	fmt.Println("seam duplicates: pairs of sources closer than 0.5 px in a frame sample, across a seam (one")
	fmt.Println("from each tile) and, as a control, within a tile across its core's midlines (same geometry, no seam)")
	fmt.Println()
	fmt.Println("| field | settings | frame samples | mean N | pairs across seams | per 100 px of seam per sample | control pairs | per 100 px of line per sample |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	duplicates(bin, filepath.Join(work, "dup-sim"), "simulated 256×256, 0.02 sources/pixel, tiles of 128",
		[]string{filepath.Join(sim, "image.fits")}, []string{"--samples", "100", "--burn-in", "100", "--proposals", "100", "--chains", "2"})
	duplicates(bin, filepath.Join(work, "dup-m2"), "SDSS r, 256×256 around M2's core at (230, 550), tiles of 128",
		[]string{"--sdss", frame, "--psfield", psField, "--cutout", "230,550,256,256"},
		[]string{"--samples", "40", "--burn-in", "40", "--proposals", "100", "--chains", "2"})
	fmt.Println()
}

// duplicates plans input in tiles of 128 (seed 1), runs every tile and merges, then counts
// close pairs over the merged ensemble with tile.SeamPairs.
func duplicates(bin, plan, title string, input, settings []string) {
	os.RemoveAll(plan)
	args := append(append([]string{"plan", "--seed", "1", "--tile", "128", "--out", plan, "--quiet"}, settings...), input...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		log.Fatalf("%v: %v: %s", args, err, out)
	}
	m, err := tile.ReadManifest(plan)
	if err != nil {
		log.Fatal(err)
	}
	for i := range m.Tiles {
		if out, err := exec.Command(bin, "run-tile", plan, "--index", fmt.Sprint(i), "--quiet").CombinedOutput(); err != nil {
			log.Fatalf("run-tile %d: %v: %s", i, err, out)
		}
	}
	if out, err := exec.Command(bin, "merge", plan, "--quiet").CombinedOutput(); err != nil {
		log.Fatalf("merge: %v: %s", err, out)
	}
	frames, err := catalogue.ReadEnsemble(filepath.Join(plan, "ensemble.parquet"))
	if err != nil {
		log.Fatal(err)
	}
	var p tile.SeamPairs
	n := 0
	for k := range frames {
		p.Add(m.SeamPairs(&frames[k], 0.5))
		n += frames[k].Len()
	}
	k := float64(len(frames))
	fmt.Printf("| %s | %s | %d | %.0f | %d | %.3f | %d | %.3f |\n", title, strings.Join(settings, " "), len(frames), float64(n)/k,
		p.Cross, p.CrossRate(), p.Control, p.ControlRate())
}

// linear compares the cost per pixel of simulated fields of 512×512 and 1024×1024 pixels,
// whole and in tiles, with that of a 128×128 field of the same density sampled whole, all on
// one thread: at equal density, cost should grow in proportion to area; tiles add their
// margins' area.
func linear(bin, work string) {
	settings := []string{"--samples", "20", "--burn-in", "20", "--max-burn-in", "20", "--proposals", "300", "--threads", "1"}
	var runs []run
	for _, c := range []struct {
		side, chains, tile int
	}{{128, 32, 0}, {512, 2, 0}, {512, 2, 128}, {512, 2, 256}, {1024, 2, 256}} {
		sim := filepath.Join(work, fmt.Sprintf("sim%d", c.side))
		if out, err := exec.Command(bin, "simulate", "--out", sim, "--width", fmt.Sprint(c.side), "--height", fmt.Sprint(c.side),
			"--density", "0.02", "--seed", "6").CombinedOutput(); err != nil {
			log.Fatalf("simulate: %v: %s", err, out)
		}
		args := append([]string{"sample", filepath.Join(sim, "image.fits"), "--chains", fmt.Sprint(c.chains)}, settings...)
		name := fmt.Sprintf("%d×%d, whole, %d chains", c.side, c.side, c.chains)
		if c.tile > 0 {
			args = append(args, "--tile", fmt.Sprint(c.tile))
			name = fmt.Sprintf("%d×%d, tiles of %d, %d chains", c.side, c.side, c.tile, c.chains)
		}
		r := probcat(bin, name, filepath.Join(work, fmt.Sprintf("out%d-%d", c.side, c.tile)), c.side*c.side, args...)
		r.chains = c.chains
		runs = append(runs, r)
	}
	fmt.Printf("linearity at equal density: simulated fields, 0.02 sources/pixel above f_min, %s\n\n", strings.Join(settings, " "))
	fmt.Println("| run | wall s | CPU s | peak RSS MiB | mean N | CPU µs / pixel / chain | ratio to 128×128 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	per := func(r run) float64 { return 1e6 * r.cpu.Seconds() / float64(r.pixels) / float64(r.chains) }
	for _, r := range runs {
		fmt.Printf("| %s | %.1f | %.1f | %d | %.0f | %.2f | %.2f |\n", r.name, r.wall.Seconds(), r.cpu.Seconds(), r.maxRSS>>10, r.meanN, per(r), per(r)/per(runs[0]))
	}
	fmt.Println()
}

// seams samples a 256×256 image with tiles of 128 three times (grid at 0 with seeds 1 and 2,
// grid shifted by 64 with seed 1, the last through plan / run-tile / merge) and prints how the
// condensed catalogues differ, overall and within 6 pixels of the unshifted grid's seams.
func seams(bin, work, title string, input, settings []string, x0, y0 float64) {
	tiled := append(append([]string{"--tile", "128"}, settings...), input...)
	a := probcat(bin, title+": grid at 0, seed 1", filepath.Join(work, "grid0"), 256*256, append([]string{"sample", "--seed", "1"}, tiled...)...)
	b := probcat(bin, title+": grid at 0, seed 2", filepath.Join(work, "grid0s2"), 256*256, append([]string{"sample", "--seed", "2"}, tiled...)...)
	shifted := filepath.Join(work, "grid64")
	os.RemoveAll(shifted)
	plan := append([]string{"plan", "--seed", "1", "--grid-offset", "64,64", "--out", shifted, "--quiet"}, tiled...)
	if out, err := exec.Command(bin, plan...).CombinedOutput(); err != nil {
		log.Fatalf("%v: %v: %s", plan, err, out)
	}
	for i := 0; i < 9; i++ {
		if out, err := exec.Command(bin, "run-tile", shifted, "--index", fmt.Sprint(i), "--quiet").CombinedOutput(); err != nil {
			log.Fatalf("run-tile %d: %v: %s", i, err, out)
		}
	}
	if out, err := exec.Command(bin, "merge", shifted, "--quiet").CombinedOutput(); err != nil {
		log.Fatalf("merge: %v: %s", err, out)
	}
	read := func(dir string) []catalogue.CondensedSource {
		cs, err := catalogue.ReadCondensedParquet(filepath.Join(dir, "condensed.parquet"))
		if err != nil {
			log.Fatal(err)
		}
		return cs
	}
	ca, cb, cs := read(a.out), read(b.out), read(shifted)
	// Seams of the unshifted grid: x or y = 128 in the image (pixel edge at −½).
	nearSeam := func(x, y float64) bool {
		return math.Abs(x-x0-127.5) < 6 || math.Abs(y-y0-127.5) < 6
	}
	fmt.Printf("seams: %s; tiles of 128, %s\n\n", title, strings.Join(settings, " "))
	fmt.Println("| comparison | sources | matched | median abs(Δpos)/σ | median abs(Δflux)/σ |")
	fmt.Println("|---|---|---|---|---|")
	for _, minFlux := range []float64{0, 2500} {
		for _, c := range []struct {
			name string
			x, y []catalogue.CondensedSource
			near func(x, y float64) bool
		}{
			{"seed 1 vs seed 2, same grid (MCMC noise)", ca, cb, nil},
			{"grid at 0 vs shifted by 64, seed 1", ca, cs, nil},
			{"seed 1 vs seed 2, ≤ 6 px from the seams", ca, cb, nearSeam},
			{"grid at 0 vs shifted, ≤ 6 px from the seams", ca, cs, nearSeam},
		} {
			n, m, p, f := compare(c.x, c.y, 0.5, minFlux, c.near)
			fmt.Printf("| %s; prevalence ≥ 0.5, flux ≥ %g | %d | %.3f | %.2f | %.2f |\n", c.name, minFlux, n, m, p, f)
		}
	}
	fmt.Println()
	for _, r := range []struct{ name, dir string }{{"grid at 0, seed 1", a.out}, {"grid at 0, seed 2", b.out}, {"shifted, seed 1", shifted}} {
		mean, sd, rhat := nStats(r.dir)
		fmt.Printf("- %s: N = %.1f ± %.1f (posterior sd over kept samples), R-hat(N) %.2f\n", r.name, mean, sd, rhat)
	}
	fmt.Println()
}

// nStats returns the mean and standard deviation of N over the kept samples and R-hat of N.
func nStats(dir string) (mean, sd, rhat float64) {
	_, rows, err := catalogue.ReadSamples(filepath.Join(dir, "samples.parquet"))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		mean += float64(r.N)
	}
	mean /= float64(len(rows))
	for _, r := range rows {
		sd += (float64(r.N) - mean) * (float64(r.N) - mean)
	}
	sd = math.Sqrt(sd / float64(max(1, len(rows)-1)))
	var rec struct {
		Convergence struct {
			N struct {
				RHat float64 `json:"rhat"`
			} `json:"n"`
		} `json:"convergence"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "run.json"))
	json.Unmarshal(b, &rec)
	return mean, sd, rec.Convergence.N.RHat
}

// truthN counts the simulated sources.
func truthN(dir string) string {
	cs, err := catalogue.ReadCondensedParquet(filepath.Join(dir, "truth.parquet"))
	if err != nil {
		return "?"
	}
	return fmt.Sprint(len(cs))
}

func meanN(dir string) float64 {
	var rec struct {
		MeanN float64 `json:"mean_n"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "run.json"))
	json.Unmarshal(b, &rec)
	return rec.MeanN
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.IndexByte(l, ':'); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return "?"
}
