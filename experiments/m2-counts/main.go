// Command m2-counts compares probcat's posterior number counts on the M2 cutout (the 100×100 px
// of the SDSS r frame at frame pixel (310, 630) that PCAT and StarNet use) with the HST counts
// of the same area (issue 11, item 3): it samples the cutout once per seed through the SDSS
// route (`probcat sample --sdss … --psfield … --cutout 310,630,100,100 --seed S`), reads the
// run's counts.parquet, and counts the stars of StarNet's HST truth (true_hubble_m2.npy, r
// magnitudes, r < 22.3) whose positions fall on the cutout's pixels, in the same half-magnitude
// bins. For each bin from r = 18 to 22.5 it says whether the HST count lies in probcat's 68 %
// and 90 % intervals (the goal: the 90 % interval holds it in ≥ 80 % of the bins). The same
// comparison is repeated with -offset subtracted from the ensemble's magnitudes (the colour
// term between SDSS r and the HST r of the truth; see experiments/bright-stars), recounted from
// ensemble.parquet. It prints the tables of README.md and draws the counts with the HST
// counts, one panel per seed (-png).
//
//	go run ./experiments/m2-counts                     (from the module root; needs ../shared/data)
//	go run ./experiments/m2-counts -seeds 1,2 -args '--max-burn-in 300 --samples 100'
//	go run ./experiments/m2-counts -runs DIR1,DIR2     (compare finished runs only)
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/survey/m2"
)

// The cutout, in frame pixels, and the bins compared.
const (
	cutX, cutY, cutW, cutH = 310, 630, 100, 100
	magFrom, magTo         = 18.0, 22.5
	// hstFaint is the truth's faint limit: it holds only stars above 1000 electrons in r
	// (PROVENANCE.md of the data folder), so its faintest bin compared is incomplete.
	hstFaint = 22.3
)

