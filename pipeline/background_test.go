package pipeline

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/model"
)

// TestBackgroundOrder runs testJob with a quadratic background: the outputs do not depend on
// the thread count and a run killed and resumed gives the same bytes; model.fits holds the
// mean background map, consistent with run.json's coefficients and with the MODEL extension,
// and samples.parquet's background column is the mean of each sample's map (their mean is
// run.json's level).
func TestBackgroundOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five jobs")
	}
	dir := t.TempDir()
	one, three := filepath.Join(dir, "t1"), filepath.Join(dir, "t3")
	for th, out := range map[int]string{1: one, 3: three} {
		job := testJob(t, out, th)
		job.Config.BackgroundOrder, job.Config.SampleBackground = 2, true
		if _, err := Run(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	sameFiles(t, one, three)
	resumeAfterKill(t, dir, one, "background2")

	var run struct {
		Background struct {
			Order        int
			Level        struct{ Mean, SD float64 }
			Coefficients []struct {
				Term     string
				Mean, SD float64
			}
		}
	}
	js, err := os.ReadFile(filepath.Join(one, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &run); err != nil {
		t.Fatal(err)
	}
	bg := run.Background
	if bg.Order != 2 || len(bg.Coefficients) != 6 || bg.Coefficients[4].Term != "P1(u)P1(v)" {
		t.Fatalf("run.json's background record: %+v", bg)
	}
	f, err := fits.Open(filepath.Join(one, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.Index(BackgroundHDU)
	if err != nil {
		t.Fatal(err)
	}
	sky, err := f.Image(i)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := f.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	job := testJob(t, one, 1)
	im := job.Image
	b, _ := model.NewSkyBasis(2, im.Width, im.Height)
	coef := make([]float64, 6)
	for k, c := range bg.Coefficients {
		coef[k] = c.Mean
	}
	want := b.Map(coef)
	mean := 0.0
	for p, v := range sky.Pix {
		if math.Abs(float64(v)-want[p]) > 1e-3 {
			t.Fatalf("BACKGROUND pixel %d: %g, the coefficients give %g", p, v, want[p])
		}
		// the model is bias + background + sources ≥ 0
		if float64(mod.Pix[p])-im.Bias-float64(v) < -1e-2 {
			t.Fatalf("MODEL pixel %d: %g lies below bias + background %g", p, mod.Pix[p], im.Bias+float64(v))
		}
		mean += want[p] / float64(len(want))
	}
	if math.Abs(mean-bg.Level.Mean) > 1e-6*mean {
		t.Errorf("the map's mean %g, run.json's level %g", mean, bg.Level.Mean)
	}
	_, stats, err := catalogue.ReadSamples(filepath.Join(one, SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	m := 0.0
	for _, s := range stats {
		m += s.Background / float64(len(stats))
	}
	if math.Abs(m-bg.Level.Mean) > 1e-9*m {
		t.Errorf("samples.parquet's mean background %g, run.json's level %g", m, bg.Level.Mean)
	}
}
