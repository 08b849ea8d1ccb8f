package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey/m2"
)

// published holds the StarNet-rule numbers of REFERENCE.md (main 100×100 region).
var published = []struct {
	name, tpr, ppv, f1, n, bright string
}{
	{"StarNet, wake-sleep (2 bands, GPU), published", "0.506", "0.601", "0.549", "984–1042", "TPR 0.75–0.78, PPV 0.85–0.95"},
	{"PCAT (2 bands, last 300 of 3000 samples), published", "0.559", "0.405", "0.469", "1664–1680", "TPR 0.88–0.90"},
	{"DAOPHOT (An et al. 2008), published", "0.200", "0.631", "0.303", "—", "—"},
}

// pcatCompleteness and pcatFDR are PCAT's published M2 values per 0.5 mag bin (keyed by the
// bin's lower edge); brighter bins are known only as a bound or range (REFERENCE.md).
var (
	pcatCompleteness = curveByBin(m2.PCATCompleteness, false)
	pcatFDR          = curveByBin(m2.PCATPurity, true)
)

const (
	pcatBrightCompleteness = 0.91 // "≥ 0.91 below 20"
	pcatBrightFDR          = 0.24 // "0.08–0.24 for 17–20.5": the upper end
)

func curveByBin(c score.Curve, complement bool) map[float64]float64 {
	m := map[float64]float64{}
	for i, mag := range c.Mag {
		v := c.Value[i]
		if complement {
			v = 1 - v
		}
		m[mag-0.25] = v
	}
	return m
}

// pcatBin returns PCAT's value in the bin starting at lo, as text and as the number the goal
// compares against.
func pcatBin(lo float64, fdr bool) (string, float64) {
	if fdr {
		if v, ok := pcatFDR[lo]; ok {
			return fmt.Sprintf("%.2f", v), v
		}
		if lo >= 17 && lo < 20.5 {
			return "0.08–0.24", pcatBrightFDR
		}
		return "", math.NaN()
	}
	if v, ok := pcatCompleteness[lo]; ok {
		return fmt.Sprintf("%.2f", v), v
	}
	if lo < 20 {
		return "≥ 0.91", pcatBrightCompleteness
	}
	return "", math.NaN()
}

func f3(r score.Ratio) string {
	if math.IsNaN(float64(r)) {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(r))
}

