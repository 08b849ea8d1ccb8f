package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/killtest"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
	"github.com/probcat/probcat/simulate"
)

// testJob is a small job: a sparse 32×32 simulated field (12 sources), 2 chains of 30 kept
// samples after a burn-in that ends by itself, between 10 and 400 samples (at 220).
func testJob(t testing.TB, out string, threads int) *Job {
	return fieldJob(t, out, threads, 32, 0.02)
}

// crowdedJob is testJob on a crowded 40×40 field (80 sources) whose chains cannot agree
// within its burn-in of 10 to 30 samples.
func crowdedJob(t testing.TB, out string, threads int) *Job {
	job := fieldJob(t, out, threads, 40, 0.05)
	job.Config.Proposals, job.Config.MaxBurnIn = 40, 30
	return job
}

func fieldJob(t testing.TB, out string, threads, size int, density float64) *Job {
	t.Helper()
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	sc := simulate.Default()
	sc.Width, sc.Height, sc.Density, sc.Seed = size, size, density, 7
	im, _, err := simulate.Field(sc, p)
	if err != nil {
		t.Fatal(err)
	}
	im.ZeroPoint, im.HasZeroPoint = 28, true
	cfg := sampler.DefaultConfig()
	cfg.Chains, cfg.Samples, cfg.BurnIn, cfg.MaxBurnIn, cfg.Proposals, cfg.Threads, cfg.Seed = 2, 30, 10, 400, 200, threads, 11
	cfg.CountPrior = model.DefaultGammaPoisson // so that the thread and resume identities cover every hyperparameter update
	return &Job{Image: im, PSF: psf.Uniform(p), Flux: sc.FluxPrior, Config: cfg, OutDir: out,
		CondenseRadius: 0.75, Settings: map[string]any{"test": true}}
}

