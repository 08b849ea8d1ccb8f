package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
	"github.com/probcat/probcat/simulate"
)

// testJob is a small job: a 40×40 simulated field, 2 chains of 30 kept samples.
func testJob(t testing.TB, out string, threads int) *Job {
	t.Helper()
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	sc := simulate.Default()
	sc.Width, sc.Height, sc.Density, sc.Seed = 40, 40, 0.05, 7
	im, _, err := simulate.Field(sc, p)
	if err != nil {
		t.Fatal(err)
	}
	im.ZeroPoint, im.HasZeroPoint = 28, true
	cfg := sampler.DefaultConfig()
	cfg.Chains, cfg.Samples, cfg.BurnIn, cfg.Proposals, cfg.Threads, cfg.Seed = 2, 30, 10, 40, threads, 11
	return &Job{Image: im, PSF: p, Flux: sc.FluxPrior, Config: cfg, OutDir: out,
		CondenseRadius: 0.75, Settings: map[string]any{"test": true}}
}

// catalogueFiles are the outputs that must be byte-identical between equivalent runs
// (run.json holds timings, so it is excluded).
var catalogueFiles = []string{EnsembleFile, SamplesFile, CondensedParq, CondensedFITS, ModelFile}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range catalogueFiles {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
}

func TestOutputsAndThreadInvariance(t *testing.T) {
	dir := t.TempDir()
	one, two := filepath.Join(dir, "t1"), filepath.Join(dir, "t2")
	sum, err := Run(context.Background(), testJob(t, one, 1))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Kept != 60 {
		t.Errorf("kept %d samples, want 60", sum.Kept)
	}
	if _, err := Run(context.Background(), testJob(t, two, 3)); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, one, two)
	for _, f := range append(catalogueFiles, DiagnosticsFile, RunFile) {
		if _, err := os.Stat(filepath.Join(one, f)); err != nil {
			t.Errorf("missing output %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(one, checkpointDir)); err == nil {
		t.Errorf("checkpoints left behind after a finished run")
	}
}

// TestHelperKilledRun is not a test: TestResumeAfterKill runs the test binary with
// PROBCAT_HELPER_OUT set so that this function samples into that folder until killed. Once
// every chain has a kept sample in its log, the chain that reports it stops in its progress
// callback for good (the others sample on), after creating PROBCAT_HELPER_READY: the run can
// then never finish, so the kill always lands on an unfinished run.
func TestHelperKilledRun(t *testing.T) {
	out := os.Getenv("PROBCAT_HELPER_OUT")
	if out == "" {
		t.Skip("helper process for TestResumeAfterKill")
	}
	job := testJob(t, out, 2)
	var once sync.Once
	job.Progress = func(done, total int) {
		for c := range job.Config.Chains {
			if st, err := os.Stat(filepath.Join(out, checkpointDir, fmt.Sprintf("chain-%d.log", c))); err != nil || st.Size() == 0 {
				return
			}
		}
		once.Do(func() {
			if err := os.WriteFile(os.Getenv("PROBCAT_HELPER_READY"), nil, 0o644); err != nil {
				panic(err)
			}
			select {} // until killed
		})
	}
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
}

func TestResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if _, err := Run(context.Background(), testJob(t, ref, 2)); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(dir, "killed")
	ready := filepath.Join(dir, "ready")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledRun$")
	cmd.Env = append(os.Environ(), "PROBCAT_HELPER_OUT="+killed, "PROBCAT_HELPER_READY="+ready)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Kill it once every chain has kept samples; it cannot finish before (see the helper).
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case err := <-exited:
			t.Fatalf("the helper exited (%v) before it could be killed:\n%s", err, output.Bytes())
		case <-deadline:
			if err := cmd.Process.Kill(); err != nil {
				t.Error(err)
			}
			<-exited
			t.Fatalf("helper made no progress in 60 s:\n%s", output.Bytes())
		case <-time.After(2 * time.Millisecond):
			if _, err := os.Stat(ready); err == nil {
				break wait
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL, as a preempted job
		t.Fatal(err)
	}
	<-exited
	if _, err := os.Stat(filepath.Join(killed, EnsembleFile)); err == nil {
		t.Fatal("the killed run wrote its outputs: it was not killed midway")
	}
	job := testJob(t, killed, 1)
	job.Resume = true
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, ref, killed)
}

func TestCorruptCheckpoint(t *testing.T) {
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
	state := filepath.Join(dir, checkpointDir, "chain-0.state")
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(state, b, 0o644); err != nil {
		t.Fatal(err)
	}
	job = testJob(t, dir, 1)
	job.Resume = true
	_, err = Run(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), state) {
		t.Fatalf("corrupt checkpoint: got %v, want an error naming %s as corrupt", err, state)
	}
	if _, err := os.Stat(filepath.Join(dir, EnsembleFile)); err == nil {
		t.Error("outputs written despite the corrupt checkpoint")
	}
	// A checkpoint from other settings is refused too.
	job = testJob(t, dir, 1)
	job.Resume = true
	job.Config.Seed = 99
	os.Remove(state)
	if _, err := Run(context.Background(), job); err == nil || !strings.Contains(err.Error(), "different") {
		t.Fatalf("checkpoint with other settings: got %v", err)
	}
}
