package main

import (
	"fmt"
	"io"

	"github.com/probcat/probcat/pipeline"
)

// runTiled samples a job tile by tile.
func runTiled(job *pipeline.Job, tile int, quiet bool, out io.Writer) error {
	return fmt.Errorf("--tile is not available yet")
}
