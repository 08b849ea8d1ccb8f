//go:build unix

package tile

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLockIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0001.partial.lock")
	unlock, err := lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock(path); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	unlock2, err := lock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}
