package sampler

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
)

func smallRun(threads, chains int) Config {
	cfg := DefaultConfig()
	cfg.CountPrior = model.DefaultGammaPoisson
	cfg.Proposals = 40
	cfg.BurnIn = 1
	cfg.Samples = 3
	cfg.Chains = chains
	cfg.Threads = threads
	cfg.Seed = 11
	cfg.SampleBackground = true
	cfg.SampleFluxPrior = true
	return cfg
}

func runAll(t *testing.T, img *model.Image, kind model.SourceKind, cfg Config) []Sample {
	t.Helper()
	var got []Sample
	err := Run(context.Background(), img, kind, cfg, func(s Sample) error {
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDeterministicAcrossThreads checks that the same seed gives identical samples whatever
// the number of threads, both across chains and across the regions of one chain.
func TestDeterministicAcrossThreads(t *testing.T) {
	img, _, kind := testField(t, 80, 70, 0.03, 5)
	for _, chains := range []int{1, 3} {
		ref := runAll(t, img, kind, smallRun(1, chains))
		if len(ref) != 4*chains {
			t.Fatalf("%d chains: got %d samples, want %d", chains, len(ref), 4*chains)
		}
		for i, s := range ref {
			if s.Chain != i%chains || s.Index != i/chains || s.BurnIn != (s.Index < 1) {
				t.Fatalf("sample %d is chain %d index %d burn-in %v: wrong order", i, s.Chain, s.Index, s.BurnIn)
			}
		}
		if ref[len(ref)-1].Catalogue.Len() == 0 {
			t.Fatal("the chain found no source at all")
		}
		for _, th := range []int{2, 4} {
			got := runAll(t, img, kind, smallRun(th, chains))
			if !reflect.DeepEqual(ref, got) {
				t.Errorf("%d chains: threads=%d differs from threads=1", chains, th)
			}
		}
	}
	// the hyperparameters of a broken power law too
	broken := brokenKind(kind)
	ref := runAll(t, img, broken, smallRun(1, 1))
	if got := runAll(t, img, broken, smallRun(2, 1)); !reflect.DeepEqual(ref, got) {
		t.Error("broken power law: threads=2 differs from threads=1")
	}
	if f := ref[len(ref)-1].FluxPrior; f.Break == broken.Flux.Break || f.Slope == broken.Flux.Slope || f.SlopeBright == broken.Flux.SlopeBright {
		t.Errorf("broken power law's parameters did not move: %+v", f)
	}
	// a different seed gives a different chain
	cfg := smallRun(1, 1)
	cfg.Seed++
	other := runAll(t, img, kind, cfg)
	ref = runAll(t, img, kind, smallRun(1, 1))
	if reflect.DeepEqual(ref[3].Catalogue, other[3].Catalogue) {
		t.Error("seeds 11 and 12 gave identical catalogues")
	}
}

// TestCheckpointContinuation checks that a chain restored from a checkpoint continues exactly
// as the uninterrupted chain, and that corrupt or foreign checkpoints are rejected.
func TestCheckpointContinuation(t *testing.T) {
	img, _, kind := testField(t, 60, 60, 0.03, 9)
	for _, noise := range []model.NoiseModel{model.NoiseFromData, model.NoiseFromModel} {
		img.Noise = noise
		if noise == model.NoiseFromModel {
			kind = brokenKind(kind)
		}
		cfg := smallRun(2, 1)
		cfg.BurnIn = 2
		a, err := NewChain(img, kind, cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if _, err := a.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ck, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var want []Sample
		for i := 0; i < 3; i++ {
			s, err := a.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, s)
		}
		cfg.Threads = 1 // threads may differ on resume
		b, err := NewChain(img, kind, cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.UnmarshalBinary(ck); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			s, err := b.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s, want[i]) {
				t.Fatalf("noise %v: sample %d after restore differs from the uninterrupted chain", noise, s.Index)
			}
		}
		// corruption
		bad := append([]byte(nil), ck...)
		bad[len(bad)/2] ^= 1
		if err := b.UnmarshalBinary(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("flipped bit: got %v, want a checksum error", err)
		}
		if err := b.UnmarshalBinary(ck[:len(ck)-5]); err == nil {
			t.Error("truncated checkpoint accepted")
		}
		if err := b.UnmarshalBinary([]byte("hello")); err == nil {
			t.Error("garbage accepted as a checkpoint")
		}
		c2, err := NewChain(img, kind, cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c2.UnmarshalBinary(ck); err == nil || !strings.Contains(err.Error(), "different run") {
			t.Errorf("other chain's checkpoint: got %v", err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 1)
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Samples = 0 }, "samples"},
		{func(c *Config) { c.Proposals = 0 }, "proposals"},
		{func(c *Config) { c.Chains = 0 }, "chains"},
		{func(c *Config) { c.CountPrior = nil }, "count prior"},
		{func(c *Config) { c.Weights = MoveWeights{} }, "weights"},
		{func(c *Config) { c.RegionSize = 10 }, "region size"},
		{func(c *Config) { c.ResidualBirths = 2 }, "residual birth"},
	} {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		_, err := NewChain(img, kind, cfg, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got error %v, want one mentioning %q", err, tc.want)
		}
	}
	tiny := model.NewImage(10, 10)
	tiny.Background = 100
	for i := range tiny.Pix {
		tiny.Pix[i] = 100
	}
	if _, err := NewChain(tiny, kind, DefaultConfig(), 0); err == nil || !strings.Contains(err.Error(), "smaller than the PSF") {
		t.Errorf("image smaller than the PSF: got %v", err)
	}
	masked := *img
	masked.Mask = make([]bool, len(img.Pix))
	for i := range masked.Mask {
		masked.Mask[i] = true
	}
	if _, err := NewChain(&masked, kind, DefaultConfig(), 0); err == nil {
		t.Error("all-masked image accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, img, kind, smallRun(1, 1), func(Sample) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: got %v", err)
	}
}

// TestDiagnostics checks R-hat and ESS on series with known answers.
func TestDiagnostics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ar := func(phi, offset float64, n int) []float64 {
		x := make([]float64, n)
		v := rng.NormFloat64() / math.Sqrt(1-phi*phi)
		for i := range x {
			v = phi*v + rng.NormFloat64()
			x[i] = v + offset
		}
		return x
	}
	const m, n = 4, 2000
	iid := make([][]float64, m)
	corr := make([][]float64, m)
	apart := make([][]float64, m)
	for i := 0; i < m; i++ {
		iid[i] = ar(0, 0, n)
		corr[i] = ar(0.9, 0, n)
		apart[i] = ar(0, float64(i), n)
	}
	if r := SplitRHat(iid); !(r < 1.01) {
		t.Errorf("iid chains: R-hat %.4f, want < 1.01", r)
	}
	if e := EffectiveSampleSize(iid); e < 0.8*m*n || e > 1.2*m*n {
		t.Errorf("iid chains: ESS %.0f, want about %d", e, m*n)
	}
	want := m * n * (1 - 0.9) / (1 + 0.9)
	if e := EffectiveSampleSize(corr); e < 0.7*want || e > 1.3*want {
		t.Errorf("AR(1) φ=0.9: ESS %.0f, want about %.0f", e, want)
	}
	if r := SplitRHat(corr); !(r < 1.05) {
		t.Errorf("AR(1) chains: R-hat %.4f, want < 1.05", r)
	}
	if r := SplitRHat(apart); !(r > 1.3) {
		t.Errorf("chains with different means: R-hat %.4f, want > 1.3", r)
	}
	// a trend within chains is caught by splitting
	trend := make([][]float64, m)
	for i := range trend {
		trend[i] = ar(0, 0, n)
		for j := range trend[i] {
			trend[i][j] += 4 * float64(j) / n
		}
	}
	if r := SplitRHat(trend); !(r > 1.1) {
		t.Errorf("trending chains: R-hat %.4f, want > 1.1", r)
	}
	if !math.IsNaN(SplitRHat([][]float64{{1, 1, 1, 1}, {1, 1, 1, 1}})) {
		t.Error("constant chains should give NaN")
	}
}

// TestResidualConsistent checks that the residual maintained by accepted proposals agrees
// with one computed from scratch from the catalogue, for the point-source kernels, for the
// generic kind path and for a mixed kind's stars (kernels) and galaxies (generic), with the
// background and slope updates on.
func TestResidualConsistent(t *testing.T) {
	img, _, kind := testField(t, 64, 64, 0.05, 12)
	blobKind := &blob{flux: model.FluxPrior{Min: 250, Slope: 2}, minW: 0.5, maxW: 2, psfS: 0.93}
	mixed, _, _ := mixedKind(t)
	for _, k := range []model.SourceKind{kind, blobKind, mixed} {
		cfg := smallRun(2, 1)
		cfg.SampleFluxPrior = k == model.SourceKind(kind)
		cfg.RegionProposals = 3
		c, err := NewChain(img, k, cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := c.Next(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		stop := c.startHelpers()
		for i := 0; i < 300; i++ {
			c.pass()
		}
		stop()
		kept := append([]float32(nil), c.resid...)
		c.refresh()
		worst := 0.0
		for i := range kept {
			worst = math.Max(worst, math.Abs(float64(kept[i]-c.resid[i])))
		}
		t.Logf("%s: %d sources, largest difference %.3g counts", k.Name(), len(c.xs), worst)
		if len(c.xs) == 0 || worst > 0.02 {
			t.Errorf("%s: maintained residual differs from a fresh one by %.3g counts (%d sources)", k.Name(), worst, len(c.xs))
		}
	}
}

// brokenKind returns a copy of the point-source kind with a broken power-law flux prior.
func brokenKind(k *model.PointSource) *model.PointSource {
	b := *k
	b.Flux = model.FluxPrior{Min: k.Flux.Min, Slope: 1.5, Break: 4 * k.Flux.Min, SlopeBright: 2.5}
	return &b
}
