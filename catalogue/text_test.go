package catalogue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadXYFluxErrors(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"short.txt": "1 2 3\n4 5\n",
		"nan.txt":   "1 2 nan\n",
		"empty.txt": "# nothing\n\n",
		"words.txt": "x y flux\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := ReadXYFlux(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v should name the file", name, err)
		}
	}
}
