package atomicfile

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeOrNotAtAll(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteBytes(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	// A failing writer leaves the old file and no temporary file, and names the path.
	boom := errors.New("boom")
	err := Write(path, func(w *bufio.Writer) error {
		w.WriteString("half of the second")
		return boom
	})
	if !errors.Is(err, boom) || err.Error() != path+": boom" {
		t.Errorf("failed write: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "first" {
		t.Errorf("after a failed write the file holds %q (%v)", b, err)
	}
	// A leftover temporary file (a killed writer) is replaced, not added to.
	if err := os.WriteFile(TempName(path), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "second" {
		t.Errorf("file holds %q (%v)", b, err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file (%v)", len(entries), err)
	}
	// A folder that does not exist: an error naming the path, nothing created.
	bad := filepath.Join(dir, "missing", "x")
	if err := WriteBytes(bad, nil); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write into a missing folder: %v", err)
	}
}
