// Package shareddata locates the real survey data that probcat's tests and experiments use
// (../shared/data, or the folder named by PROBCAT_DATA) and the external tools (Debian's
// astropy, fitsverify) that tests use as independent checks.
package shareddata

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Dir returns the data folder: $PROBCAT_DATA if set, else ../shared/data relative to the
// module root (the folder holding go.mod), found by walking up from the working directory.
func Dir() string {
	if d := os.Getenv("PROBCAT_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "data")
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "data")
		}
		if filepath.Dir(d) == d {
			return filepath.Join("..", "shared", "data")
		}
	}
}

// Required reports whether missing data or tools must fail tests (PROBCAT_REQUIRE_DATA=1, as
// in CI) rather than skip them.
func Required() bool { return os.Getenv("PROBCAT_REQUIRE_DATA") == "1" }

// Path returns the path of a file under the data folder, skipping the test (or failing it
// when Required) if the file is absent.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(), rel)
	if _, err := os.Stat(p); err != nil {
		missing(t, "real data "+p+" is absent (set PROBCAT_DATA)")
	}
	return p
}

// Python returns Debian's /usr/bin/python3 after checking that it imports the given modules
// (for example "astropy"), skipping the test (or failing it when Required) otherwise.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	const py = "/usr/bin/python3"
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			missing(t, py+" cannot import "+m+" (apt-get install python3-"+m+")")
		}
	}
	return py
}

// Tool returns the path of an external program, skipping the test (or failing it when
// Required) if it is not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not installed")
	}
	return p
}

func missing(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatal(why + "; PROBCAT_REQUIRE_DATA=1 makes this a failure")
	}
	t.Skip(why)
}
