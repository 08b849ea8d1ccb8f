// Command scoring checks probcat's scorer on real data: it scores An et al. (2008)'s DAOPHOT
// catalogue of PCAT's M2 cutout against the HST truth under both scoring rules and prints a
// Markdown table (overall and by magnitude) beside the published numbers, and writes
// completeness/purity plots. Run from the module root:
//
//	go run ./experiments/scoring [-out experiments/scoring]
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey/m2"
)

func main() {
	out := flag.String("out", filepath.Join("experiments", "scoring"), "folder for the plots")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "scoring:", err)
		os.Exit(2)
	}
}

func run(out string) error {
	data := shareddata.Dir()
	starnetTruth, err := m2.ReadHubble(filepath.Join(data, "m2-sdss-2583-2-136", "true_hubble_m2.npy"))
	if err != nil {
		return err
	}
	tx, ty, tf, err := catalogue.ReadXYFlux(filepath.Join(data, "m2-pcat-cutout", "sdss.0921_tru.txt"))
	if err != nil {
		return err
	}
	pcatTruth := score.NewReference(tx, ty, tf, m2.ZeroPointR)
	dao, err := m2.ReadDAOPHOT(filepath.Join(data, "m2-pcat-cutout", "idR-002583-2-0136-tru.txt"))
	if err != nil {
		return err
	}
	est := catalogue.Sample{X: dao.X, Y: dao.Y}
	for _, m := range dao.Mag {
		est.Flux = append(est.Flux, math.Pow(10, (m2.ZeroPointR-m)/2.5))
	}
	frame := score.Frame{W: 100, H: 100}
	type run struct {
		name  string
		truth score.Reference
		rule  score.Rule
		faint float64
		plot  string
	}
	runs := []run{
		{"StarNet rule, StarNet's HST truth (true_hubble_m2.npy, r < 22.3)", starnetTruth, score.StarNetRule, 0, "daophot_starnet.png"},
		{"PCAT rule, PCAT's HST truth (sdss.0921_tru.txt), r < 22.5", pcatTruth, score.PCATRule, 22.5, "daophot_pcat.png"},
	}
	fmt.Println("# DAOPHOT (An et al. 2008) on PCAT's M2 cutout, scored by probcat's scorer")
	fmt.Println()
	fmt.Println("Command: `go run ./experiments/scoring` (from the module root). Estimates: the 356")
	fmt.Println("DAOPHOT stars of `idR-002583-2-0136-tru.txt` with y − 1 (PROVENANCE); frame 100×100.")
	fmt.Println("Published under the StarNet rule (StarNet authors' notebooks): TPR 0.200, PPV 0.631, F1 0.303.")
	for _, r := range runs {
		sc, err := score.Ensemble(r.truth, []catalogue.Sample{est}, score.Options{
			Rule: r.rule, Frame: frame, ZeroPoint: m2.ZeroPointR, FaintLimit: r.faint})
		if err != nil {
			return err
		}
		fmt.Printf("\n## %s\n\n", r.name)
		fmt.Printf("%d true stars and %g estimates inside the border: TPR %.3f, PPV %.3f, F1 %.3f\n\n",
			sc.NTruth, sc.NEstimated, sc.TPR, sc.PPV, sc.F1)
		fmt.Println("| r mag | true stars | TPR (completeness) | estimates | PPV (purity) |")
		fmt.Println("|---|---|---|---|---|")
		for _, b := range sc.Bins {
			fmt.Printf("| %.1f–%.1f | %d | %s | %g | %s |\n", b.MagLo, b.MagHi, b.NTruth, f3(b.TPR), b.NEstimated, f3(b.PPV))
		}
		var cr, pr []score.Curve
		if r.rule.Name == "pcat" {
			cr, pr = []score.Curve{m2.PCATCompleteness}, []score.Curve{m2.PCATPurity}
		}
		if err := figure.PlotScores(filepath.Join(out, r.plot), []figure.Labelled{{Label: "DAOPHOT", Score: sc}}, cr, pr); err != nil {
			return err
		}
	}
	return nil
}

func f3(r score.Ratio) string {
	if math.IsNaN(float64(r)) {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(r))
}
