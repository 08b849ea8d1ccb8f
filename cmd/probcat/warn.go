package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/sampler"
)

// warnConvergence warns on w when burn-in hit --max-burn-in before the chains agreed,
// or else when the kept samples' R-hat of N is high.
func warnConvergence(w io.Writer, sum *pipeline.Summary, cfg sampler.Config) {
	switch {
	case !sum.Converged && len(sum.Unconverged) > 0:
		fmt.Fprintf(w, "warning: %d tiles (%s) reached --max-burn-in %d before their chains agreed, so their samples may not represent the posterior; raise --max-burn-in or --proposals\n",
			len(sum.Unconverged), listInts(sum.Unconverged, 10), max(cfg.BurnIn, cfg.MaxBurnIn))
	case !sum.Converged:
		var bad []string
		for q, d := range sum.Check {
			if !d.Converged() {
				bad = append(bad, fmt.Sprintf("%s R-hat %.3f ESS %.0f", sampler.Watched[q], d.RHat, d.ESS))
			}
		}
		fmt.Fprintf(w, "warning: burn-in reached --max-burn-in %d before the chains agreed (%s), so the ensemble may not represent the posterior; raise --max-burn-in or --proposals\n",
			sum.BurnIn, strings.Join(bad, "; "))
	case !(sum.RHatN < rhatWarn) && cfg.Chains > 1:
		fmt.Fprintf(w, "warning: R-hat of N over the kept samples is %.3f (≥ %.2f): the chains disagree, so the ensemble may not represent the posterior; run longer (--samples, --proposals)\n", sum.RHatN, rhatWarn)
	}
}

// listInts lists up to n integers, comma-separated.
func listInts(v []int, n int) string {
	s := make([]string, 0, n+1)
	for _, x := range v[:min(len(v), n)] {
		s = append(s, strconv.Itoa(x))
	}
	if len(v) > n {
		s = append(s, "…")
	}
	return strings.Join(s, ", ")
}

// warner returns a function that prints a warning as one line on w, for pipeline.Job.Warn.
func warner(w io.Writer) func(string) {
	return func(msg string) { fmt.Fprintln(w, "warning: "+msg) }
}

// noter returns a function that prints a note as one line on w, or nothing when quiet, for
// pipeline.Job.Note.
func noter(w io.Writer, quiet bool) func(string) {
	if quiet {
		return nil
	}
	return func(msg string) { fmt.Fprintln(w, "note: "+msg) }
}
