package score

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/survey"
	"github.com/probcat/probcat/wcs"
)

// offsetSky moves (ra, dec) by dx east and dy north, in arcseconds, along the tangent plane.
func offsetSky(ra, dec, dx, dy float64) (float64, float64) {
	u := unitVector(ra, dec)
	sa, ca := math.Sincos(ra * math.Pi / 180)
	sd, cd := math.Sincos(dec * math.Pi / 180)
	e := [3]float64{-sa, ca, 0}
	n := [3]float64{-sd * ca, -sd * sa, cd}
	var v [3]float64
	for k := range v {
		v[k] = u[k] + dx*arcsec*e[k] + dy*arcsec*n[k]
	}
	r := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	ra = math.Mod(math.Atan2(v[1], v[0])*180/math.Pi+360, 360)
	return ra, math.Asin(v[2]/r) * 180 / math.Pi
}

// syntheticSky makes a reference of n sources scattered over a square of side arcseconds around
// (ra0, dec0) and an estimate holding 80 % of them moved by ~0.3″ with magnitudes off by
// ~0.2, plus 20 % spurious sources: crowded enough that many candidates compete.
func syntheticSky(seed uint64, n int, ra0, dec0, side float64) (ref, est SkyCatalogue) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for range n {
		ra, dec := offsetSky(ra0, dec0, (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side)
		ref.RA, ref.Dec, ref.Mag = append(ref.RA, ra), append(ref.Dec, dec), append(ref.Mag, 16+6*rng.Float64())
	}
	for i := range n {
		if rng.Float64() < 0.8 {
			ra, dec := offsetSky(ref.RA[i], ref.Dec[i], 0.3*rng.NormFloat64(), 0.3*rng.NormFloat64())
			est.RA, est.Dec, est.Mag = append(est.RA, ra), append(est.Dec, dec), append(est.Mag, ref.Mag[i]+0.2*rng.NormFloat64())
		}
		if rng.Float64() < 0.2 {
			ra, dec := offsetSky(ra0, dec0, (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side)
			est.RA, est.Dec, est.Mag = append(est.RA, ra), append(est.Dec, dec), append(est.Mag, 16+6*rng.Float64())
		}
	}
	return ref, est
}

func writeSkyCSV(t *testing.T, path string, c *SkyCatalogue) {
	t.Helper()
	var b strings.Builder
	b.WriteString("ra,dec,mag\n")
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for i := range c.RA {
		fmt.Fprintf(&b, "%s,%s,%s\n", g(c.RA[i]), g(c.Dec[i]), g(c.Mag[i]))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// compareWithAstropy matches est against ref here and with testdata/score/skymatch.py
// (the same greedy assignment on astropy's search_around_sky candidates and separations, which
// also checks that every pair of mutual nearest neighbours by match_to_catalog_sky is assigned)
// and reports any difference. It returns the number of pairs and of mutual nearest pairs.
func compareWithAstropy(t *testing.T, name string, ref, est *SkyCatalogue, radius, magTol float64) (int, int) {
	t.Helper()
	py := shareddata.Python(t, "astropy")
	dir := t.TempDir()
	rp, ep := filepath.Join(dir, "ref.csv"), filepath.Join(dir, "est.csv")
	writeSkyCSV(t, rp, ref)
	writeSkyCSV(t, ep, est)
	out, err := exec.Command(py, filepath.Join("..", "testdata", "score", "skymatch.py"), rp, ep,
		fmt.Sprint(radius), fmt.Sprint(magTol)).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("%s: astropy script: %s", name, ee.Stderr)
		}
		t.Fatal(err)
	}
	var res struct {
		Pairs  [][3]float64 `json:"pairs"`
		Mutual int          `json:"mutual"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	m, err := NewSkyMatcher(ref, radius, magTol, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Match(est)
	want := map[[2]int]float64{}
	for _, p := range res.Pairs {
		want[[2]int{int(p[0]), int(p[1])}] = p[2]
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d pairs, astropy's greedy assignment has %d", name, len(got), len(want))
	}
	bad := 0
	for _, p := range got {
		s, ok := want[[2]int{p.Ref, p.Est}]
		if !ok || math.Abs(s-p.Sep) > 1e-6 {
			if bad++; bad <= 5 {
				t.Errorf("%s: pair ref %d est %d at %.9f″: astropy has %v (%.9f″)", name, p.Ref, p.Est, p.Sep, ok, s)
			}
		}
	}
	t.Logf("%s: %d of %d pairs agree with astropy (%d mutual nearest neighbours)", name, len(got)-bad, len(want), res.Mutual)
	return len(got), res.Mutual
}

// TestSkyMatchAgreesWithAstropy matches synthetic catalogues: an ordinary field, one across
// RA = 0/360 and one around the north pole.
func TestSkyMatchAgreesWithAstropy(t *testing.T) {
	for _, c := range []struct {
		name            string
		ra0, dec0, side float64
		radius, magTol  float64
		seed            uint64
		wantMutual      int
	}{
		{"field", 150.1, 2.2, 60, 1, 0, 1, 1000},
		{"field with Δmag", 150.1, 2.2, 60, 1, 0.3, 2, 0},
		{"RA 0/360", 0, -30, 60, 1, 0, 3, 1000},
		{"north pole", 0, 90, 60, 1, 0, 4, 1000},
	} {
		ref, est := syntheticSky(c.seed, 1500, c.ra0, c.dec0, c.side)
		n, mutual := compareWithAstropy(t, c.name, &ref, &est, c.radius, c.magTol)
		if n < len(ref.RA)/2 || mutual < c.wantMutual {
			t.Errorf("%s: only %d pairs, %d mutual nearest neighbours", c.name, n, mutual)
		}
	}
}

// TestSkyMatchM2AgreesWithAstropy matches two real catalogues of the M2 cutout on the sky: the
// HST truth and An et al.'s DAOPHOT stars, both put in frame pixels (cutout origin 310, 630)
// and through the r frame's WCS.
func TestSkyMatchM2AgreesWithAstropy(t *testing.T) {
	hst, err := survey.ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npz"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	dao, err := survey.ReadDAOPHOT(shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-tru.txt"), survey.DAOPHOTGRI, survey.M2NMGY)
	if err != nil {
		t.Fatal(err)
	}
	h, err := fits.ReadHeader(shareddata.Path(t, "m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2"), 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wcs.FromHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	sky := func(r *survey.Reference) SkyCatalogue {
		var c SkyCatalogue
		for i := range r.X {
			ra, dec := w.PixelToSky(r.X[i]+310, r.Y[i]+630)
			c.RA, c.Dec, c.Mag = append(c.RA, ra), append(c.Dec, dec), append(c.Mag, r.Mag[i])
		}
		return c
	}
	ref, est := sky(hst), sky(dao)
	for _, c := range []struct{ radius, magTol float64 }{{0.5, 0}, {1, 0}, {0.5, 0.5}} {
		n, mutual := compareWithAstropy(t, fmt.Sprintf("M2 HST × DAOPHOT, %g″, Δmag %g", c.radius, c.magTol), &ref, &est, c.radius, c.magTol)
		if n < 200 || (c.magTol == 0 && mutual < n/2) {
			t.Errorf("radius %g: %d pairs, %d mutual nearest (HST %d, DAOPHOT %d stars)", c.radius, n, mutual, ref.Len(), est.Len())
		}
	}
}

// TestSkyMatchAcrossRAZeroAndPoles checks hand-made pairs whose coordinates differ by almost
// 360° in RA or lie on opposite sides of a pole.
func TestSkyMatchAcrossRAZeroAndPoles(t *testing.T) {
	ref := SkyCatalogue{
		RA:  []float64{359.99995, 0, 270, 10, 123},
		Dec: []float64{0, 89.99999, 89.9999, -89.99999, 45},
		Mag: []float64{18, 18, 18, 18, 18},
	}
	est := SkyCatalogue{
		RA:  []float64{0.00005, 180, 90, 190, 123.0001, 123.0002},
		Dec: []float64{0, 89.99999, 89.9999, -89.99999, 45, 45},
		Mag: []float64{18, 18, 18, 18, 18, 18},
	}
	m, err := NewSkyMatcher(&ref, 0.5, 0.5, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]int]float64{}
	for _, p := range m.Match(&est) {
		got[[2]int{p.Ref, p.Est}] = p.Sep
	}
	// 0.00010° of RA at the equator: 0.36″; across the pole 2 × 0.00001°: 0.072″; across the
	// pole 2 × 0.0001° = 0.72″ is too far; the south pole pair 0.072″; at Dec 45 the nearer of
	// two estimates (0.0001° × cos 45° = 0.2546″) wins the reference.
	want := map[[2]int]float64{{0, 0}: 0.36, {1, 1}: 0.072, {3, 3}: 0.072, {4, 4}: 0.36 * math.Cos(math.Pi/4)}
	if len(got) != len(want) {
		t.Fatalf("pairs %v, want %v", got, want)
	}
	for k, s := range want {
		if g, ok := got[k]; !ok || math.Abs(g-s) > 1e-6 {
			t.Errorf("pair %v: separation %v (found %v), want %.6f″", k, g, ok, s)
		}
	}
}

// TestSkyMatchGreedyAndMagnitudes checks the assignment: one estimate between two reference
// sources goes to the nearer, and a magnitude tolerance lets the farther but consistent one
// win; the offset shifts the comparison.
func TestSkyMatchGreedyAndMagnitudes(t *testing.T) {
	ra1, dec1 := offsetSky(40, 10, 0.4, 0)
	ref := SkyCatalogue{RA: []float64{40, ra1}, Dec: []float64{10, dec1}, Mag: []float64{18, 20}}
	rae, dece := offsetSky(40, 10, 0.15, 0) // 0.15″ from the first, 0.25″ from the second
	est := SkyCatalogue{RA: []float64{rae}, Dec: []float64{dece}, Mag: []float64{20.1}}
	for _, c := range []struct {
		tol, offset float64
		want        int // reference matched, -1 for none
	}{{0, 0, 0}, {0.5, 0, 1}, {0.5, 2.1, 0}, {0.05, 0, -1}} {
		m, err := NewSkyMatcher(&ref, 0.5, c.tol, c.offset)
		if err != nil {
			t.Fatal(err)
		}
		p := m.Match(&est)
		got := -1
		if len(p) == 1 {
			got = p[0].Ref
		}
		if len(p) > 1 || got != c.want {
			t.Errorf("tol %g offset %g: pairs %+v, want reference %d", c.tol, c.offset, p, c.want)
		}
	}
}

// TestScoreSkyIntervals scores an ensemble whose samples find 1, 2 and 3 of 4 reference
// sources (and one spurious source each) and checks the per-sample summaries.
func TestScoreSkyIntervals(t *testing.T) {
	ref := SkyCatalogue{Mag: []float64{18.2, 18.3, 18.6, 18.7}}
	for i := range 4 {
		ra, dec := offsetSky(200, -40, 3*float64(i), 0)
		ref.RA, ref.Dec = append(ref.RA, ra), append(ref.Dec, dec)
	}
	var samples []SkySample
	for s := range 3 {
		sa := SkySample{Index: s}
		for i := 0; i <= s; i++ {
			sa.RA, sa.Dec, sa.Mag = append(sa.RA, ref.RA[i]), append(sa.Dec, ref.Dec[i]), append(sa.Mag, ref.Mag[i]+1.1)
		}
		ra, dec := offsetSky(200, -40, 0, 20)
		sa.RA, sa.Dec, sa.Mag = append(sa.RA, ra), append(sa.Dec, dec), append(sa.Mag, 18.4+1.1)
		samples = append(samples, sa)
	}
	sc, err := Sky(&ref, samples, SkyOptions{Radius: 0.5, MagTol: 0.2, FitOffset: true, FitBright: 18.5})
	if err != nil {
		t.Fatal(err)
	}
	near := func(a Ratio, b float64) bool { return math.Abs(float64(a)-b) < 1e-12 }
	if !sc.OffsetFitted || math.Abs(sc.MagOffset-1.1) > 1e-12 || sc.OffsetPairs != 5 {
		t.Errorf("fitted offset %g from %d pairs, want 1.1 from 5", sc.MagOffset, sc.OffsetPairs)
	}
	// Completeness per sample 1/4, 2/4, 3/4; purity 1/2, 2/3, 3/4 (pooled 6/9).
	if !near(sc.Completeness, 0.5) || !near(sc.CompletenessInterval[0], 0.25+0.32*0.25) || !near(sc.CompletenessInterval[1], 0.5+0.68*0.25) {
		t.Errorf("completeness %v %v", sc.Completeness, sc.CompletenessInterval)
	}
	if !near(sc.Purity, 6.0/9) || !near(sc.PurityInterval[0], 0.5+0.32*(2.0/3-0.5)) {
		t.Errorf("purity %v %v", sc.Purity, sc.PurityInterval)
	}
	if sc.NTruth != 4 || sc.NEstimated != 3 || len(sc.Bins) != 2 {
		t.Fatalf("n_truth %d, n_estimated %g, %d bins", sc.NTruth, sc.NEstimated, len(sc.Bins))
	}
	// Bin [18, 18.5): completeness 1/2, 1, 1 → mean 5/6; [18.5, 19): 0, 0, 1/2 → 1/6. The
	// spurious source (18.4 after the offset) lowers the first bin's purity.
	b0, b1 := sc.Bins[0], sc.Bins[1]
	if !near(b0.Completeness, 5.0/6) || !near(b1.Completeness, 1.0/6) || !near(b0.Purity, 5.0/8) || !near(b1.Purity, 1) {
		t.Errorf("bins %+v", sc.Bins)
	}
	if m := float64(sc.Mag50); math.Abs(m-(18.25+(5.0/6-0.5)/(5.0/6-1.0/6)*0.5)) > 1e-12 {
		t.Errorf("mag_50 %g", m)
	}
	if len(sc.Matches) != 1 || sc.Matches[0].RefRow != 0 || math.Abs(sc.Matches[0].DMag) > 1e-12 {
		t.Errorf("first sample's matches %+v", sc.Matches)
	}
}

func TestReadSkyReference(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "ref.csv")
	os.WriteFile(csv, []byte("# a comment\nRA_deg, DE_deg, G, class\n10,20,18,star\n10.1,20,19,galaxy\n10.2,20,,star\n10.3,20,21,star\n"), 0o644)
	where := func(s ...string) []Condition {
		var out []Condition
		for _, x := range s {
			c, err := ParseCondition(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	ref, skipped, err := ReadSkyReference(csv, SkyColumns{RA: "ra_deg", Dec: "DE_deg", Mag: "G", Where: where("class=star", "G<21")})
	if err != nil {
		t.Fatal(err)
	}
	// Row 2 (no magnitude) fails G<21 (NaN), so nothing is skipped; row 3 fails the cut.
	if ref.Len() != 1 || ref.FileRow(0) != 0 || skipped != 0 {
		t.Errorf("selection %+v, %d skipped", ref, skipped)
	}
	ref, skipped, err = ReadSkyReference(csv, SkyColumns{RA: "RA_deg", Dec: "DE_deg", Mag: "G", Where: where("class!=galaxy")})
	if err != nil || ref.Len() != 2 || ref.FileRow(1) != 3 || skipped != 1 {
		t.Errorf("class!=galaxy: %+v, %d skipped, %v", ref, skipped, err)
	}
	// The same table as Parquet and FITS (numbers only).
	pq := filepath.Join(dir, "ref.parquet")
	if err := catalogue.WriteCatalogueParquet(pq, []float64{1, 2, 3}, []float64{4, 5, 6}, []float64{100, 10, 1},
		catalogue.Derived{Magnitude: func(f float64) float64 { return Magnitude(f, 25) }, Sky: func(x, y float64) (float64, float64) { return x, y }}); err != nil {
		t.Fatal(err)
	}
	fi := filepath.Join(dir, "ref.fits")
	if err := catalogue.WriteCatalogueFITS(fi, []float64{1, 2, 3}, []float64{4, 5, 6}, []float64{100, 10, 1},
		catalogue.Derived{Magnitude: func(f float64) float64 { return Magnitude(f, 25) }, Sky: func(x, y float64) (float64, float64) { return x, y }}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pq, fi} {
		ref, _, err := ReadSkyReference(p, SkyColumns{RA: "ra", Dec: "dec", Mag: "mag", Where: where("flux>=10")})
		if err != nil || ref.Len() != 2 || ref.RA[1] != 2 || ref.Dec[1] != 5 || ref.Mag[1] != 22.5 {
			t.Errorf("%s: %+v, %v", p, ref, err)
		}
	}
	for what, c := range map[string]struct {
		path string
		cols SkyColumns
		want string
	}{
		"missing column":      {csv, SkyColumns{RA: "ra", Dec: "DE_deg", Mag: "G"}, `no column "ra" for RA`},
		"missing where":       {pq, SkyColumns{RA: "ra", Dec: "dec", Mag: "mag", Where: where("class=star")}, `no column "class"`},
		"empty selection":     {csv, SkyColumns{RA: "RA_deg", Dec: "DE_deg", Mag: "G", Where: where("class=quasar")}, "selects none of the 4 rows"},
		"text column order":   {csv, SkyColumns{RA: "RA_deg", Dec: "DE_deg", Mag: "G", Where: where("class<star")}, "allows only = and !="},
		"text as a number":    {csv, SkyColumns{RA: "RA_deg", Dec: "DE_deg", Mag: "class"}, "holds text"},
		"number not a number": {pq, SkyColumns{RA: "ra", Dec: "dec", Mag: "mag", Where: where("flux>x")}, "is not a number"},
		"FITS missing column": {fi, SkyColumns{RA: "ra", Dec: "dec", Mag: "gmag"}, `no column "gmag"`},
	} {
		_, _, err := ReadSkyReference(c.path, c.cols)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("%s: error %v, want one naming the file and %q", what, err, c.want)
		}
	}
	for _, s := range []string{"class", "=star", "a!b", "x<"} {
		if _, err := ParseCondition(s); err == nil {
			t.Errorf("condition %q accepted", s)
		}
	}
	if c, err := ParseCondition("g_mag<=19.5"); err != nil || c != (Condition{"g_mag", "<=", "19.5"}) {
		t.Errorf("g_mag<=19.5: %+v, %v", c, err)
	}
}

func TestReadSkyEstimates(t *testing.T) {
	dir := t.TempDir()
	// An ensemble with ra, dec and mag, one sample empty.
	rng := rand.New(rand.NewPCG(5, 1))
	var samples []catalogue.Sample
	for c := range 2 {
		for k := range 3 {
			s := catalogue.Sample{Chain: c, Index: k}
			for range 1 + rng.IntN(40) {
				s.X, s.Y = append(s.X, 100*rng.Float64()), append(s.Y, 100*rng.Float64())
				s.Flux = append(s.Flux, 250/rng.Float64())
			}
			samples = append(samples, s)
		}
	}
	samples[1].X, samples[1].Y, samples[1].Flux = nil, nil, nil
	d := catalogue.Derived{Magnitude: func(f float64) float64 { return Magnitude(f, 24) },
		Sky: func(x, y float64) (float64, float64) { return 10 + x/3600, -5 + y/3600 }}
	e := filepath.Join(dir, "ensemble.parquet")
	w, err := catalogue.CreateEnsemble(e, d, nil)
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
	got, err := ReadSkyEstimates(e, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Ensemble || got.MagFromFlux || len(got.Samples) != len(samples) {
		t.Fatalf("read %d samples, ensemble %v", len(got.Samples), got.Ensemble)
	}
	row := 0
	for k, s := range samples {
		g := got.Samples[k]
		if g.Chain != s.Chain || g.Index != s.Index || g.Len() != s.Len() {
			t.Fatalf("sample %d: %d/%d with %d sources, want %d/%d with %d", k, g.Chain, g.Index, g.Len(), s.Chain, s.Index, s.Len())
		}
		for i := range s.X {
			ra, dec := d.Sky(s.X[i], s.Y[i])
			if g.RA[i] != ra || g.Dec[i] != dec || g.Mag[i] != d.Magnitude(s.Flux[i]) || g.FileRow(i) != row {
				t.Fatalf("sample %d source %d differs", k, i)
			}
			row++
		}
	}
	if _, err := ReadSkyEstimates(e, 0, 0.5); err == nil {
		t.Error("a prevalence cut on an ensemble was accepted")
	}
	// A condensed catalogue without mag: magnitudes from flux; the prevalence cut.
	cs := []catalogue.CondensedSource{
		{X: 10.25, Y: 20.5, Flux: 1234.5, Prevalence: 1},
		{X: -0.4, Y: 99.4, Flux: 260, Prevalence: 0.35},
		{X: 55, Y: 3, Flux: 1e5, Prevalence: 0.99},
	}
	c := filepath.Join(dir, "condensed.parquet")
	if err := catalogue.WriteCondensedParquet(c, cs, catalogue.Derived{Sky: d.Sky}, nil); err != nil {
		t.Fatal(err)
	}
	got, err = ReadSkyEstimates(c, 22.5, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for i, s := range cs {
		if s.Prevalence >= 0.5 {
			want = append(want, i)
		}
	}
	g := got.Samples[0]
	if !got.MagFromFlux || g.Len() != len(want) || got.Dropped != len(cs)-len(want) || len(want) == 0 || got.Dropped == 0 {
		t.Fatalf("condensed: %d sources (dropped %d), want %d of %d", g.Len(), got.Dropped, len(want), len(cs))
	}
	for k, i := range want {
		if g.FileRow(k) != i || g.Mag[k] != Magnitude(cs[i].Flux, 22.5) {
			t.Errorf("condensed source %d: row %d mag %g", k, g.FileRow(k), g.Mag[k])
		}
	}
	// No ra, dec: a one-line error naming the file.
	plain := filepath.Join(dir, "plain.parquet")
	if err := catalogue.WriteCondensedParquet(plain, cs, catalogue.Derived{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSkyEstimates(plain, 22.5, 0); err == nil || !strings.Contains(err.Error(), "plain.parquet: no ra and dec") {
		t.Errorf("catalogue without ra, dec: %v", err)
	}
}

// BenchmarkScoreSky scores an ensemble of 10⁵ sources × 100 samples against a 10⁵-row
// reference (1 radius of 0.5″ over a 0.5° field).
func BenchmarkScoreSky(b *testing.B) {
	const n, ns = 100000, 100
	rng := rand.New(rand.NewPCG(9, 9))
	ref := SkyCatalogue{}
	for range n {
		ra, dec := offsetSky(150, 2, (rng.Float64()-0.5)*1800, (rng.Float64()-0.5)*1800)
		ref.RA, ref.Dec, ref.Mag = append(ref.RA, ra), append(ref.Dec, dec), append(ref.Mag, 16+8*rng.Float64())
	}
	samples := make([]SkySample, ns)
	for s := range samples {
		sa := &samples[s]
		sa.Index = s
		sa.RA, sa.Dec, sa.Mag = make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			sa.RA[i], sa.Dec[i] = offsetSky(ref.RA[i], ref.Dec[i], 0.2*rng.NormFloat64(), 0.2*rng.NormFloat64())
			sa.Mag[i] = ref.Mag[i] + 0.1*rng.NormFloat64()
		}
	}
	b.ResetTimer()
	for range b.N {
		sc, err := Sky(&ref, samples, SkyOptions{Radius: 0.5, MagTol: 0.5})
		if err != nil {
			b.Fatal(err)
		}
		if sc.Completeness < 0.8 {
			b.Fatalf("completeness %v", sc.Completeness)
		}
	}
}
