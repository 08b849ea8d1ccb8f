package catalogue

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

// pyParquet is what testdata/catalogue/read_parquet.py reports about a file.
type pyParquet struct {
	NumRows   int                  `json:"num_rows"`
	Columns   [][2]string          `json:"columns"`
	KeyValue  map[string]string    `json:"key_value"`
	CreatedBy string               `json:"created_by"`
	Values    map[string][]float64 `json:"values"`
}

// readWithPython reads a Parquet file with the independent reader written from the format
// specification (Debian has no pyarrow), so that our files are checked against the standard and
// not only against parquet-go reading its own output.
func readWithPython(t *testing.T, path string) pyParquet {
	t.Helper()
	py := shareddata.Python(t)
	out, err := exec.Command(py, filepath.Join("..", "testdata", "catalogue", "read_parquet.py"), path).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("independent reader failed on %s: %s", path, ee.Stderr)
		}
		t.Fatal(err)
	}
	var r pyParquet
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("reader output: %v", err)
	}
	return r
}

func TestParquetFilesFollowTheStandard(t *testing.T) {
	dir := t.TempDir()
	// Ensemble, with mag/ra/dec.
	samples := randomEnsemble(8, 2, 4, 300)
	d := Derived{
		Magnitude: func(f float64) float64 { return testMag(f, 24) },
		Sky:       func(x, y float64) (float64, float64) { return 10 + x/3600, -5 + y/3600 },
	}
	e := filepath.Join(dir, "ensemble.parquet")
	writeEnsemble(t, e, samples, d)
	r := readWithPython(t, e)
	wantCols := [][2]string{{"chain", "INT32"}, {"sample", "INT32"}, {"x", "DOUBLE"}, {"y", "DOUBLE"},
		{"flux", "DOUBLE"}, {"mag", "DOUBLE"}, {"ra", "DOUBLE"}, {"dec", "DOUBLE"}}
	if !reflect.DeepEqual(r.Columns, wantCols) {
		t.Errorf("columns %v, want %v", r.Columns, wantCols)
	}
	if r.KeyValue["probcat.seed"] != "7" || r.CreatedBy != "probcat" {
		t.Errorf("metadata %v, created by %q", r.KeyValue, r.CreatedBy)
	}
	row := 0
	for _, s := range samples {
		for i := range s.X {
			ra, dec := d.Sky(s.X[i], s.Y[i])
			want := []float64{float64(s.Chain), float64(s.Index), s.X[i], s.Y[i], s.Flux[i], d.Magnitude(s.Flux[i]), ra, dec}
			for k, c := range wantCols {
				if got := r.Values[c[0]][row]; got != want[k] {
					t.Fatalf("row %d column %s: independent reader sees %v, want %v", row, c[0], got, want[k])
				}
			}
			row++
		}
	}
	if r.NumRows != row {
		t.Errorf("num_rows %d, want %d", r.NumRows, row)
	}

	// samples.parquet with a move list of our choosing.
	sp := filepath.Join(dir, "samples.parquet")
	w, err := CreateSamples(sp, []string{"move", "birth"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(SampleStats{Chain: 3, Index: 9, N: 1234, LogLike: -5e4, LogPrior: -12.25, Background: 179, TotalFlux: 8.5e5,
		Hyper: Hyper{Density: 0.125, FluxSlope: 2.25, FluxBreak: 1500, FluxSlopeBright: 3.5}, Acceptance: []float64{0.14, 1e-4}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r = readWithPython(t, sp)
	wantS := map[string][]float64{"chain": {3}, "sample": {9}, "n": {1234}, "loglike": {-5e4}, "logprior": {-12.25},
		"background": {179}, "total_flux": {8.5e5}, "density": {0.125}, "flux_slope": {2.25}, "flux_break": {1500},
		"flux_slope_bright": {3.5}, "acc_move": {0.14}, "acc_birth": {1e-4}}
	if !reflect.DeepEqual(r.Values, wantS) || r.Columns[2] != [2]string{"n", "INT32"} {
		t.Errorf("samples file: %+v", r)
	}

	// Condensed catalogue.
	cp := filepath.Join(dir, "condensed.parquet")
	cs := someCondensed()
	if err := WriteCondensedParquet(cp, cs, Derived{}, nil); err != nil {
		t.Fatal(err)
	}
	r = readWithPython(t, cp)
	for i, c := range cs {
		if r.Values["x"][i] != c.X || r.Values["flux_err"][i] != c.FluxErr || r.Values["prevalence"][i] != c.Prevalence {
			t.Errorf("condensed row %d: %v", i, r.Values)
		}
	}
}