func main() {
	work := flag.String("work", "", "folder for the runs (default: a temporary folder)")
	runs := flag.String("runs", "", "comma-separated finished run folders to compare instead of sampling")
	seeds := flag.String("seeds", "1,2", "comma-separated seeds, one run each")
	args := flag.String("args", "", "extra sampler flags of every run (default: none, probcat's defaults)")
	offset := flag.Float64("offset", -0.19, "colour term: probcat r − HST r of matched bright stars (experiments/bright-stars: −0.19), removed in the second comparison")
	png := flag.String("png", "experiments/m2-counts/m2_counts.png", "the comparison plot")
	flag.Parse()
	log.SetFlags(0)
	dir := filepath.Join(shareddata.Dir(), "m2-sdss-2583-2-136")
	truth, err := m2.ReadHubble(filepath.Join(dir, "true_hubble_m2.npy"))
	if err != nil {
		log.Fatal(err)
	}
	// HST counts per half-magnitude bin, of the stars on the cutout's pixels (cutout
	// coordinates: pixel centres at 0 … 99, so the pixels cover [−0.5, 99.5)).
	hst := map[int]int{}
	inside := 0
	for i := range truth.X {
		if truth.X[i] >= -0.5 && truth.X[i] < cutW-0.5 && truth.Y[i] >= -0.5 && truth.Y[i] < cutH-0.5 {
			hst[int(math.Floor(truth.Mag[i]/catalogue.CountMagWidth))]++
			inside++
		}
	}
	fmt.Printf("HST truth: %d stars, %d on the cutout's pixels\n", len(truth.X), inside)

	var folders []string
	if *runs != "" {
		folders = strings.Split(*runs, ",")
	} else {
		folders = sample(*work, strings.Split(*seeds, ","), strings.Fields(*args), dir)
	}
	fmt.Println()
	var panels []*plot.Plot
	for _, f := range folders {
		counts, err := catalogue.ReadCounts(filepath.Join(f, pipeline.CountsFile))
		if err != nil {
			log.Fatal(err)
		}
		if !counts.Magnitudes {
			log.Fatalf("%s: counts in flux: the run has no zero point", f)
		}
		seed, zp, fmin := runInfo(f)
		floor := zp - 2.5*math.Log10(fmin) // no source is fainter: the flux prior's f_min
		fmt.Printf("### seed %s (%s): %d samples, detection limit r = %.1f, no source fainter than the prior's f_min = %g (r = %.2f)\n\n",
			seed, f, counts.Samples, counts.Limit, fmin, floor)
		compare(counts, hst, floor)
		// The same with the colour term removed: recount from the ensemble.
		ens, err := catalogue.ReadEnsemble(filepath.Join(f, pipeline.EnsembleFile))
		if err != nil {
			log.Fatal(err)
		}
		shifted := catalogue.CountSamples(ens, catalogue.Binning{Magnitude: func(fl float64) float64 {
			return zp - 2.5*math.Log10(fl) - *offset
		}})
		fmt.Printf("\nWith probcat's magnitudes made fainter by %.2f (the colour term), recounted from ensemble.parquet:\n\n", -*offset)
		compare(shifted, hst, floor-*offset)
		fmt.Println()
		p, err := comparisonPanel(counts, hst, "seed "+seed)
		if err != nil {
			log.Fatal(err)
		}
		panels = append(panels, p)
	}
	if err := figure.WritePanels(*png, figure.PanelGrid(panels, 2)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", *png)
}

// sample builds probcat and runs it on the cutout once per seed, printing each run's cost and
// the machine's load; it returns the run folders.
func sample(work string, seeds, extra []string, dir string) []string {
	var err error
	if work == "" {
		if work, err = os.MkdirTemp("", "m2-counts"); err != nil {
			log.Fatal(err)
		}
	}
	bin := filepath.Join(work, "probcat")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/probcat").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	var folders []string
	for _, s := range seeds {
		out := filepath.Join(work, "seed"+s)
		os.RemoveAll(out)
		a := []string{"sample", "--sdss", filepath.Join(dir, "frame-r-002583-2-0136.fits.bz2"),
			"--psfield", filepath.Join(dir, "psField-002583-2-0136.fit"), "--cutout", fmt.Sprintf("%d,%d,%d,%d", cutX, cutY, cutW, cutH),
			"--seed", s, "--out", out, "--quiet"}
		a = append(a, extra...)
		cmd := exec.Command(bin, a...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		load0 := loadAvg()
		start := time.Now()
		if err := cmd.Run(); err != nil {
			log.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Printf("seed %s: probcat %s\n  wall %.1f s, CPU %.1f s, peak RSS %d MiB; load average %s at the start, %s at the end\n",
			s, strings.Join(a, " "), time.Since(start).Seconds(), cpu.Seconds(), ru.Maxrss/1024, load0, loadAvg())
		if s := strings.TrimSpace(stderr.String()); s != "" {
			fmt.Println("  stderr:", strings.ReplaceAll(s, "\n", "\n  "))
		}
		folders = append(folders, out)
	}
	return folders
}

// loadAvg returns the 1, 5 and 15 min load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// runInfo reads a run's seed, zero point and flux prior minimum from its run.json.
func runInfo(dir string) (seed string, zp, fmin float64) {
	b, err := os.ReadFile(filepath.Join(dir, pipeline.RunFile))
	if err != nil {
		log.Fatal(err)
	}
	var r struct {
		Seed      uint64
		FluxPrior struct{ Min float64 } `json:"flux_prior"`
		Image     struct {
			ZeroPoint *float64 `json:"zero_point"`
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		log.Fatalf("%s: %v", filepath.Join(dir, pipeline.RunFile), err)
	}
	if r.Image.ZeroPoint == nil {
		log.Fatalf("%s: no zero point", filepath.Join(dir, pipeline.RunFile))
	}
	return fmt.Sprint(r.Seed), *r.Image.ZeroPoint, r.FluxPrior.Min
}

// compare prints, for every bin from magFrom to magTo, the HST count and probcat's median and
// intervals, and the fraction of bins whose 90 % (and 68 %) interval holds the HST count.
// floor is the faintest magnitude probcat can have (its flux prior's f_min); bins cut by it
// or by the truth's limit are marked.
func compare(c *catalogue.Counts, hst map[int]int, floor float64) {
	fmt.Println("| r | HST | probcat median | 68 % | 90 % | in 68 % | in 90 % |")
	fmt.Println("|---|---|---|---|---|---|---|")
	bins := map[int]catalogue.CountBin{}
	for _, b := range c.Bins {
		bins[int(math.Round(b.Lo/catalogue.CountMagWidth))] = b
	}
	n, in68, in90 := 0, 0, 0
	for k := int(magFrom / catalogue.CountMagWidth); k < int(magTo/catalogue.CountMagWidth); k++ {
		b := bins[k] // a bin no sample reaches counts zero
		h := float64(hst[k])
		y68, y90 := h >= b.P16 && h <= b.P84, h >= b.P05 && h <= b.P95
		n++
		if y68 {
			in68++
		}
		if y90 {
			in90++
		}
		lo := float64(k) * catalogue.CountMagWidth
		var notes []string
		if lo+catalogue.CountMagWidth > hstFaint {
			notes = append(notes, fmt.Sprintf("HST r < %g", hstFaint))
		}
		if lo+catalogue.CountMagWidth > floor {
			notes = append(notes, fmt.Sprintf("probcat r < %.2f", floor))
		}
		note := ""
		if len(notes) > 0 {
			note = " (" + strings.Join(notes, ", ") + " only)"
		}
		fmt.Printf("| %.1f–%.1f%s | %d | %.0f | %.0f–%.0f | %.0f–%.0f | %s | %s |\n", lo, lo+catalogue.CountMagWidth, note, hst[k],
			b.Median, b.P16, b.P84, b.P05, b.P95, yes(y68), yes(y90))
	}
	fmt.Printf("\nHST count inside the 90 %% interval in %d of %d bins (%.0f %%; goal ≥ 80 %%), inside the 68 %% interval in %d\n",
		in90, n, 100*float64(in90)/float64(n), in68)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

// comparisonPanel is the diagnostics' counts panel of a run with the HST counts as points.
func comparisonPanel(c *catalogue.Counts, hst map[int]int, title string) (*plot.Plot, error) {
	p, err := figure.CountsPanel(c)
	if err != nil {
		return nil, err
	}
	p.Title.Text = "M2 cutout, r counts, " + title
	p.X.Label.Text = "r (bins of 0.5 mag)"
	var pts plotter.XYs
	for k, n := range hst {
		pts = append(pts, plotter.XY{X: (float64(k) + 0.5) * catalogue.CountMagWidth, Y: float64(n)})
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	s.GlyphStyle.Color = color.Black
	p.Add(s)
	p.Legend.Add("HST (r < 22.3)", s)
	return p, nil
}
