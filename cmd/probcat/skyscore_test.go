package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/score"
)

// skyFiles writes an ensemble with ra, dec, mag (4 samples of noisy copies of part of a
// reference), a condensed catalogue without ra and dec, and the reference as CSV with a
// class column (every fifth row a galaxy, which no sample recovers).
func skyFiles(t *testing.T, dir string) (ens, plain, ref string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	const n = 200
	// Positions in units of 0.1″ on a plane around RA 0, Dec 60: the field straddles RA = 0/360.
	sky := func(px, py float64) (float64, float64) {
		return math.Mod(359.97+px/36000/math.Cos(math.Pi/3), 360), 60 + py/36000
	}
	var b strings.Builder
	b.WriteString("id,RAJ2000,DEJ2000,rmag,class\n")
	x, y, m := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		x[i], y[i], m[i] = rng.Float64()*1000, rng.Float64()*1000, 17+5*rng.Float64()
		class := "star"
		if i%5 == 0 {
			class = "galaxy"
		}
		ra, dec := sky(x[i], y[i])
		fmt.Fprintf(&b, "%d,%.10f,%.10f,%.4f,%s\n", 1000+i, ra, dec, m[i], class)
	}
	ref = filepath.Join(dir, "ref.csv")
	if err := os.WriteFile(ref, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d := catalogue.Derived{Magnitude: func(f float64) float64 { return score.Magnitude(f, 25) }, Sky: sky}
	ens = filepath.Join(dir, "ensemble.parquet")
	w, err := catalogue.CreateEnsemble(ens, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 4 {
		sa := catalogue.Sample{Index: s}
		for i := range n {
			if i%5 == 0 || rng.Float64() > 0.9-0.1*float64(s) {
				continue
			}
			sa.X, sa.Y = append(sa.X, x[i]+rng.NormFloat64()), append(sa.Y, y[i]+rng.NormFloat64())
			sa.Flux = append(sa.Flux, math.Pow(10, (25-m[i]-0.3)/2.5)) // 0.3 mag fainter
		}
		if err := w.Write(&sa); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	plain = filepath.Join(dir, "plain.parquet")
	if err := catalogue.WriteCatalogueParquet(plain, x, y, m, catalogue.Derived{}); err != nil {
		t.Fatal(err)
	}
	return ens, plain, ref
}

func TestScoreSkyCommand(t *testing.T) {
	dir := t.TempDir()
	ens, _, ref := skyFiles(t, dir)
	out := filepath.Join(dir, "score")
	code, stdout, e := probcat(t, "score", ens, "--truth", ref, "--match", "sky", "--truth-ra", "RAJ2000", "--truth-dec", "DEJ2000",
		"--truth-mag", "rmag", "--truth-where", "class=star", "--radius", "0.5", "--mag-tol", "0.2", "--fit-offset", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	var r struct {
		score.SkyScore
		Skipped int `json:"truth_skipped_non_finite"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	// 160 stars; the samples keep about 90, 80, 70, 60 % of them; magnitudes 0.3 fainter.
	if r.NTruth != 160 || r.Samples != 4 || !r.OffsetFitted || math.Abs(r.MagOffset-0.3) > 1e-3 {
		t.Errorf("n_truth %d, samples %d, offset %g (fitted %v)", r.NTruth, r.Samples, r.MagOffset, r.OffsetFitted)
	}
	lo, hi := float64(r.CompletenessInterval[0]), float64(r.CompletenessInterval[1])
	if c := float64(r.Completeness); !(c > 0.65 && c < 0.85) || !(lo < c && c < hi) || r.Purity != 1 {
		t.Errorf("completeness %v in %v, purity %v", r.Completeness, r.CompletenessInterval, r.Purity)
	}
	for _, f := range []string{"completeness.parquet", "completeness.png", "matches.parquet"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	// The Parquet files follow the standard and hold what the JSON says.
	py := shareddata.Python(t)
	read := func(name string) map[string][]float64 {
		b, err := exec.Command(py, filepath.Join("..", "..", "testdata", "catalogue", "read_parquet.py"), filepath.Join(out, name)).Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var v struct {
			Values map[string][]float64 `json:"values"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v.Values
	}
	comp := read("completeness.parquet")
	if len(comp["mag_lo"]) != len(r.Bins) || len(comp["completeness_16"]) != len(r.Bins) {
		t.Fatalf("completeness.parquet: %d bins, JSON %d", len(comp["mag_lo"]), len(r.Bins))
	}
	for i, b := range r.Bins {
		if comp["mag_lo"][i] != b.MagLo || int(comp["n_truth"][i]) != b.NTruth {
			t.Errorf("bin %d: file %v/%v, JSON %+v", i, comp["mag_lo"][i], comp["n_truth"][i], b)
		}
	}
	mt := read("matches.parquet")
	if len(mt["truth_row"]) < 120 {
		t.Errorf("matches.parquet holds %d pairs", len(mt["truth_row"]))
	}
	for i, row := range mt["truth_row"] {
		if int(row)%5 == 0 || mt["separation_arcsec"][i] > 0.5 || math.Abs(mt["delta_mag"][i]) >= 0.2 || mt["sample"][i] != 0 {
			t.Fatalf("match %d: truth row %v (a galaxy?), separation %v, Δmag %v", i, row, mt["separation_arcsec"][i], mt["delta_mag"][i])
		}
	}
}

func TestScoreSkyBadInput(t *testing.T) {
	dir := t.TempDir()
	ens, plain, ref := skyFiles(t, dir)
	good := []string{"--truth-ra", "RAJ2000", "--truth-dec", "DEJ2000", "--truth-mag", "rmag"}
	for what, c := range map[string]struct {
		args []string
		want string
	}{
		"reference without the column": {[]string{ens, "--truth", ref, "--match", "sky"}, `ref.csv: no column "ra"`},
		"empty selection":              {append([]string{ens, "--truth", ref, "--match", "sky", "--truth-where", "class=quasar"}, good...), "selects none"},
		"where on a missing column":    {append([]string{ens, "--truth", ref, "--match", "sky", "--truth-where", "type=star"}, good...), `no column "type"`},
		"bad where":                    {append([]string{ens, "--truth", ref, "--match", "sky", "--truth-where", "class"}, good...), "want COLUMN=VALUE"},
		"catalogue without ra, dec":    {append([]string{plain, "--truth", ref, "--match", "sky"}, good...), "plain.parquet: no ra and dec"},
		"missing catalogue":            {append([]string{filepath.Join(dir, "none.parquet"), "--truth", ref, "--match", "sky"}, good...), "none.parquet"},
		"pixel flag with sky":          {append([]string{ens, "--truth", ref, "--match", "sky", "--rule", "pcat"}, good...), "--rule applies to --match pixel"},
		"sky flag with pixel":          {[]string{ens, "--truth", ref, "--radius", "1"}, "--radius needs --match sky"},
		"limits with sky":              {append([]string{ens, "--truth", ref, "--match", "sky", "--limits", "count"}, good...), "--limits applies to --match pixel"},
		"unknown limits":               {[]string{ens, "--truth", ref, "--limits", "both"}, "--limits must be cut or count"},
		"offset twice":                 {append([]string{ens, "--truth", ref, "--match", "sky", "--fit-offset", "--mag-offset", "1"}, good...), "exclude each other"},
		"unknown match":                {[]string{ens, "--truth", ref, "--match", "moon"}, "--match wants pixel or sky"},
		"zero radius":                  {append([]string{ens, "--truth", ref, "--match", "sky", "--radius", "0"}, good...), "--radius"},
		"prevalence cut on ensemble":   {append([]string{ens, "--truth", ref, "--match", "sky", "--min-prevalence", "0.5"}, good...), "no prevalence"},
	} {
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(what, " ", "-"))
		code, _, e := probcat(t, append(append([]string{"score"}, c.args...), "--out", out)...)
		if what == "sky flag with pixel" || what == "unknown match" || what == "unknown limits" {
			code, _, e = probcat(t, append([]string{"score"}, c.args...)...)
		}
		if code != 2 || !strings.Contains(e, c.want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line with %q", what, code, e, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder %s left behind", what, out)
		}
	}
}
