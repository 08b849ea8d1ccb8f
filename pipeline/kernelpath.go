package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/render"
	"github.com/probcat/probcat/sampler"
)

// kernelFile, in the checkpoint folder, names the kernel path (render.Path) the checkpoints
// were made with. Every chain's checkpoint records it too, but a resume must be refused
// before any chain runs: a chain without a checkpoint would otherwise start on the new path
// and leave checkpoints that no longer agree with the others.
const kernelFile = "kernel"

// recordKernelPath checks, when resuming, that the checkpoints in ckdir were made with this
// process's kernel path (an error says how to continue when not), and records the path.
func recordKernelPath(ckdir string, resume bool) error {
	path := filepath.Join(ckdir, kernelFile)
	if resume {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			if err := sampler.KernelPathMismatch(strings.TrimSpace(string(b)), path); err != nil {
				return err
			}
		case !errors.Is(err, os.ErrNotExist):
			return err
		}
	}
	return atomicfile.WriteBytes(path, []byte(render.Path()+"\n"))
}
