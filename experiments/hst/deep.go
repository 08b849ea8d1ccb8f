package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/probcat/probcat/score"
)

// deep is item 5: the shallow F160W catalogue of the NICMOS cutout (probcat's run-0, the
// image without injections, and photutils' on the same image) scored on the sky against
// deep_catalogue.py's catalogue of the deep F110W image, by position only and with a fitted
// F160W − F110W offset.
func deep(o options, f field, bin string) error {
	dir := filepath.Join(o.work, f.name)
	data := filepath.Dir(f.file)
	script, err := filepath.Abs(filepath.Join("experiments", "hst", "deep_catalogue.py"))
	if err != nil {
		return err
	}
	ref := filepath.Join(dir, "deep-f110w.csv")
	fmt.Printf("\n## Item 5: shallow F160W (cutout %s) against the deep F110W image\n\n", f.cutout)
	cpu, err := timed(python, script, filepath.Join(data, "nic2_drz.fits"), f.file, f.cutout, "3", ref)
	if err != nil {
		return err
	}
	fmt.Printf("Deep catalogue: `deep_catalogue.py` (photutils), %.0f CPU-s; `%s`.\n\n", cpu, ref)
	fmt.Printf("| catalogue | match | offset F160W − F110W | n deep | n shallow | completeness | purity | deep mag at 50 %% |\n|---|---|---|---|---|---|---|---|\n")
	var keep *score.SkyScore
	for _, c := range []struct{ name, path string }{
		{"probcat", filepath.Join(dir, "run-0", "catalogue.parquet")},
	} {
		for _, m := range []struct {
			label string
			args  []string
		}{
			{"0.05\", positions only", []string{"--radius", "0.05", "--mag-tol", "0"}},
			{"0.075\", positions only", []string{"--radius", "0.075", "--mag-tol", "0"}},
			{"0.05\", |Δmag − offset| < 0.5", []string{"--radius", "0.05", "--mag-tol", "0.5", "--fit-offset"}},
		} {
			args := append([]string{"score", c.path, "--truth", ref, "--match", "sky"}, m.args...)
			js, err := execute(bin, args...)
			if err != nil {
				return err
			}
			var sc score.SkyScore
			if err := json.Unmarshal(js, &sc); err != nil {
				return fmt.Errorf("probcat score output: %v", err)
			}
			fmt.Printf("| %s | %s | %.3f | %d | %.0f | %s | %s | %s |\n", c.name, m.label, sc.MagOffset, sc.NTruth, sc.NEstimated, sc.Completeness, sc.Purity, sc.Mag50)
			keep = &sc
		}
	}
	fmt.Printf("\nBy magnitude (probcat, with the fitted offset; completeness by F110W, purity by F160W − offset):\n\n| mag | n deep | completeness | n shallow | purity |\n|---|---|---|---|---|\n")
	for _, b := range keep.Bins {
		if b.NTruth == 0 && b.NEstimated == 0 {
			continue
		}
		fmt.Printf("| %.1f–%.1f | %d | %s | %.0f | %s |\n", b.MagLo, b.MagHi, b.NTruth, b.Completeness, b.NEstimated, b.Purity)
	}
	return nil
}
