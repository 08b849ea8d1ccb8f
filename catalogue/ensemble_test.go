package catalogue

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// randomEnsemble makes chains×perChain samples with a random number of sources each.
func randomEnsemble(seed uint64, chains, perChain, maxN int) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []Sample
	for c := 0; c < chains; c++ {
		for k := 0; k < perChain; k++ {
			s := Sample{Chain: c, Index: k}
			n := 1 + rng.IntN(maxN)
			for i := 0; i < n; i++ {
				s.X = append(s.X, 100*rng.Float64()-0.5)
				s.Y = append(s.Y, 100*rng.Float64()-0.5)
				s.Flux = append(s.Flux, 250/rng.Float64())
			}
			out = append(out, s)
		}
	}
	return out
}

func writeEnsemble(t *testing.T, path string, samples []Sample, d Derived) {
	t.Helper()
	w, err := CreateEnsemble(path, d, map[string]string{"probcat.seed": "7", "probcat.kind": "point"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		if err := w.Write(&samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEnsembleRoundTripAndDeterminism(t *testing.T) {
	dir := t.TempDir()
	samples := randomEnsemble(1, 3, 20, 400)
	// Empty samples have no row but must come back.
	samples[3].X, samples[3].Y, samples[3].Flux = nil, nil, nil
	samples[40].X, samples[40].Y, samples[40].Flux = nil, nil, nil
	d := Derived{
		Magnitude: func(f float64) float64 { return testMag(f, 24) },
		Sky:       func(x, y float64) (float64, float64) { return 10 + x/3600, -5 + y/3600 },
	}
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeEnsemble(t, a, samples, d)
	writeEnsemble(t, b, samples, d)
	ba, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba, bb) {
		t.Fatal("identical ensembles gave different bytes")
	}
	got, err := ReadEnsemble(a)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, samples) {
		t.Fatalf("round trip differs: got %d samples, want %d", len(got), len(samples))
	}
	tab, err := readTable(a)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"chain", "sample", "x", "y", "flux", "mag", "ra", "dec"}
	if !reflect.DeepEqual(tab.names, want) {
		t.Errorf("columns %v, want %v", tab.names, want)
	}
	if tab.meta["probcat.seed"] != "7" {
		t.Errorf("metadata lost: %v", tab.meta)
	}
	if m := tab.cols["mag"][0]; math.Abs(m-testMag(samples[0].Flux[0], 24)) > 1e-12 {
		t.Errorf("mag column %g", m)
	}
	// Without zero point and WCS the optional columns are absent.
	c := filepath.Join(dir, "c.parquet")
	writeEnsemble(t, c, samples[:2], Derived{})
	tab, err = readTable(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tab.names, want[:5]) {
		t.Errorf("columns %v, want %v", tab.names, want[:5])
	}
}

func TestEnsembleManyRowGroups(t *testing.T) {
	// More rows than one row group holds (1<<18, tablefile.Writer), to exercise the streaming
	// flush.
	samples := randomEnsemble(2, 1, 2, 1)
	big := Sample{Chain: 1, Index: 5}
	for i := 0; i < 1<<18+1000; i++ {
		big.X = append(big.X, float64(i%97))
		big.Y = append(big.Y, float64(i%89))
		big.Flux = append(big.Flux, float64(i))
	}
	samples = append(samples, big)
	p := filepath.Join(t.TempDir(), "e.parquet")
	writeEnsemble(t, p, samples, Derived{})
	got, err := ReadEnsemble(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, samples) {
		t.Fatal("round trip over several row groups differs")
	}
}

func TestSamplesRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "samples.parquet")
	moves := []string{"move", "birth", "death", "split", "merge"}
	w, err := CreateSamples(p, moves, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []SampleStats
	for c := 0; c < 2; c++ {
		for k := 0; k < 10; k++ {
			r := SampleStats{Chain: c, Index: k, N: 100 + k, LogLike: -1e4 + float64(k), LogPrior: -150.5,
				Background: 179.25, TotalFlux: 4e4 + float64(k), Acceptance: []float64{0.14, 1e-4, 2e-4, 0.013, 0.012},
				Hyper: Hyper{Density: 0.01 * float64(k+1), FluxSlope: 2 + 0.1*float64(c), FluxBreak: 1e3, FluxSlopeBright: 2.5}}
			rows = append(rows, r)
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Write(SampleStats{Acceptance: []float64{1}}); err == nil {
		t.Fatal("a row with the wrong number of acceptance rates was accepted")
	}
	// The failed write aborted the file: Close fails and nothing is left behind.
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failed write succeeded")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("a partial samples file was left behind")
	}
	if ents, err := os.ReadDir(filepath.Dir(p)); err != nil || len(ents) != 0 {
		t.Fatalf("temporary files left: %v (%v)", ents, err)
	}

	w, err = CreateSamples(p, moves, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	gotMoves, got, err := ReadSamples(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMoves, moves) || !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip differs: %v %v", gotMoves, got[:1])
	}
}

func TestReadBadFiles(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.parquet")
	if err := os.WriteFile(junk, []byte("PAR1 this is not parquet PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnsemble(junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk file: error %v should name the file", err)
	}
	// A truncated real file.
	good := filepath.Join(dir, "good.parquet")
	writeEnsemble(t, good, randomEnsemble(3, 1, 3, 50), Derived{})
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{len(b) / 2, len(b) - 10} {
		trunc := filepath.Join(dir, "trunc.parquet")
		if err := os.WriteFile(trunc, b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadEnsemble(trunc); err == nil {
			t.Errorf("file truncated to %d of %d bytes was read without error", cut, len(b))
		}
	}
	// A samples file is not an ensemble.
	sp := filepath.Join(dir, "samples.parquet")
	w, err := CreateSamples(sp, []string{"move"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(SampleStats{Acceptance: []float64{0.5}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnsemble(sp); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("samples file read as ensemble: %v", err)
	}
	if _, err := ReadEnsemble(filepath.Join(dir, "absent.parquet")); err == nil {
		t.Error("absent file read")
	}
	// Writing into a folder that does not exist fails cleanly.
	if _, err := CreateEnsemble(filepath.Join(dir, "no", "e.parquet"), Derived{}, nil); err == nil {
		t.Error("writer created in a missing folder")
	}
}
