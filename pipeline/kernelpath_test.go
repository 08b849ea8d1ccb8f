package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/render"
)

// TestResumeRefusesOtherKernelPath interrupts a run, switches the kernel path and resumes:
// the resume must be refused with a message naming the checkpoint and PROBCAT_KERNEL, and
// write no outputs; back on the first path it completes.
func TestResumeRefusesOtherKernelPath(t *testing.T) {
	orig := render.Path()
	other := ""
	for _, p := range render.Paths() {
		if p != orig {
			other = p
		}
	}
	if other == "" {
		t.Skipf("this machine and build have only the %s kernel path", orig)
	}
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	job := testJob(t, dir, 1)
	n := 0
	job.Progress = func(done, total int) {
		if n++; n == 5 {
			cancel()
		}
	}
	if _, err := Run(ctx, job); err == nil {
		t.Fatal("cancelled run reported success")
	}
	if err := render.SetPath(other); err != nil {
		t.Fatal(err)
	}
	job = testJob(t, dir, 1)
	job.Resume = true
	_, err := Run(context.Background(), job)
	render.SetPath(orig)
	if err == nil || !strings.Contains(err.Error(), "PROBCAT_KERNEL="+orig) || !strings.Contains(err.Error(), checkpointDir) {
		t.Fatalf("resume under %s of a run begun under %s: got %v, want a refusal naming the checkpoint and PROBCAT_KERNEL=%s", other, orig, err, orig)
	}
	if _, err := os.Stat(filepath.Join(dir, EnsembleFile)); err == nil {
		t.Error("outputs written despite the refusal")
	}
	job = testJob(t, dir, 1)
	job.Resume = true
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatalf("resume on the original path: %v", err)
	}
}
