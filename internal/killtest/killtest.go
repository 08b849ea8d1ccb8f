// Package killtest kills a test's helper process with SIGKILL at a point the helper chooses,
// for the tests that check that a killed run, resumed, ends with the same bytes as an
// uninterrupted one. The helper is the test binary re-run on one test function: it calls
// Ready once it has reached the point to be killed at, which creates a file and blocks for
// good, so the helper can never finish before the kill (a timer could not promise that).
package killtest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"time"
)

// EnvReady is the environment variable naming the file that Ready creates.
const EnvReady = "PROBCAT_HELPER_READY"

// Ready, called in the helper process, creates the file named by EnvReady and blocks until the
// process is killed.
func Ready() {
	if err := os.WriteFile(os.Getenv(EnvReady), nil, 0o644); err != nil {
		panic(err)
	}
	select {}
}

// Run starts the test binary on the helper test named test (the pattern's anchors are added)
// with env added to the environment, waits until the helper calls Ready (at most 60 s), and
// SIGKILLs it. The helper exiting first, or not reaching Ready in time, fails the test with
// its output.
func Run(t testing.TB, test string, env ...string) {
	t.Helper()
	ready := t.TempDir() + "/ready"
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(append(os.Environ(), env...), EnvReady+"="+ready)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
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
			if _, err := os.Stat(ready); err != nil {
				continue
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL, as a preempted job
				t.Fatal(err)
			}
			<-exited
			return
		}
	}
}
