package catalogue

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
)

func someCondensed() []CondensedSource {
	return []CondensedSource{
		{X: 10.25, Y: 20.5, Flux: 1234.5, XErr: 0.05, YErr: 0.07, FluxErr: 40, Prevalence: 1},
		{X: -0.4, Y: 99.4, Flux: 260, XErr: 0.3, YErr: 0.25, FluxErr: 90, Prevalence: 0.35},
		{X: 55, Y: 3, Flux: 1e5, XErr: 0.01, YErr: 0.01, FluxErr: 300, Prevalence: 0.99},
	}
}

// testZP is the zero point of testDerived's magnitudes.
const testZP = 25.0

// testMag is the magnitude of a flux with zero point zp (NaN for a non-positive flux), as
// probcat's outputs give it.
func testMag(flux, zp float64) float64 {
	if !(flux > 0) {
		return math.NaN()
	}
	return zp - 2.5*math.Log10(flux)
}

var testDerived = Derived{
	Magnitude: func(f float64) float64 { return testMag(f, testZP) },
	Sky:       func(x, y float64) (float64, float64) { return 322.5 + x*1.1e-4, -0.8 + y*1.1e-4 },
}

func TestCondensedParquetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cs := someCondensed()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	for _, p := range []string{a, b} {
		if err := WriteCondensedParquet(p, cs, testDerived, map[string]string{"probcat.radius": "0.75"}); err != nil {
			t.Fatal(err)
		}
	}
	ba, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba, bb) {
		t.Fatal("same catalogue, different bytes")
	}
	got, err := ReadCondensedParquet(a)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cs) {
		t.Fatalf("round trip: %+v", got)
	}
	tab, err := readTable(a)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x", "y", "flux", "x_err", "y_err", "flux_err", "prevalence", "mag", "ra", "dec"}
	if !reflect.DeepEqual(tab.names, want) {
		t.Errorf("columns %v", tab.names)
	}
	// ReadEstimates: a condensed file is one sample, an ensemble file many, text one.
	s, ens, err := ReadEstimates(a)
	if err != nil || ens || len(s) != 1 || !reflect.DeepEqual(s[0].Flux, []float64{1234.5, 260, 1e5}) {
		t.Errorf("ReadEstimates(condensed): %v %v %+v", err, ens, s)
	}
	e := filepath.Join(dir, "e.parquet")
	samples := randomEnsemble(4, 2, 3, 20)
	writeEnsemble(t, e, samples, Derived{})
	s, ens, err = ReadEstimates(e)
	if err != nil || !ens || !reflect.DeepEqual(s, samples) {
		t.Errorf("ReadEstimates(ensemble): %v %v", err, ens)
	}
	txt := filepath.Join(dir, "cat.txt")
	if err := os.WriteFile(txt, []byte("1 2 300\n3 4 500 extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, ens, err = ReadEstimates(txt)
	if err != nil || ens || !reflect.DeepEqual(s[0].X, []float64{1, 3}) {
		t.Errorf("ReadEstimates(text): %v %v %+v", err, ens, s)
	}
}

func TestCondensedFITS(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "condensed.fits")
	cs := someCondensed()
	h := fits.NewHeader()
	h.Set("RADIUS", 0.75, "link radius, pixels")
	if err := WriteCondensedFITS(p, cs, testDerived, h); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCondensedFITS(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cs) {
		t.Fatalf("round trip: %+v", got)
	}
	// Without derived columns.
	q := filepath.Join(dir, "plain.fits")
	if err := WriteCondensedFITS(q, cs[:1], Derived{}, nil); err != nil {
		t.Fatal(err)
	}
	s, ens, err := ReadEstimates(p)
	if err != nil || ens || !reflect.DeepEqual(s, SingleSample(cs)) {
		t.Errorf("ReadEstimates(FITS): %v %v", err, ens)
	}
	if _, err := ReadCondensedFITS(filepath.Join(dir, "absent.fits")); err == nil {
		t.Error("absent file read")
	}

	// Independent check: astropy reads the table, its columns, units and values.
	py := shareddata.Python(t, "astropy")
	script := `
import sys, json
from astropy.table import Table
t = Table.read(sys.argv[1], hdu="CONDENSED")
print(json.dumps({"names": t.colnames, "units": [str(t[c].unit or "") for c in t.colnames],
                  "rows": [[float(v) for v in r] for r in t], "radius": t.meta.get("RADIUS")}))
`
	out, err := exec.Command(py, "-c", script, p).CombinedOutput()
	if err != nil {
		t.Fatalf("astropy: %v\n%s", err, out)
	}
	var res struct {
		Names  []string    `json:"names"`
		Units  []string    `json:"units"`
		Rows   [][]float64 `json:"rows"`
		Radius float64     `json:"radius"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("astropy output %s: %v", out, err)
	}
	wantNames := []string{"x", "y", "flux", "x_err", "y_err", "flux_err", "prevalence", "mag", "ra", "dec", "x_fits", "y_fits"}
	if !reflect.DeepEqual(res.Names, wantNames) || res.Units[0] != "pix" || res.Units[9] != "deg" || res.Radius != 0.75 {
		t.Errorf("astropy sees %+v", res)
	}
	for i, c := range cs {
		ra, dec := testDerived.Sky(c.X, c.Y)
		want := []float64{c.X, c.Y, c.Flux, c.XErr, c.YErr, c.FluxErr, c.Prevalence, testDerived.Magnitude(c.Flux), ra, dec, c.X + 1, c.Y + 1}
		for k := range want {
			if res.Rows[i][k] != want[k] && !(math.IsNaN(want[k]) && math.IsNaN(res.Rows[i][k])) {
				t.Errorf("row %d column %s: astropy %v, want %v", i, wantNames[k], res.Rows[i][k], want[k])
			}
		}
	}
}
