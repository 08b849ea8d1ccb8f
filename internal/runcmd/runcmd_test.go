package runcmd

import (
	"strings"
	"testing"
)

// TestOutput checks that Output returns a program's standard output, and an error that names
// the program and its first argument when it fails.
func TestOutput(t *testing.T) {
	out, err := Output("test", "sh", "-c", "echo hello")
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("Output = %q, %v; want \"hello\\n\", nil", out, err)
	}
	if _, err := Output("test", "sh", "-c", "exit 3"); err == nil || !strings.Contains(err.Error(), "sh -c") {
		t.Errorf("a failing command gave error %v, want one naming sh -c", err)
	}
}
