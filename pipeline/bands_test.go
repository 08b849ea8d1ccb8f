package pipeline

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/simulate"
)

// addBand makes testJob's image the r band of an r+i job: the i band holds the same sources
// (testJob's field, seed 7) 1.3 times brighter, shifted by (−0.4, +1.3) px and rotated by
// 0.003 rad, through a Gaussian PSF of FWHM 2.6 px on a background of 250 counts.
func addBand(t testing.TB, job *Job) {
	t.Helper()
	pr, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	pi, err := psf.Gaussian(2.6)
	if err != nil {
		t.Fatal(err)
	}
	sc := simulate.Default()
	sc.Width, sc.Height, sc.Density, sc.Seed = job.Image.Width, job.Image.Height, 0.02, 7
	_, truth, err := simulate.Field(sc, pr)
	if err != nil {
		t.Fatal(err)
	}
	c, s := math.Cos(0.003), math.Sin(0.003)
	m := model.AffineMap{X0: -0.4, Y0: 1.3, J: [2][2]float64{{c, -s}, {s, c}}}
	moved := &model.Catalogue{}
	for i := range truth.X {
		u, v := m.Apply(truth.X[i], truth.Y[i])
		moved.Append(u, v, []float64{1.3 * truth.Flux[i]})
	}
	sc.Background = 250
	im := simulate.Render(sc, moved, pi, rand.New(rand.NewPCG(3, 4)))
	im.ZeroPoint, im.HasZeroPoint = 27.6, true
	job.Bands = []Band{
		{Name: "r", Image: job.Image, PSF: job.PSF},
		{Name: "i", Image: im, PSF: psf.Uniform(pi), Map: m, Colour: model.Colour{Mean: 0.3, Sigma: 0.5},
			Record: map[string]any{"test": "i"}},
	}
}

// TestBands runs an r+i job: its ensemble and condensed files carry flux_r, flux_i, mag_r
// and mag_i (and their errors), the i fluxes are about 1.3 times the r ones, run.json records
// the bands, the outputs do not depend on the thread count, and a run killed during burn-in
// and while keeping samples resumes to the same bytes.
func TestBands(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if _, err := Run(context.Background(), variantJob(t, ref, 2, "bands")); err != nil {
		t.Fatal(err)
	}
	three := filepath.Join(dir, "three")
	if _, err := Run(context.Background(), variantJob(t, three, 3, "bands")); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, ref, three)
	r, _, err := catalogue.ReadEstimatesBand(filepath.Join(ref, CondensedParq), "r")
	if err != nil {
		t.Fatal(err)
	}
	i, _, err := catalogue.ReadEstimatesBand(filepath.Join(ref, CondensedParq), "i")
	if err != nil {
		t.Fatal(err)
	}
	sr, si := 0.0, 0.0
	for k, f := range r[0].Flux {
		if f > 2000 {
			sr += f
			si += i[0].Flux[k]
		}
	}
	t.Logf("i/r flux ratio of the bright condensed sources: %.3f (true 1.3)", si/sr)
	if math.Abs(si/sr-1.3) > 0.05 {
		t.Errorf("i/r flux ratio %.3f, want about 1.3", si/sr)
	}
	if _, err := catalogue.ReadEnsembleBand(filepath.Join(ref, EnsembleFile), "i"); err != nil {
		t.Error(err)
	}
	b, err := os.ReadFile(filepath.Join(ref, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Bands []map[string]any `json:"bands"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Bands) != 2 || rec.Bands[1]["name"] != "i" || rec.Bands[1]["map"] == nil || rec.Bands[1]["test"] != "i" {
		t.Errorf("run.json bands %v", rec.Bands)
	}
	// sampled colour means: recorded with each chain's last value
	spread := filepath.Join(dir, "spread")
	job := variantJob(t, spread, 2, "bands")
	job.ColourSpread = 0.3
	if _, err := Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if b, err = os.ReadFile(filepath.Join(spread, RunFile)); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	prior, _ := rec.Bands[1]["colour_prior"].(map[string]any)
	if last, _ := prior["mean_last_sample"].([]any); prior["mean_spread"] != 0.3 || len(last) != 2 {
		t.Errorf("run.json colour prior %v, want the spread and two chains' last means", prior)
	} else {
		t.Logf("colour means at the chains' last samples: %v (prior centre 0.3, true r − i %.3f)", last, 2.5*math.Log10(1.3))
	}
	resumeAfterKill(t, dir, ref, "bands")
	// what is not supported with bands yet
	job = variantJob(t, filepath.Join(dir, "bad"), 1, "bands")
	job.Kinds = &KindSpec{Names: []string{"star", "galaxy"}, Weights: []float64{0.7, 0.3}, ReMin: 0.5, ReMax: 3}
	if _, err := Run(context.Background(), job); err == nil {
		t.Error("a multi-band job with galaxies ran")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
		t.Error("a refused job left its output folder")
	}
}
