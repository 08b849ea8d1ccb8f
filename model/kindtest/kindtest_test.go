package kindtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// point returns the point-source kind with a Gaussian PSF of FWHM 2.5 px.
func point(t *testing.T) *model.PointSource {
	p, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	return &model.PointSource{PSF: p, Flux: model.FluxPrior{Min: 100, Slope: 2}}
}

// TestPointSource runs the suite on the point-source kind, as a kind's author would.
func TestPointSource(t *testing.T) { Test(t, point(t)) }

// TestBlob runs the suite on a correct two-parameter kind.
func TestBlob(t *testing.T) { Test(t, &blob{flux: model.FluxPrior{Min: 100, Slope: 2}}) }

// recorder is a testing.TB that records failures instead of reporting them; Fatalf unwinds
// with a panic that run recovers.
type recorder struct {
	testing.TB
	msgs []string
}

type fatal struct{}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.msgs = append(r.msgs, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); panic(fatal{}) }

// run runs check on kind and returns its failure messages.
func run(t *testing.T, check func(testing.TB, model.SourceKind), kind model.SourceKind) (msgs []string) {
	r := &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatal); !ok {
				panic(v)
			}
		}
		msgs = r.msgs
	}()
	check(r, kind)
	return r.msgs
}

// TestChecksFail gives each check a kind that breaks its part of the contract: every one must
// fail with a message naming the problem, and pass on the correct kind it was made from.
func TestChecksFail(t *testing.T) {
	good := &blob{flux: model.FluxPrior{Min: 100, Slope: 2}}
	cases := []struct {
		name  string
		check func(testing.TB, model.SourceKind)
		kind  model.SourceKind
		want  string
	}{
		{"flux not first", checkParams, &blob{flux: good.flux, widthFirst: true}, `first parameter must be "flux"`},
		{"prior off by a constant", checkNormalised, &blob{flux: good.flux, flatZero: true}, "normalised density"},
		{"no Hastings term", checkPerturb, &blob{flux: good.flux, noHastings: true}, "Hastings term"},
		{"stamp around round(x)", checkRender, &blob{flux: good.flux, roundAnchor: true}, "beyond the radius"},
		{"light half a pixel off", checkRender, &blob{flux: good.flux, offset: 0.5}, "centred at"},
		{"light lost", checkRender, &blob{flux: good.flux, lose: 0.1}, "rendered light"},
		{"RadiusOf too small", checkRender, &sizedBlob{blob{flux: good.flux}, 3}, "beyond the radius"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msgs := run(t, c.check, good); len(msgs) > 0 {
				t.Fatalf("the correct kind fails: %q", msgs)
			}
			msgs := run(t, c.check, c.kind)
			if len(msgs) == 0 || !strings.Contains(msgs[0], c.want) {
				t.Fatalf("got %q, want a failure saying %q", msgs, c.want)
			}
			t.Logf("fails as it should: %s", msgs[0])
		})
	}
}

// blob is a circular Gaussian of flux f and width σ ∈ [1, 2] (uniform prior), rendered by
// evaluating the Gaussian at pixel centres (normalised over the stamp). Its fields break one
// part of the contract each, for TestChecksFail.
type blob struct {
	flux                             model.FluxPrior
	widthFirst, flatZero, noHastings bool
	roundAnchor                      bool
	offset, lose                     float64
}

// sizedBlob is a blob that says its stamps are r pixels wide (model.SourceRadius).
type sizedBlob struct {
	blob
	r int
}

func (b *sizedBlob) RadiusOf([]float64) int { return b.r }

func (b *blob) Name() string { return "blob" }
func (b *blob) Params() []string {
	if b.widthFirst {
		return []string{"width", "flux"}
	}
	return []string{"flux", "width"}
}
func (b *blob) Radius() int { return 8 }

func (b *blob) LogPrior(p []float64) float64 {
	if p[1] < 1 || p[1] > 2 {
		return math.Inf(-1)
	}
	if b.flatZero {
		return b.flux.LogDensity(p[0]) + 0.7 // a constant left in
	}
	return b.flux.LogDensity(p[0]) // the width's uniform density on [1, 2] is 1: ln 1 = 0
}

func (b *blob) SamplePrior(rng *rand.Rand, dst []float64) {
	dst[0] = b.flux.Sample(rng)
	dst[1] = 1 + rng.Float64()
}

func (b *blob) Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64 {
	dst[0] = old[0] * math.Exp(0.3*scale*rng.NormFloat64())
	dst[1] = old[1] + 0.2*scale*rng.NormFloat64()
	if b.noHastings {
		return 0
	}
	return math.Log(dst[0]) - math.Log(old[0])
}

func (b *blob) Render(box model.Box, x, y float64, p []float64, sign float64) {
	R := b.Radius()
	cx, cy := model.Anchor(x), model.Anchor(y)
	if b.roundAnchor {
		cx, cy = int(math.Round(x)), int(math.Round(y))
	}
	x += b.offset
	s2 := p[1] * p[1]
	norm := 0.0
	for v := cy - R; v <= cy+R; v++ {
		for u := cx - R; u <= cx+R; u++ {
			norm += math.Exp(-((float64(u)-x)*(float64(u)-x) + (float64(v)-y)*(float64(v)-y)) / (2 * s2))
		}
	}
	f := sign * p[0] * (1 - b.lose) / norm
	for v := max(cy-R, box.Y0); v <= min(cy+R, box.Y0+box.H-1); v++ {
		for u := max(cx-R, box.X0); u <= min(cx+R, box.X0+box.W-1); u++ {
			d2 := (float64(u)-x)*(float64(u)-x) + (float64(v)-y)*(float64(v)-y)
			box.Pix[(v-box.Y0)*box.Stride+u-box.X0] += float32(f * math.Exp(-d2/(2*s2)))
		}
	}
}