// catalogueFiles are the outputs that must be byte-identical between equivalent runs
// (run.json holds timings, so it is excluded).
var catalogueFiles = []string{EnsembleFile, SamplesFile, CondensedParq, CondensedFITS, CountsFile, ModelFile}

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
	sum2, err := Run(context.Background(), testJob(t, two, 3))
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, one, two)
	if sum2.BurnIn != sum.BurnIn {
		t.Errorf("burn-in %d with 1 thread, %d with 3", sum.BurnIn, sum2.BurnIn)
	}
	for _, f := range append(catalogueFiles, DiagnosticsFile, RunFile) {
		if _, err := os.Stat(filepath.Join(one, f)); err != nil {
			t.Errorf("missing output %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(one, checkpointDir)); err == nil {
		t.Errorf("checkpoints left behind after a finished run")
	}
	checkCounts(t, one)
}

// checkCounts checks a run's counts.parquet against the counts and detection limit computed
// afresh from its ensemble.parquet and condensed.parquet, in half magnitudes (the test images
// have a zero point).
func checkCounts(t *testing.T, dir string) {
	t.Helper()
	got, err := catalogue.ReadCounts(filepath.Join(dir, CountsFile))
	if err != nil {
		t.Fatal(err)
	}
	ens, err := catalogue.ReadEnsemble(filepath.Join(dir, EnsembleFile))
	if err != nil {
		t.Fatal(err)
	}
	cond, err := catalogue.ReadCondensedParquet(filepath.Join(dir, CondensedParq))
	if err != nil {
		t.Fatal(err)
	}
	b := catalogue.Binning{Magnitude: func(f float64) float64 { return 28 - 2.5*math.Log10(f) }}
	want := catalogue.CountSamples(ens, b)
	limit, ok := catalogue.DetectionLimit(b, cond)
	if !ok {
		t.Fatal("no bin of the condensed catalogue reaches a mean prevalence of 0.5")
	}
	want.Limit = limit
	if !got.Magnitudes || len(got.Bins) < 3 || got.Samples != len(ens) || !reflect.DeepEqual(got, want) {
		t.Errorf("counts.parquet holds %+v, the ensemble gives %+v", got, want)
	}
}

// TestBurnInStopsWhenChainsAgree checks the automatic end of burn-in on an easy field
// against the rule replayed on chains run independently of the pipeline: burn-in ends at the
// first check point (every CheckEvery samples from the minimum) where the watched scalars of
// samples [t/2, t) pass, before the cap; the kept samples are the next ones; run.json and
// samples.parquet carry the convergence record and the total flux.
func TestBurnInStopsWhenChainsAgree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	job := testJob(t, dir, 2)
	sum, err := Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	cfg := job.Config
	if !sum.Converged || sum.BurnIn <= cfg.BurnIn || sum.BurnIn >= cfg.MaxBurnIn || (sum.BurnIn-cfg.BurnIn)%CheckEvery != 0 {
		t.Fatalf("burn-in %d, converged %v: want a converged check point strictly between %d and %d", sum.BurnIn, sum.Converged, cfg.BurnIn, cfg.MaxBurnIn)
	}
	// Replay: the chains on their own, every sample a burn-in sample until sum.BurnIn.
	kind := &model.PointSource{PSF: job.PSF, Flux: job.Flux}
	traces := make([]sampler.Trace, cfg.Chains)
	var first []sampler.Sample // each chain's first kept sample
	for c := range traces {
		ch, err := sampler.NewChain(job.Image, kind, cfg, c)
		if err != nil {
			t.Fatal(err)
		}
		ch.SetBurnIn(true)
		for range sum.BurnIn {
			s, err := ch.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			traces[c].AddSample(&s)
		}
		ch.SetBurnIn(false)
		s, err := ch.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, s)
	}
	for at := cfg.BurnIn; at < sum.BurnIn; at += CheckEvery {
		if d := sampler.Diagnose(traces, at/2, at); d.Converged() {
			t.Errorf("the check at %d passes (%+v), but burn-in ended at %d", at, d, sum.BurnIn)
		}
	}
	if d := sampler.Diagnose(traces, sum.BurnIn/2, sum.BurnIn); !d.Converged() || fmt.Sprint(d) != fmt.Sprint(sum.Check) {
		t.Errorf("the check at %d: replayed %+v, run %+v", sum.BurnIn, d, sum.Check)
	}
	_, rows, err := catalogue.ReadSamples(filepath.Join(dir, SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	ens, err := catalogue.ReadEnsemble(filepath.Join(dir, EnsembleFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != cfg.Chains*cfg.Samples || len(ens) != len(rows) {
		t.Fatalf("%d rows and %d ensemble samples, want %d", len(rows), len(ens), cfg.Chains*cfg.Samples)
	}
	for i, r := range rows {
		total := 0.0
		for _, f := range ens[i].Flux {
			total += f
		}
		if r.TotalFlux != total {
			t.Fatalf("row %d: total_flux %g, the ensemble sums to %g", i, r.TotalFlux, total)
		}
		if r.Index == 0 && r.LogLike != first[r.Chain].LogLike {
			t.Errorf("chain %d: first kept ln L %g, the replayed chain's sample %d has %g", r.Chain, r.LogLike, sum.BurnIn, first[r.Chain].LogLike)
		}
	}
	conv, err := ReadConvergence(filepath.Join(dir, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	if !conv.Converged || conv.BurnIn != sum.BurnIn || conv.Check == nil || conv.Check.From != sum.BurnIn/2 ||
		conv.Check.To != sum.BurnIn || !(conv.N.RHat > 0) || !(conv.TotalFlux.ESS > 0) || !(conv.LogLike.RHat > 0) ||
		conv.Background.RHat != -1 {
		t.Errorf("run.json convergence %+v", conv)
	}
}

// TestBurnInCap: chains that cannot agree in time stop burning in at the cap, not converged;
// a fixed burn-in (MaxBurnIn = BurnIn) is checked once, at its end.
func TestBurnInCap(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ lo, hi int }{{10, 30}, {20, 20}} {
		job := crowdedJob(t, filepath.Join(dir, fmt.Sprint(c.hi, "-", c.lo)), 2)
		job.Config.BurnIn, job.Config.MaxBurnIn = c.lo, c.hi
		sum, err := Run(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Converged || sum.BurnIn != c.hi || sum.Kept != 60 {
			t.Errorf("burn-in %d to %d: burnt in %d, converged %v, kept %d; want %d, false, 60", c.lo, c.hi, sum.BurnIn, sum.Converged, sum.Kept, c.hi)
		}
		conv, err := ReadConvergence(filepath.Join(job.OutDir, RunFile))
		if err != nil || conv.Converged || conv.BurnIn != c.hi {
			t.Errorf("run.json convergence %+v, %v", conv, err)
		}
	}
}

func TestNextCheck(t *testing.T) {
	for _, c := range []struct{ t, lo, hi, want int }{
		{0, 100, 2000, 100}, {100, 100, 2000, 100}, {101, 100, 2000, 110}, {110, 100, 2000, 110},
		{1995, 100, 2000, 2000}, {0, 0, 0, 0}, {0, 5, 5, 5}, {6, 5, 12, 12}, {3, 0, 30, 10},
	} {
		if got := nextCheck(c.t, c.lo, c.hi); got != c.want {
			t.Errorf("nextCheck(%d, %d, %d) = %d, want %d", c.t, c.lo, c.hi, got, c.want)
		}
	}
}

// TestHelperKilledRun is not a test: TestResumeAfterKill runs the test binary with
// PROBCAT_HELPER_OUT set so that this function samples into that folder until killed
// (resuming when PROBCAT_HELPER_RESUME is set). Once PROBCAT_HELPER_STOP holds ("burn-in":
// 80 samples done, every chain a few dozen samples into burn-in; "kept": every chain has a
// kept sample in its log), the chain that sees it stops in its progress callback for good,
// after calling killtest.Ready: the run can then never finish, so the kill always
// lands on an unfinished run.
func TestHelperKilledRun(t *testing.T) {
	out := os.Getenv("PROBCAT_HELPER_OUT")
	if out == "" {
		t.Skip("helper process for TestResumeAfterKill")
	}
	job := variantJob(t, out, 2, os.Getenv("PROBCAT_HELPER_VARIANT"))
	job.Resume = os.Getenv("PROBCAT_HELPER_RESUME") != ""
	stop := os.Getenv("PROBCAT_HELPER_STOP")
	var once sync.Once
	job.Progress = func(done, total int) {
		switch stop {
		case "burn-in":
			if done < 80 {
				return
			}
		default:
			for c := range job.Config.Chains {
				if st, err := os.Stat(filepath.Join(out, checkpointDir, fmt.Sprintf("chain-%d.log", c))); err != nil || st.Size() == 0 {
					return
				}
			}
		}
		once.Do(killtest.Ready)
	}
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
}

// variantJob is testJob in one of the variants the identity tests cover: "" (as it is),
// "background2" (a background of order 2), "galaxies" (stars and exponential galaxies) or
// "bands" (an i band beside the image, see addBand).
func variantJob(t testing.TB, out string, threads int, variant string) *Job {
	job := testJob(t, out, threads)
	switch variant {
	case "":
	case "background2":
		job.Config.BackgroundOrder, job.Config.SampleBackground = 2, true
	case "galaxies":
		job.Kinds = &KindSpec{Names: []string{"star", "galaxy"}, Weights: []float64{0.7, 0.3}, ReMin: 0.5, ReMax: 3}
	case "bands":
		addBand(t, job)
	default:
		t.Fatalf("unknown test job variant %q", variant)
	}
	return job
}

// killAt runs the helper on out (resuming or not, with the job variant of variantJob) until
// it reports the stop condition ("burn-in" or "kept", see TestHelperKilledRun), then SIGKILLs
// it; the helper exiting first, or making no progress in 60 s, fails the test.
func killAt(t *testing.T, out string, resume bool, stop, variant string) {
	t.Helper()
	env := []string{"PROBCAT_HELPER_OUT=" + out, "PROBCAT_HELPER_STOP=" + stop, "PROBCAT_HELPER_VARIANT=" + variant}
	if resume {
		env = append(env, "PROBCAT_HELPER_RESUME=1")
	}
	killtest.Run(t, "TestHelperKilledRun", env...)
	if _, err := os.Stat(filepath.Join(out, EnsembleFile)); err == nil {
		t.Fatal("the killed run wrote its outputs: it was not killed midway")
	}
}

// TestResumeAfterKill kills a run during burn-in (before the chains agree), resumes it and
// kills it again while it keeps samples, and resumes it to the end: the outputs are those of
// an uninterrupted run, burn-in decision included.
func TestResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if _, err := Run(context.Background(), testJob(t, ref, 2)); err != nil {
		t.Fatal(err)
	}
	resumeAfterKill(t, dir, ref, "")
}

// resumeAfterKill runs the variant of testJob (see variantJob) in dir/killed, killed during
// burn-in and while keeping samples and resumed each time, and compares its outputs with
// those of the uninterrupted run in ref.
func resumeAfterKill(t *testing.T, dir, ref, variant string) {
	killed := filepath.Join(dir, "killed")
	ck := filepath.Join(killed, checkpointDir)
	decided := func() bool {
		_, err := os.Stat(filepath.Join(ck, decisionFile))
		return err == nil
	}
	killAt(t, killed, false, "burn-in", variant)
	if decided() {
		t.Log("killed after the end of burn-in, not during it")
	}
	killAt(t, killed, true, "kept", variant)
	if !decided() {
		t.Fatal("samples kept before the burn-in decision was stored")
	}
	job := variantJob(t, killed, 1, variant)
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
	// Checkpoints from other settings are refused too: a chain's, and the burn-in decision.
	job = testJob(t, dir, 1)
	job.Config.MaxBurnIn = job.Config.BurnIn // decided at the first check
	n = 0
	ctx, cancel = context.WithCancel(context.Background())
	job.Progress = func(done, total int) {
		if n++; n == 2*job.Config.BurnIn+3 {
			cancel()
		}
	}
	if _, err := Run(ctx, job); err == nil {
		t.Fatal("cancelled run reported success")
	}
	if _, err := os.Stat(filepath.Join(dir, checkpointDir, decisionFile)); err != nil {
		t.Fatalf("no burn-in decision stored: %v", err)
	}
	job = testJob(t, dir, 1)
	job.Resume = true
	job.Config.Seed = 99
	if _, err := Run(context.Background(), job); err == nil || !strings.Contains(err.Error(), "different") {
		t.Fatalf("checkpoint with other settings: got %v", err)
	}
	for c := range job.Config.Chains {
		st, _, _ := chainPaths(filepath.Join(dir, checkpointDir), c)
		os.Remove(st)
	}
	if _, err := Run(context.Background(), job); err == nil || !strings.Contains(err.Error(), "different") || !strings.Contains(err.Error(), decisionFile) {
		t.Fatalf("burn-in decision with other settings: got %v", err)
	}
}