func f2(r score.Ratio) string {
	if math.IsNaN(float64(r)) {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(r))
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// goals evaluates the goals for one result.
type goals struct {
	f1, bright, completeness, fdr bool
	worstC, worstF                string
}

func checkGoals(r *result) goals {
	g := goals{
		f1:     float64(r.starnet.F1) >= 0.60,
		bright: float64(r.bright.TPR) >= 0.88 && float64(r.bright.PPV) >= 0.85,
	}
	g.completeness, g.fdr = true, true
	var lc, lf []string
	for _, b := range r.pcat.Bins {
		if _, want := pcatBin(b.MagLo, false); !math.IsNaN(want) && b.NTruth > 0 && !(float64(b.TPR) >= want) {
			g.completeness = false
			lc = append(lc, fmt.Sprintf("%.1f–%.1f: %.2f < %.2f", b.MagLo, b.MagHi, float64(b.TPR), want))
		}
		if _, want := pcatBin(b.MagLo, true); !math.IsNaN(want) && b.NEstimated > 0 && !(float64(b.FDR) <= want) {
			g.fdr = false
			lf = append(lf, fmt.Sprintf("%.1f–%.1f: %.2f > %.2f", b.MagLo, b.MagHi, float64(b.FDR), want))
		}
	}
	g.worstC, g.worstF = strings.Join(lc, "; "), strings.Join(lf, "; ")
	return g
}

func tick(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func writeREADME(path string, env environment, settings map[string]any, results []*result) error {
	var w bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&w, format, a...) }
	main := func(r *result) bool { return r.cut == 0 || r.cut == prevalenceCut }

	p("# M2 benchmark: probcat beside HST truth, PCAT, StarNet, DAOPHOT, photutils and SEP\n\n")
	p("Made by `%s` from the module root (with `-work DIR` to keep the runs' outputs somewhere\n", env.command)
	p("chosen; they go to a temporary folder otherwise). `go run ./experiments/m2 -quick` checks the\n")
	p("harness in a few minutes with short chains.\n\n")
	p("- Date: %s; commit `%s`; %s.\n", env.date, env.commit, env.goVersion)
	p("- Machine: %s; load average %s at the start (other work was running on the machine: wall\n", env.machine, env.load)
	p("  times are inflated by it; CPU times are user + system seconds of the process and its threads).\n")
	s, _ := json.Marshal(settings)
	p("- probcat's sampler settings (run.json of the first run): `%s`.\n\n", s)

	p("## What runs\n\n")
	p("- **probcat (a)**: PCAT's own inputs, `probcat sample sdss.0921_cts.txt --pix sdss.0921_pix.txt\n")
	p("  --psf sdss.0921_psf.txt --background 179 --fmin 250 --slope 2 --penalty 1.5` (PCAT's settings),\n")
	p("  once with the sky fixed at PCAT's 179 ADU (`--fix-background`) and once with the sky sampled\n")
	p("  (starting at 179).\n")
	p("- **probcat (b)**: `probcat sample --sdss frame-r-002583-2-0136.fits.bz2 --psfield\n")
	p("  psField-002583-2-0136.fit --cutout 310,630,100,100`: the same pixels from the SDSS frame, the\n")
	p("  psField KL PSF at the cutout centre, gain and dark variance from photoField, fpM masks, sky\n")
	p("  sampled. Its outputs are in frame pixels; they are shifted by (−310, −630) for scoring.\n")
	p("- **photutils** (`baselines.py photutils`): `IterativelySubtractedPSFPhotometry` (3 iterations,\n")
	p("  DAOStarFinder at 3σ of the sky noise, DAOGroup, LevMar fits in 7×7 boxes) with PCAT's PSF at its\n")
	p("  full 5× sampling (`FittableImageModel`) and an MMM sky estimated from the image.\n")
	p("- **SEP** (`baselines.py sep`): SEP's mesh sky (25 px meshes), extraction at 5σ of the sky noise\n")
	p("  with fine deblending (64 thresholds, contrast 1e−6, no smoothing: any matched filter merges the\n")
	p("  cluster into a few blobs), fluxes from 1.5 px apertures corrected by the PSF's encircled energy.\n")
	p("- **DAOPHOT**: An et al. (2008)'s catalogue of this cutout (`idR-002583-2-0136-tru.txt`, y − 1),\n")
	p("  not run here, scored by the same code as a check of the scorer against the published row.\n\n")
	p("Scoring (probcat's `score.Ensemble`, the code behind `probcat score`), on the main\n")
	p("100×100 region, fluxes in ADU turned into r with zero point 22.5 + 2.5 log10(1/0.00546689):\n\n")
	p("- **StarNet rule** (|Δx|, |Δy| < 0.5 px, |Δmag| < 0.5, 5 px border) against StarNet's own HST\n")
	p("  truth (`true_hubble_m2.npy`, r < 22.3), as in the published numbers; \"r < %.1f\" keeps true and\n", brightLimit)
	p("  estimated stars brighter than %.1f by their own magnitudes.\n", brightLimit)
	p("- **PCAT rule** (separation < 0.75 px, |Δmag| < 0.5, 2.5 px border) against PCAT's HST truth\n")
	p("  (`sdss.0921_tru.txt`, 6048 stars), both catalogues cut at r < 22.5: completeness by true\n")
	p("  magnitude averaged over samples, false discovery rate by estimated magnitude over all sources.\n")
	p("- An **ensemble** is scored sample by sample (all kept samples of all chains): TPR is averaged\n")
	p("  over samples, PPV pooled over all sources, N is the 5–95 %% range of the number of sources\n")
	p("  inside the border. A **condensed** catalogue keeps the sources with prevalence ≥ %.1f (other\n", prevalenceCut)
	p("  cuts below).\n\n")

	p("## StarNet rule, main region\n\n")
	p("| system | catalogue | TPR | PPV | F1 | N (5–95 %%) | TPR r < %.1f | PPV r < %.1f | wall | CPU | peak RSS |\n", brightLimit, brightLimit)
	p("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		if !main(r) {
			continue
		}
		n := fmt.Sprintf("%.0f", r.starnet.NEstimated)
		if r.starnet.Samples > 1 {
			n = fmt.Sprintf("%.0f–%.0f", r.starnet.NInterval[0], r.starnet.NInterval[1])
		}
		wall, cpu, rss := "—", "—", "—"
		if r.use != nil {
			wall, cpu, rss = secs(r.use.Wall), secs(r.use.CPU), mib(r.use.MaxRSS)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.label, r.what, f3(r.starnet.TPR), f3(r.starnet.PPV),
			f3(r.starnet.F1), n, f3(r.bright.TPR), f3(r.bright.PPV), wall, cpu, rss)
	}
	for _, pub := range published {
		p("| %s | | %s | %s | %s | %s | %s | | | | |\n", pub.name, pub.tpr, pub.ppv, pub.f1, pub.n, pub.bright)
	}
	p("\nThe wall time, CPU time and peak RSS of a probcat run are those of the whole `probcat sample`\n")
	p("process (reading, sampling all chains, writing every output); of photutils and SEP, the whole\n")
	p("Python process (imports included). Peak RSS is the child's ru_maxrss, which on Linux starts\n")
	p("at the RSS of the parent it was started from (here %s). PCAT's own cost on this machine\n", mib(env.selfRSS))
	p("(REFERENCE.md): 12.3 min for 800 samples × 1000 proposals on one thread, not converged.\n")
	p("StarNet: 33 ms per patch on a GPU after 10–15 min of training.\n\n")

	p("## Goals (issue 5)\n\n")
	p("StarNet rule: F1 ≥ 0.60; TPR ≥ 0.88 with PPV ≥ 0.85 brighter than r = %.1f. PCAT rule:\n", brightLimit)
	p("completeness at least PCAT's in every bin (PCAT's bins brighter than 20 are known only as\n")
	p("≥ 0.91) and FDR no higher (brighter than 20.5 known only as 0.08–0.24; checked against 0.24).\n\n")
	p("| system | catalogue | F1 ≥ 0.60 | bright TPR/PPV | completeness ≥ PCAT | FDR ≤ PCAT | bins short of PCAT |\n")
	p("|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		if r.run == nil || !main(r) {
			continue
		}
		g := checkGoals(r)
		short := strings.Trim(g.worstC+"; "+g.worstF, "; ")
		p("| %s | %s | %s (%.3f) | %s (%s/%s) | %s | %s | %s |\n", r.label, r.what, tick(g.f1), float64(r.starnet.F1),
			tick(g.bright), f3(r.bright.TPR), f3(r.bright.PPV), tick(g.completeness), tick(g.fdr), short)
	}

	// PCAT-rule tables by magnitude.
	bins := map[float64]bool{}
	for _, r := range results {
		for _, b := range r.pcat.Bins {
			if b.MagLo >= 16 {
				bins[b.MagLo] = true
			}
		}
	}
	los := make([]float64, 0, len(bins))
	for lo := range bins {
		los = append(los, lo)
	}
	sort.Float64s(los)
	var cols []*result
	for _, r := range results {
		if main(r) {
			cols = append(cols, r)
		}
	}
	header := func(first string) {
		p("| %s | PCAT, published |", first)
		for _, r := range cols {
			p(" %s |", columnName(r))
		}
		p("\n|---|---|")
		for range cols {
			p("---|")
		}
		p("\n")
	}
	binOf := func(r *result, lo float64) *score.Bin {
		for i := range r.pcat.Bins {
			if r.pcat.Bins[i].MagLo == lo {
				return &r.pcat.Bins[i]
			}
		}
		return nil
	}
	p("\n## PCAT rule: completeness by true (HST) r magnitude\n\n")
	p("Overall (r < 22.5): ")
	for i, r := range cols {
		if i > 0 {
			p("; ")
		}
		p("%s TPR %s, PPV %s", columnName(r), f3(r.pcat.TPR), f3(r.pcat.PPV))
	}
	p(".\n\n")
	header("true r")
	for _, lo := range los {
		pub, _ := pcatBin(lo, false)
		p("| %.1f–%.1f | %s |", lo, lo+0.5, pub)
		for _, r := range cols {
			v := "—"
			if b := binOf(r, lo); b != nil && b.NTruth > 0 {
				v = f2(b.TPR)
			}
			p(" %s |", v)
		}
		p("\n")
	}
	p("\n## PCAT rule: false discovery rate by estimated r magnitude\n\n")
	header("estimated r")
	for _, lo := range los {
		pub, _ := pcatBin(lo, true)
		p("| %.1f–%.1f | %s |", lo, lo+0.5, pub)
		for _, r := range cols {
			v := "—"
			if b := binOf(r, lo); b != nil && b.NEstimated > 0 {
				v = fmt.Sprintf("%s (%.0f)", f2(b.FDR), b.NEstimated)
			}
			p(" %s |", v)
		}
		p("\n")
	}
	p("\n(In brackets: estimated sources per sample in the bin.)\n")

	p("\n## Prevalence cut of the condensed catalogue\n\n")
	p("| run | catalogue | sources | StarNet TPR | StarNet PPV | StarNet F1 | PCAT-rule TPR | PCAT-rule PPV |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		if r.run == nil {
			continue
		}
		p("| %s | %s | %.0f | %s | %s | %s | %s | %s |\n", r.label, r.what, r.starnet.NEstimated, f3(r.starnet.TPR),
			f3(r.starnet.PPV), f3(r.starnet.F1), f3(r.pcat.TPR), f3(r.pcat.PPV))
	}

	p("\n## probcat runs: convergence\n\n")
	p("| run | kept samples | mean N (whole image) | R-hat of N | ESS of N | mean sky (ADU) | χ² per pixel |\n|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		if r.run == nil || r.cut != 0 {
			continue
		}
		i := r.run
		p("| %s | %d | %.1f | %.3f | %.1f | %.1f | %.2f |\n", r.label, i.Kept, i.MeanN, i.RHatN, i.ESSN, i.Background, i.ChiSq)
	}
	p("\nχ² per pixel is −2 ln L / pixels averaged over the kept samples (ln L = −½ Σ w (d − m)²).\n")

	p("\n## Plots\n\n")
	p("- `m2_starnet.png`: StarNet rule, completeness by true r and purity by estimated r.\n")
	p("- `m2_pcat.png`: PCAT rule, with PCAT's published M2 completeness and purity (1 − FDR) beside ours.\n\n")
	p("![StarNet rule](m2_starnet.png)\n\n![PCAT rule](m2_pcat.png)\n")

	// Hand-written sections kept beside the README: the reading of the numbers, and the
	// worked example on any SDSS frame.
	for _, name := range []string{"notes.md", "sdss_example.md"} {
		text, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		if len(text) > 0 {
			p("\n%s", text)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, w.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func columnName(r *result) string {
	if r.run == nil {
		switch r.key {
		case "daophot":
			return "DAOPHOT"
		case "sep":
			return "SEP"
		}
		return r.key
	}
	return shortName(r.key) + ", " + shortWhat(r)
}
