package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
)

// refineJob is testJob with PSF refinement on (two short rounds).
func refineJob(t *testing.T, out string, threads int) *Job {
	job := testJob(t, out, threads)
	rc := sampler.DefaultRefineConfig()
	rc.Rounds, rc.FirstSamples, rc.Samples = 2, 8, 4
	rc.Isolation = 0 // a small crowded field: every bright star counts
	job.Refine = &rc
	return job
}

// TestRefinedPSFThreadsAndResume checks that a job refining its PSF writes psf-refined.fits
// (astropy-free: read back by probcat's own reader), records the refinement in run.json, and
// gives the same bytes with 1 and 3 threads and after an interruption resumed.
func TestRefinedPSFThreadsAndResume(t *testing.T) {
	dir := t.TempDir()
	one, three, resumed := filepath.Join(dir, "t1"), filepath.Join(dir, "t3"), filepath.Join(dir, "resumed")
	if _, err := Run(context.Background(), refineJob(t, one, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), refineJob(t, three, 3)); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, one, three)
	p, err := psf.ReadFITS(filepath.Join(one, PSFFile), psf.AutoHDU, psf.ImageOptions{})
	if err != nil {
		t.Fatalf("reading the refined PSF: %v", err)
	}
	if p.Size != testJob(t, one, 1).PSF.Size() {
		t.Errorf("refined PSF is %d pixels wide", p.Size)
	}
	b, err := os.ReadFile(filepath.Join(one, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		PSFRefinement struct {
			Refined bool
			Rounds  []map[string]any
		} `json:"psf_refinement"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if !rec.PSFRefinement.Refined || len(rec.PSFRefinement.Rounds) == 0 {
		t.Errorf("run.json's psf_refinement = %+v, want a refinement with its rounds", rec.PSFRefinement)
	}

	// interrupt after a few samples of the chains (the pilot has finished), then resume
	ctx, cancel := context.WithCancel(context.Background())
	job := refineJob(t, resumed, 2)
	job.Progress = func(done, total int) {
		if done == 7 {
			cancel()
		}
	}
	if _, err := Run(ctx, job); err == nil {
		t.Fatal("interrupted run reported success")
	}
	job = refineJob(t, resumed, 2)
	job.Resume = true
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, one, resumed)
	for _, d := range []string{three, resumed} {
		x, _ := os.ReadFile(filepath.Join(one, PSFFile))
		y, err := os.ReadFile(filepath.Join(d, PSFFile))
		if err != nil || string(x) != string(y) {
			t.Errorf("%s differs between %s and %s (%v)", PSFFile, one, d, err)
		}
	}
}

// TestRefineFallsBack checks that a field without bright stars keeps the given PSF, says so,
// and says why in run.json.
func TestRefineFallsBack(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	job := refineJob(t, out, 2)
	job.Refine.MinStars, job.Refine.MaxStars = 1000, 1000
	var warned string
	job.Note = func(m string) { warned = m }
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if warned == "" {
		t.Error("no note when the PSF could not be refined")
	}
	if _, err := os.Stat(filepath.Join(out, PSFFile)); err == nil {
		t.Errorf("%s written though the PSF was not refined", PSFFile)
	}
	t.Log("note:", warned)
}
