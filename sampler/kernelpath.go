package sampler

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/probcat/probcat/render"
)

// writeKernelPath records in a checkpoint the kernel path in use (render.Path), as one length
// byte and the name: the paths agree only to float32 rounding, so a chain continued on
// another path would not give the bytes an uninterrupted run gives.
func writeKernelPath(buf *bytes.Buffer) {
	name := render.Path()
	buf.WriteByte(byte(len(name)))
	buf.WriteString(name)
}

// checkKernelPath reads the kernel path that writeKernelPath recorded at the start of p and
// returns the rest of p, or an error saying how to continue when the path differs from this
// process's.
func checkKernelPath(p []byte) ([]byte, error) {
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return nil, errors.New("checkpoint: malformed (no kernel path)")
	}
	name, rest := string(p[1:1+int(p[0])]), p[1+int(p[0]):]
	if err := KernelPathMismatch(name, "checkpoint"); err != nil {
		return nil, err
	}
	return rest, nil
}

// KernelPathMismatch returns nil when recorded, the kernel path a checkpoint or a plan (what)
// was made with, is the one this process uses, and otherwise an error that says how to
// continue: with PROBCAT_KERNEL=recorded when this machine can run that path, else on a
// machine that can.
func KernelPathMismatch(recorded, what string) error {
	cur := render.Path()
	if recorded == cur {
		return nil
	}
	msg := fmt.Sprintf("%s: made with the %s kernels, but this process uses %s, so the results would not be the same bytes", what, recorded, cur)
	if slices.Contains(render.Paths(), recorded) {
		return fmt.Errorf("%s; run with PROBCAT_KERNEL=%s to use the same kernels", msg, recorded)
	}
	return fmt.Errorf("%s; this machine cannot run %s (it has %s): continue on one that can, with PROBCAT_KERNEL=%s, or start afresh",
		msg, recorded, strings.Join(render.Paths(), ", "), recorded)
}
