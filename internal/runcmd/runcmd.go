// Package runcmd runs the probcat command line (or any program) from the experiments, which
// drive it as a user would.
package runcmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Output runs name with args and returns its standard output; its standard error passes
// through to this process's, after a line "prefix: name args" saying what runs. The error
// names the program and its first argument.
func Output(prefix, name string, args ...string) ([]byte, error) {
	fmt.Fprintf(os.Stderr, "%s: %s %s\n", prefix, name, strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		first := ""
		if len(args) > 0 {
			first = " " + args[0]
		}
		return nil, fmt.Errorf("%s%s: %w", filepath.Base(name), first, err)
	}
	return out, nil
}

// WorkDir returns an experiment's work folder as an absolute path: dir, made if missing, or a
// new temporary folder (kept) when dir is empty; it says where on stderr, after prefix.
func WorkDir(prefix, dir string) (string, error) {
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "probcat-"+prefix+"-")
	} else {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return "", err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "%s: outputs go to %s\n", prefix, dir)
	return dir, nil
}
