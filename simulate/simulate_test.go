package simulate

import (
	"math"
	"testing"

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
