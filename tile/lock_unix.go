//go:build unix

package tile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on path (created if needed), so that two processes
// never run the same tile at once (a requeued job while the old one still runs). The
// returned function releases it.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: another process is running this tile", path)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return func() { f.Close() }, nil
}
