package main

import (
	"fmt"
	"io"

	"github.com/probcat/probcat/pipeline"
)

// warnCap warns when --max-sources bound during the kept samples (run.json's max_sources
// says so too).
func warnCap(w io.Writer, job *pipeline.Job, sum *pipeline.Summary) {
	if sum.CapRefusals == 0 {
		return
	}
	fmt.Fprintf(w, "warning: the cap of %d sources (--max-sources) refused %d proposals to add a source in the kept samples: the ensemble is truncated there and may understate the number of sources; raise --max-sources\n",
		job.Config.MaxSources, sum.CapRefusals)
}
