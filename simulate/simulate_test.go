package simulate

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

func TestFieldMatchesConfig(t *testing.T) {
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Width, c.Height, c.Density, c.ReadNoise = 200, 150, 0.02, 3
	im, truth, err := Field(c, p)
	if err != nil {
		t.Fatal(err)
	}
	// N is Poisson with mean 600: within 5σ.
	if n := float64(truth.Len()); math.Abs(n-600) > 5*math.Sqrt(600) {
		t.Errorf("%v sources, want about 600", n)
	}
	for i, f := range truth.Flux {
		if f < c.FluxPrior.Min || truth.X[i] < -0.5 || truth.X[i] >= 199.5 || truth.Y[i] < -0.5 || truth.Y[i] >= 149.5 {
			t.Fatalf("source %d at (%g, %g) flux %g outside the prior's support", i, truth.X[i], truth.Y[i], f)
		}
	}
	// Total light: Σ(pixels − bias − background) ≈ Σ flux (minus light off the edges), and
	// the pixel noise of the sky matches background/gain + read noise².
	sum := 0.0
	for _, v := range im.Pix {
		sum += float64(v) - c.Bias - c.Background
	}
	tot := 0.0
	for _, f := range truth.Flux {
		tot += f
	}
	noise := math.Sqrt((c.Background/c.Gain + c.ReadNoise*c.ReadNoise) * float64(len(im.Pix)))
	if sum > tot+5*noise || sum < 0.9*tot-5*noise {
		t.Errorf("image holds %g counts of source light, catalogue %g", sum, tot)
	}
	// Same seed, same image; another seed, another image.
	im2, _, err := Field(c, p)
	if err != nil {
		t.Fatal(err)
	}
	c.Seed++
	im3, _, err := Field(c, p)
	if err != nil {
		t.Fatal(err)
	}
	same, diff := true, false
	for i := range im.Pix {
		same = same && im.Pix[i] == im2.Pix[i]
		diff = diff || im.Pix[i] != im3.Pix[i]
	}
	if !same || !diff {
		t.Errorf("seeding: same seed identical %v, other seed different %v", same, diff)
	}
}

func TestSkyNoise(t *testing.T) {
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Density, c.Width, c.Height, c.ReadNoise = 0, 100, 100, 2
	im, truth, err := Field(c, p)
	if err != nil || truth.Len() != 0 {
		t.Fatal(err, truth.Len())
	}
	mean, sq := 0.0, 0.0
	for _, v := range im.Pix {
		d := float64(v) - c.Bias
		mean += d
		sq += d * d
	}
	n := float64(len(im.Pix))
	mean /= n
	variance := sq/n - mean*mean
	want := c.Background/c.Gain + c.ReadNoise*c.ReadNoise
	if math.Abs(mean-c.Background) > 0.5 || math.Abs(variance/want-1) > 0.06 {
		t.Errorf("sky mean %g variance %g, want %g and %g", mean, variance, c.Background, want)
	}
	c.Gain = -1
	if _, _, err := Field(c, p); err == nil {
		t.Error("negative gain accepted")
	}
}

func TestRenderCatalogue(t *testing.T) {
	p, err := psf.Gaussian(2.2)
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Width, c.Height, c.Background, c.Bias, c.Gain = 40, 30, 0, 0, 1e6 // nearly noise-free
	x, y, flux := []float64{20.3, -3, 10}, []float64{15.6, 15, 5}, []float64{1e4, 1e4, 0}
	var asked [][2]float64
	at := func(x, y float64) (model.Profile, error) {
		asked = append(asked, [2]float64{x, y})
		return p, nil
	}
	im, err := RenderCatalogue(c, x, y, flux, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 3 || asked[0] != [2]float64{20.3, 15.6} {
		t.Errorf("PSF asked at %v, want every source's position", asked)
	}
	// The first star's light and centroid (the second, 3 px off the edge, adds a little
	// at x ≤ 2, left out).
	sum, sx, sy := 0.0, 0.0, 0.0
	for j := range c.Height {
		for i := 5; i < c.Width; i++ {
			v := float64(im.Pix[j*c.Width+i])
			sum, sx, sy = sum+v, sx+v*float64(i), sy+v*float64(j)
		}
	}
	if math.Abs(sum-1e4) > 20 || math.Abs(sx/sum-20.3) > 0.01 || math.Abs(sy/sum-15.6) > 0.01 {
		t.Errorf("star rendered with %g counts at (%g, %g), want 1e4 at (20.3, 15.6)", sum, sx/sum, sy/sum)
	}
	edge := 0.0
	for j := range c.Height {
		edge += float64(im.Pix[j*c.Width])
	}
	if edge < 10 {
		t.Errorf("the star off the edge adds %g counts to column 0, want its PSF's wing", edge)
	}
	im2, err := RenderCatalogue(c, x, y, flux, at)
	if err != nil || !slices.Equal(im.Pix, im2.Pix) {
		t.Errorf("same seed, different image (%v)", err)
	}
	for what, bad := range map[string][]float64{"NaN x": {math.NaN(), 1, 1}, "negative flux": {1, 1, -1}, "infinite flux": {1, 1, math.Inf(1)}} {
		if _, err := RenderCatalogue(c, bad[:1], bad[1:2], bad[2:], at); err == nil {
			t.Errorf("%s accepted", what)
		}
	}
	if _, err := RenderCatalogue(c, x, y[:2], flux, at); err == nil {
		t.Error("columns of different lengths accepted")
	}
	fail := func(float64, float64) (model.Profile, error) { return nil, errors.New("no PSF here") }
	if _, err := RenderCatalogue(c, x, y, flux, fail); err == nil || !strings.Contains(err.Error(), "no PSF here") {
		t.Errorf("PSF error: got %v", err)
	}
}
