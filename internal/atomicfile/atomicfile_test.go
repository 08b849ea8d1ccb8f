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
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("after a failed write the file holds %q", b)
	}
	// A leftover temporary file (a killed writer) is replaced, not added to.
	os.WriteFile(TempName(path), []byte("junk"), 0o600)
	if err := WriteBytes(path, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Errorf("file holds %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file", len(entries))
	}
	// A folder that does not exist: an error naming the path, nothing created.
	bad := filepath.Join(dir, "missing", "x")
	if err := WriteBytes(bad, nil); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write into a missing folder: %v", err)
	}
}
