package sampler

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/simulate"
	"gonum.org/v1/gonum/stat/distuv"
)

// twoBandColour is the colour prior of the two-band tests: r − i ~ N(0.4, 0.3).
var twoBandColour = model.Colour{Mean: 0.4, Sigma: 0.3}

// twoBandKind returns an r+i point source: Gaussian PSFs of FWHM 2.0 px (r) and 2.4 px (i),
// PCAT's flux prior on r and twoBandColour.
func twoBandKind(t testing.TB) *model.MultiBand {
	t.Helper()
	r, err := psf.Gaussian(2.0)
	if err != nil {
		t.Fatal(err)
	}
	i, err := psf.Gaussian(2.4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewMultiBand([]string{"r", "i"}, []model.Profile{r, i}, model.FluxPrior{Min: 250, Slope: 2}, []model.Colour{twoBandColour})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// shiftRotate is the test's map from r to i pixels: a rotation by 0.01 rad about (0, 0) and a
// shift of (−0.5, +2.8) px (the offset of i from r at M2's cutout, with a much larger
// rotation than SDSS's few 10⁻⁴ rad).
func shiftRotate() model.AffineMap {
	c, s := math.Cos(0.01), math.Sin(0.01)
	return model.AffineMap{X0: -0.5, Y0: 2.8, J: [2][2]float64{{c, -s}, {s, c}}}
}

// bandView renders band k of a multi-band kind at the positions its map gives: the
// simulator's view of one band.
type bandView struct {
	*model.MultiBand
	k int
	m model.AffineMap
}

func (v bandView) Render(b model.Box, x, y float64, params []float64, sign float64) {
	u, w := v.m.Apply(x, y)
	v.RenderBand(v.k, b, u, w, params, sign)
}

// twoBandImages renders truth in r and i (background 179 and 260 counts, gain 4.62).
func twoBandImages(t testing.TB, m *model.MultiBand, truth *model.Catalogue, w, h int, seed uint64) []Band {
	t.Helper()
	sc := simulate.Default()
	sc.Width, sc.Height = w, h
	rng := rand.New(rand.NewPCG(seed, 17))
	r := simulate.RenderOf(sc, truth, bandView{m, 0, model.Identity()}, rng)
	sc.Background = 260
	i := simulate.RenderOf(sc, truth, bandView{m, 1, shiftRotate()}, rng)
	return []Band{{Image: r}, {Image: i, Map: shiftRotate()}}
}

// collectBands runs one multi-band chain for n samples.
func collectBands(t testing.TB, bands []Band, kind model.SourceKind, cfg Config, start *model.Catalogue, n int) []Sample {
	t.Helper()
	c, err := NewBandChain(bands, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if start != nil {
		if err := c.SetCatalogue(start); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]Sample, 0, n)
	for range n {
		s, err := c.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// checkColours compares the samples' r − i colours with twoBandColour (KS, p > 0.001).
func checkColours(t *testing.T, samples []Sample) {
	t.Helper()
	var cs []float64
	for _, s := range samples {
		for i, f := range s.Catalogue.Flux {
			cs = append(cs, 2.5*math.Log10(s.Catalogue.Extra[0][i]/f))
		}
	}
	n := distuv.Normal{Mu: twoBandColour.Mean, Sigma: twoBandColour.Sigma}
	d, p := ksPValue(cs, n.CDF)
	t.Logf("colours: %d values, KS D %.4f, p %.3g", len(cs), d, p)
	if p < 0.001 {
		t.Errorf("colours do not follow the colour prior N(%g, %g): KS p = %.3g", twoBandColour.Mean, twoBandColour.Sigma, p)
	}
}

// TestBandPriorRecovery switches the likelihood off for an r+i chain and checks that N
// follows the Poisson prior, r fluxes the power law and colours their Gaussian: births and
// deaths (with residual-guided fluxes in both bands), moves of both fluxes, and, with births
// off, splits/merges and emits/absorbs alone (each band's flux divided by its own fraction).
func TestBandPriorRecovery(t *testing.T) {
	m := twoBandKind(t)
	truth := &model.Catalogue{}
	truth.Append(10, 12, []float64{3000, 4000})
	truth.Append(20, 25, []float64{800, 900})
	bands := twoBandImages(t, m, truth, 30, 30, 3)
	lam := 8.0
	for _, tc := range []struct {
		name    string
		weights MoveWeights
	}{
		{"birth-death", MoveWeights{Move: 40, BirthDeath: 40}},
		{"split-merge", MoveWeights{Move: 40, SplitMerge: 80}},
		{"transfer", MoveWeights{Move: 40, Transfer: 80}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := priorConfig(model.Poisson{Density: lam / 900})
			cfg.Weights = tc.weights
			var start *model.Catalogue
			n := 3000
			if tc.weights.BirthDeath == 0 {
				cfg.RegionSize = 61 // one region holds the whole image, so any pair can merge
				cfg.RegionProposals, cfg.Proposals = 10, 150
				cfg.StepScale, cfg.SplitScale = 10, 6
				start = &model.Catalogue{}
				rng := rand.New(rand.NewPCG(5, 5))
				p := make([]float64, 2)
				for range int(lam) {
					m.SamplePrior(rng, p)
					start.Append(rng.Float64()*30-0.5, rng.Float64()*30-0.5, p)
				}
				n = 2 * splitMergeSamples // two fluxes to mix through splits
			}
			samples := collectBands(t, bands, m, cfg, start, n)
			kept := thin(t, samples[200:])
			checkCounts(t, kept, lam)
			checkFluxes(t, kept, m.Flux)
			checkColours(t, kept)
		})
	}
}

// TestBandRecovery fits a simulated r+i field whose i band is shifted by (−0.5, +2.8) px and
// rotated by 0.01 rad against r, with a different PSF and background, and checks that the
// positions (in r pixels) and r − i colours of the bright stars come back without bias: the
// mean offset over the stars of their posterior means from the truth must lie within 3.3
// standard errors of 0.
func TestBandRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of sampling")
	}
	m := twoBandKind(t)
	const W = 60
	truth := &model.Catalogue{}
	rng := rand.New(rand.NewPCG(1, 22))
	// a grid of stars 10 px apart with jitter, r fluxes 2000–20000 counts and colours drawn
	// from the prior
	for gy := 0; gy < 5; gy++ {
		for gx := 0; gx < 5; gx++ {
			x := 8 + 10*float64(gx) + rng.Float64()*2
			y := 8 + 10*float64(gy) + rng.Float64()*2
			f := 2000 * math.Pow(10, rng.Float64())
			c := twoBandColour.Mean + twoBandColour.Sigma*rng.NormFloat64()
			truth.Append(x, y, []float64{f, f * math.Pow(10, 0.4*c)})
		}
	}
	bands := twoBandImages(t, m, truth, W, W, 9)
	cfg := DefaultConfig()
	cfg.CountPrior = model.Poisson{Density: 25.0 / (W * W)}
	cfg.Proposals, cfg.Threads, cfg.Seed = 100, 1, 3
	cfg.SampleBackground = true
	samples := collectBands(t, bands, m, cfg, nil, 400)[200:]
	for _, q := range recoveryOffsets(t, truth, samples) {
		t.Logf("%s: mean offset %+.4f ± %.4f over %d stars (rms %.4f)", q.name, q.mean, q.se, q.n, q.rms)
		if math.Abs(q.mean) > 3.3*q.se {
			t.Errorf("%s is biased: mean offset %+.4f, %.1f standard errors", q.name, q.mean, q.mean/q.se)
		}
	}
	bg := samples[len(samples)-1].Backgrounds
	t.Logf("backgrounds %.2f (r, true 179), %.2f (i, true 260)", bg[0], bg[1])
	if len(bg) != 2 || math.Abs(bg[0]-179) > 2 || math.Abs(bg[1]-260) > 2 {
		t.Errorf("backgrounds %v, want about [179 260]", bg)
	}
	// the control: the same fit with the rotation left out of the map must be biased, or
	// the test could not tell a right map from a wrong one
	wrong := shiftRotate()
	wrong.J = [2][2]float64{{1, 0}, {0, 1}}
	bands[1].Map = wrong
	samples = collectBands(t, bands, m, cfg, nil, 400)[200:]
	biased := false
	for _, q := range recoveryOffsets(t, truth, samples) {
		t.Logf("without the rotation, %s: mean offset %+.4f ± %.4f (rms %.4f)", q.name, q.mean, q.se, q.rms)
		biased = biased || math.Abs(q.mean) > 5*q.se || q.rms > 0.05
	}
	if !biased {
		t.Error("a map without the rotation fits as well as the right one")
	}
}

// offset is the mean, standard error and rms over n stars of a recovered quantity's error.
type offset struct {
	name          string
	mean, se, rms float64
	n             int
}

// recoveryOffsets matches every true star to the nearest source within 1 px in each sample
// and returns the offsets of the posterior means of x, y and r − i from the truth; a star
// found in fewer than 90 % of the samples is an error.
func recoveryOffsets(t *testing.T, truth *model.Catalogue, samples []Sample) []offset {
	t.Helper()
	var dx, dy, dc []float64
	for i := range truth.X {
		var sx, sy, sc float64
		n := 0
		for _, s := range samples {
			cat := s.Catalogue
			best, bi := 1.0, -1
			for j := range cat.X {
				if d := math.Hypot(cat.X[j]-truth.X[i], cat.Y[j]-truth.Y[i]); d < best {
					best, bi = d, j
				}
			}
			if bi < 0 {
				continue
			}
			sx += cat.X[bi]
			sy += cat.Y[bi]
			sc += 2.5 * math.Log10(cat.Extra[0][bi]/cat.Flux[bi])
			n++
		}
		if n < len(samples)*9/10 {
			t.Errorf("star %d (%.1f, %.1f, f_r %.0f) is found within 1 px in only %d of %d samples", i, truth.X[i], truth.Y[i], truth.Flux[i], n, len(samples))
			continue
		}
		tc := 2.5 * math.Log10(truth.Extra[0][i]/truth.Flux[i])
		dx = append(dx, sx/float64(n)-truth.X[i])
		dy = append(dy, sy/float64(n)-truth.Y[i])
		dc = append(dc, sc/float64(n)-tc)
	}
	var out []offset
	for _, q := range []struct {
		name string
		v    []float64
	}{{"x", dx}, {"y", dy}, {"r − i", dc}} {
		mean, v := meanVar(q.v)
		out = append(out, offset{q.name, mean, math.Sqrt(v / float64(len(q.v))), math.Sqrt(v), len(q.v)})
	}
	return out
}

// TestBandDeterminism checks an r+i chain's byte identity across thread counts, its
// continuation from a checkpoint (with exact model noise, whose weights the checkpoint
// holds), the residual every band maintains against a fresh one, and NewBandChain's errors.
func TestBandDeterminism(t *testing.T) {
	m := twoBandKind(t)
	m.ColourSpread = 0.2 // the colour means' Gibbs steps too
	img, truth, _ := testField(t, 70, 60, 0.03, 5)
	truth.Extra = [][]float64{make([]float64, truth.Len())}
	for i, f := range truth.Flux {
		truth.Extra[0][i] = 1.3 * f
	}
	bands := twoBandImages(t, m, truth, img.Width, img.Height, 4)
	run := func(threads int, bands []Band) []Sample {
		var got []Sample
		if err := RunBands(context.Background(), bands, m, smallRun(threads, 2), func(s Sample) error {
			got = append(got, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	ref := run(1, bands)
	if ref[len(ref)-1].Catalogue.Len() == 0 || len(ref[0].Backgrounds) != 2 || len(ref[0].ColourMeans) != 1 {
		t.Fatalf("no source found, or backgrounds %v, colour means %v", ref[0].Backgrounds, ref[0].ColourMeans)
	}
	if last := ref[len(ref)-1].ColourMeans[0]; last == twoBandColour.Mean || m.Colours[0].Mean != twoBandColour.Mean {
		t.Errorf("colour mean %g after sampling (start %g), kind's %g: not sampled, or sampled in the shared kind", last, twoBandColour.Mean, m.Colours[0].Mean)
	}
	for _, th := range []int{2, 4} {
		if got := run(th, bands); !reflect.DeepEqual(ref, got) {
			t.Errorf("threads=%d differs from threads=1", th)
		}
	}
	// checkpoint continuation with exact model noise in both bands
	for _, b := range bands {
		b.Image.Noise = model.NoiseFromModel
	}
	cfg := smallRun(2, 1)
	cfg.BurnIn = 2
	a, err := NewBandChain(bands, m, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := a.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBandChain(bands, m, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.UnmarshalBinary(ck); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		sa, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sa, sb) {
			t.Fatalf("sample %d after the checkpoint differs", i)
		}
	}
	// another map is another run
	other := []Band{bands[0], {Image: bands[1].Image, Map: model.Identity()}}
	o, err := NewBandChain(other, m, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.UnmarshalBinary(ck); err == nil || !strings.Contains(err.Error(), "different run") {
		t.Errorf("a checkpoint of another band map was accepted: %v", err)
	}
	// the residuals kept by the moves match fresh ones in both bands
	stop := a.startHelpers()
	for range 200 {
		a.pass()
	}
	stop()
	var kept [][]float32
	for _, b := range a.bands {
		kept = append(kept, append([]float32(nil), b.resid...))
	}
	a.refresh()
	for k, b := range a.bands {
		worst := 0.0
		for i := range b.resid {
			worst = math.Max(worst, math.Abs(float64(kept[k][i]-b.resid[i])))
		}
		t.Logf("band %d: largest residual difference %.3g counts (%d sources)", k, worst, len(a.xs))
		if worst > 0.02 {
			t.Errorf("band %d: maintained residual differs from a fresh one by %.3g counts", k, worst)
		}
	}
	// errors
	for _, tc := range []struct {
		bands []Band
		kind  model.SourceKind
		cfg   func(*Config)
		want  string
	}{
		{bands[:1], m, nil, "has 2 bands, but 1 images"},
		{bands, &model.PointSource{PSF: m.PSFs[0], Flux: m.Flux}, nil, "not a multi-band kind"},
		{[]Band{bands[0], {Image: bands[1].Image}}, m, nil, "singular"},
		{[]Band{bands[0], {}}, m, nil, "band 1 has no image"},
		{bands, m, func(c *Config) { c.BackgroundOrder = 1 }, "not supported with several bands"},
		{bands, m, func(c *Config) { c.RegionSize = 2*m.Radius() + 1 }, "disjoint in every band"},
	} {
		cfg := smallRun(1, 1)
		if tc.cfg != nil {
			tc.cfg(&cfg)
		}
		if _, err := NewBandChain(tc.bands, tc.kind, cfg, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got error %v, want one containing %q", err, tc.want)
		}
	}
}

// TestBandPriorFluxSlope samples an r+i chain's power-law slope with the likelihood off: it
// must follow its hyperprior α − 1 ~ Gamma(SlopeShape, SlopeShape) truncated to (0, 2], and
// the colours their prior, whatever the slope.
func TestBandPriorFluxSlope(t *testing.T) {
	m := twoBandKind(t)
	bands := twoBandImages(t, m, &model.Catalogue{}, 40, 40, 3)
	cfg := priorConfig(model.Poisson{Density: 4.0 / 1600})
	cfg.SampleFluxPrior = true
	cfg.MaxSlope = 3
	cfg.ResidualBirths, cfg.ResidualFluxes = 0, 0
	samples := collectBands(t, bands, m, cfg, nil, 4000)
	slope := func(s Sample) float64 { return s.FluxPrior.Slope }
	kept := thin(t, samples[200:], slope)
	checkSlopeHyperprior(t, kept, cfg.MaxSlope)
	checkColours(t, kept)
	if m.Flux.Slope != 2 {
		t.Errorf("the chain changed the kind it was given: slope %g", m.Flux.Slope)
	}
}

// TestBandPriorColourMean samples an r+i chain's colour mean with the likelihood off: it
// must follow its hyperprior N(0.4, τ = 0.25), and the pooled colours N(0.4, √(σ² + τ²)).
func TestBandPriorColourMean(t *testing.T) {
	m := twoBandKind(t)
	m.ColourSpread = 0.25
	bands := twoBandImages(t, m, &model.Catalogue{}, 40, 40, 3)
	cfg := priorConfig(model.Poisson{Density: 4.0 / 1600})
	samples := collectBands(t, bands, m, cfg, nil, 4000)
	mean := func(s Sample) float64 { return s.ColourMeans[0] }
	kept := thin(t, samples[200:], mean)
	var mus, cs []float64
	for _, s := range kept {
		mus = append(mus, mean(s))
		for i, f := range s.Catalogue.Flux {
			cs = append(cs, 2.5*math.Log10(s.Catalogue.Extra[0][i]/f))
		}
	}
	hyper := distuv.Normal{Mu: twoBandColour.Mean, Sigma: 0.25}
	d, p := ksPValue(mus, hyper.CDF)
	t.Logf("colour mean: %d values, KS D %.4f, p %.3g", len(mus), d, p)
	if p < 0.001 {
		t.Errorf("the colour mean does not follow its hyperprior: KS p = %.3g", p)
	}
	pooled := distuv.Normal{Mu: twoBandColour.Mean, Sigma: math.Hypot(twoBandColour.Sigma, 0.25)}
	d, p = ksPValue(cs, pooled.CDF)
	t.Logf("colours: %d values, KS D %.4f, p %.3g", len(cs), d, p)
	if p < 0.001 {
		t.Errorf("colours do not follow N(μ₀, √(σ² + τ²)): KS p = %.3g", p)
	}
	m.ColourSpread = -1
	if _, err := NewBandChain(bands, m, cfg, 0); err == nil {
		t.Error("a negative colour spread was accepted")
	}
}
