// Command sbc runs simulation-based calibration (Talts et al. 2018) of probcat's sampler on
// small synthetic fields: for each field it draws a catalogue from the prior (Poisson count,
// uniform positions, power-law fluxes), renders it through a Gaussian PSF with Gaussian noise
// of known variance (exactly the sampler's likelihood), samples the posterior, and records the
// rank of the true N and of the true total flux among the posterior draws. Calibrated
// posteriors give uniform ranks, and a 90 % interval that holds the truth in 90 % of fields.
//
//	go run ./experiments/sbc [-fields 200] [-threads 2]
//
// With -noise model the noise variance depends on the sources, σ² = (background + model)/gain +
// read noise², and the sampler uses its exact model-noise likelihood; -design issue11 selects
// the setting of the total-flux calibration check of issue 11 (40×40 px, zero sky, σ² = 100 +
// 10·model, FWHM 2.5 px, fluxes above 400 with slope 2, background fixed at the truth);
// -hierarchical draws each field's source density and flux slope from hyperpriors and samples
// them with the catalogue (ranks of the density and the slope as well).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// setup is the SBC design.
type setup struct {
	size              int     // field side in pixels
	meanN             float64 // Poisson mean number of sources
	fmin, slope       float64 // flux prior
	fwhm, bg, gain    float64
	readNoise         float64
	modelNoise        bool // σ² from the model (exact likelihood) rather than from the background
	fixBackground     bool
	burn, draws, thin int // samples: burn-in, kept draws, passes between draws
	regionProposals   int
	seed              uint64
	fields, bins      int
	weights           sampler.MoveWeights // the sampler's move weights
	// hierarchical draws each field's density and slope from hyperpriors and samples them:
	// ρ ~ Gamma(hierShape, hierShape·area/meanN) (mean meanN sources per field) and
	// α − 1 ~ Gamma(SlopeShape, SlopeShape) truncated to MaxSlope − 1, the sampler's own.
	hierarchical bool
}

// hierShape is the shape of the density hyperprior of -hierarchical: a coefficient of
// variation of 1/√10 about the design's mean.
const hierShape = 10

// result is one field's ranks and 90 % interval check.
type result struct {
	rankN, rankF int
	rankD, rankS int  // ranks of the density and the slope (-hierarchical only)
	covered      bool // the truth lies in [q5, q95] of the draws (conservative for a discrete N)
	trueN        int
	essN         float64
}

func main() {
	s := setup{size: 32, meanN: 10, fmin: 60, slope: 2, fwhm: 2.2, bg: 179, gain: 4.62,
		burn: 20, draws: 99, thin: 200, regionProposals: 4, seed: 1, bins: 10, fixBackground: true,
		weights: sampler.DefaultConfig().Weights}
	flag.IntVar(&s.fields, "fields", 200, "number of synthetic fields")
	flag.IntVar(&s.draws, "draws", s.draws, "posterior draws per field (ranks run 0…draws)")
	flag.IntVar(&s.thin, "thin", s.thin, "passes between draws")
	flag.IntVar(&s.burn, "burn", s.burn, "burn-in samples (of thin passes)")
	flag.Uint64Var(&s.seed, "seed", s.seed, "seed")
	noise := flag.String("noise", "background", "noise variance: background (σ² = background/gain, fixed) or model (σ² = (background + model)/gain + read noise²)")
	design := flag.String("design", "default", "default (above), or issue11: 40×40 px, zero sky, σ² = 100 + 10·model, FWHM 2.5, f ≥ 400, background fixed")
	sampleBG := flag.Bool("sample-background", false, "sample the background level too (its truth is the design's)")
	flag.BoolVar(&s.hierarchical, "hierarchical", false, "draw each field's source density and flux slope from hyperpriors (Gamma about the design's values, the sampler's slope hyperprior) and sample them with the catalogue")
	threads := flag.Int("threads", runtime.NumCPU(), "fields sampled at once")
	flag.Float64Var(&s.weights.BirthDeath, "birth-death", s.weights.BirthDeath, "weight of births and deaths")
	flag.Float64Var(&s.weights.Refit, "refit", s.weights.Refit, "weight of refit births and deaths (neighbours' fluxes redrawn)")
	flag.Float64Var(&s.weights.SplitMerge, "split-merge", s.weights.SplitMerge, "weight of splits and merges")
	flag.Float64Var(&s.weights.RefitSplitMerge, "refit-split-merge", s.weights.RefitSplitMerge, "weight of refit splits and merges (neighbours' fluxes redrawn)")
	flag.Float64Var(&s.weights.FluxGroup, "flux-group", s.weights.FluxGroup, "weight of joint flux updates of a source and its neighbours")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	switch *design {
	case "default":
	case "issue11":
		s.size, s.meanN, s.fmin, s.fwhm, s.bg, s.gain, s.readNoise = 40, 0.07*1600, 400, 2.5, 0, 0.1, 10
		s.fixBackground, *noise = true, "model"
	default:
		log.Fatalf("unknown -design %q (want default or issue11)", *design)
	}
	if *sampleBG {
		s.fixBackground = false
	}
	switch *noise {
	case "background":
	case "model":
		s.modelNoise = true
	default:
		log.Fatalf("unknown -noise %q (want background or model)", *noise)
	}
	start := time.Now()
	res, err := run(s, *threads)
	if err != nil {
		log.Fatal(err)
	}
	report(os.Stdout, s, res, time.Since(start))
}

func run(s setup, threads int) ([]result, error) {
	p, err := psf.Gaussian(s.fwhm)
	if err != nil {
		return nil, err
	}
	res := make([]result, s.fields)
	errs := make([]error, s.fields)
	next := make(chan int)
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res[i], errs[i] = field(s, p, i)
			}
		}()
	}
	for i := 0; i < s.fields; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return res, nil
}

// field simulates field i and samples it.
func field(s setup, p *psf.PSF, i int) (result, error) {
	rng := rand.New(rand.NewPCG(s.seed, uint64(i)))
	area := float64(s.size * s.size)
	fp := model.FluxPrior{Min: s.fmin, Slope: s.slope}
	cfg := sampler.DefaultConfig()
	cfg.CountPrior = model.Poisson{Density: s.meanN / area}
	cfg.SampleFluxPrior = false // the fields are drawn with a fixed slope
	lambda, hyper := s.meanN, model.GammaPoisson{Shape: hierShape, Rate: hierShape * area / s.meanN}
	if s.hierarchical {
		lambda = distuv.Gamma{Alpha: hyper.Shape, Beta: hyper.Rate, Src: rng}.Rand() * area
		slope := math.Inf(1)
		for slope > cfg.MaxSlope {
			slope = 1 + distuv.Gamma{Alpha: sampler.SlopeShape, Beta: sampler.SlopeShape, Src: rng}.Rand()
		}
		fp.Slope = slope
		cfg.CountPrior, cfg.SampleFluxPrior = hyper, true
	}
	n := int(distuv.Poisson{Lambda: lambda, Src: rng}.Rand())
	img := model.NewImage(s.size, s.size)
	img.Gain, img.Background, img.ReadNoise, img.Noise = s.gain, s.bg, s.readNoise, model.NoiseFromModel
	box := model.Box{Pix: img.Pix, Stride: s.size, W: s.size, H: s.size}
	total := 0.0
	for k := 0; k < n; k++ {
		x := rng.Float64()*float64(s.size) - 0.5
		y := rng.Float64()*float64(s.size) - 0.5
		f := fp.Sample(rng)
		total += f
		p.AddTo(box, x, y, f)
	}
	for k, m := range img.Pix {
		v := img.PixelVariance(s.bg)
		if s.modelNoise {
			v = img.PixelVariance(s.bg + float64(m))
		}
		img.Pix[k] = float32(s.bg + float64(m) + math.Sqrt(v)*rng.NormFloat64())
	}
	cfg.WeightsFromBackground = !s.modelNoise
	cfg.SampleBackground = !s.fixBackground
	cfg.ExactStamps = true
	cfg.Proposals = s.thin
	cfg.RegionProposals = s.regionProposals
	cfg.BurnIn = s.burn
	cfg.Samples = s.draws
	cfg.Threads = 1
	cfg.Seed = s.seed*1000003 + uint64(i)
	cfg.Weights = s.weights
	start := fp
	if s.hierarchical {
		start.Slope = s.slope // chains start from the hyperprior's mean, not the truth
	}
	c, err := sampler.NewChain(img, &model.PointSource{PSF: p, Flux: start}, cfg, 0)
	if err != nil {
		return result{}, err
	}
	var ns, fs, ds, ss []float64
	for k := 0; k < s.burn+s.draws; k++ {
		smp, err := c.Next(context.Background())
		if err != nil {
			return result{}, err
		}
		if smp.BurnIn {
			continue
		}
		ns = append(ns, float64(smp.Catalogue.Len()))
		t := 0.0
		for _, f := range smp.Catalogue.Flux {
			t += f
		}
		fs = append(fs, t)
		ds = append(ds, smp.Density)
		ss = append(ss, smp.FluxPrior.Slope)
	}
	r := result{trueN: n, essN: sampler.EffectiveSampleSize([][]float64{ns})}
	r.rankN = rank(ns, float64(n), rng)
	r.rankF = rank(fs, total, rng)
	if s.hierarchical {
		r.rankD = rank(ds, lambda/area, rng)
		r.rankS = rank(ss, fp.Slope, rng)
	}
	sorted := append([]float64(nil), ns...)
	sort.Float64s(sorted)
	lo := sorted[int(math.Floor(0.05*float64(len(sorted)-1)))]
	hi := sorted[int(math.Ceil(0.95*float64(len(sorted)-1)))]
	r.covered = float64(n) >= lo && float64(n) <= hi
	return r, nil
}

// rank counts the draws below the truth, breaking ties at random.
func rank(draws []float64, truth float64, rng *rand.Rand) int {
	below, equal := 0, 0
	for _, d := range draws {
		switch {
		case d < truth:
			below++
		case d == truth:
			equal++
		}
	}
	return below + rng.IntN(equal+1)
}

// uniformity returns the chi-square statistic and p-value of ranks 0…max in bins equal bins.
func uniformity(ranks []int, max, bins int) (float64, float64, []int) {
	h := make([]int, bins)
	for _, r := range ranks {
		h[r*bins/(max+1)]++
	}
	exp := float64(len(ranks)) / float64(bins)
	chi2 := 0.0
	for _, o := range h {
		chi2 += (float64(o) - exp) * (float64(o) - exp) / exp
	}
	return chi2, distuv.ChiSquared{K: float64(bins - 1)}.Survival(chi2), h
}

// meanRank returns the mean of (rank+½)/(max+1), 0.5 for uniform ranks, and its standard error.
func meanRank(ranks []int, max int) (mean, se float64) {
	v := make([]float64, len(ranks))
	for i, r := range ranks {
		v[i] = (float64(r) + 0.5) / float64(max+1)
	}
	m, sd := stat.MeanStdDev(v, nil)
	return m, sd / math.Sqrt(float64(len(v)))
}

func report(w *os.File, s setup, res []result, el time.Duration) {
	var rn, rf, rd, rs []int
	cov, covRank, ess, meanN := 0, 0, 0.0, 0.0
	lo, hi := int(math.Round(0.05*float64(s.draws+1))), int(math.Round(0.95*float64(s.draws+1)))
	for _, r := range res {
		if r.rankN >= lo && r.rankN < hi {
			covRank++
		}
		rn = append(rn, r.rankN)
		rf = append(rf, r.rankF)
		rd = append(rd, r.rankD)
		rs = append(rs, r.rankS)
		if r.covered {
			cov++
		}
		ess += r.essN
		meanN += float64(r.trueN)
	}
	nf := float64(len(res))
	c2n, pn, hn := uniformity(rn, s.draws, s.bins)
	c2f, pf, hf := uniformity(rf, s.draws, s.bins)
	noise := fmt.Sprintf("fixed σ² = background/gain = %g", s.bg/s.gain)
	if s.modelNoise {
		noise = fmt.Sprintf("model noise σ² = (background + model)/%g + %g² (exact likelihood)", s.gain, s.readNoise)
	}
	bgs := "fixed at the truth"
	if !s.fixBackground {
		bgs = "sampled"
	}
	prior := fmt.Sprintf("Poisson N (mean %g, drawn mean %.2f), flux ≥ %g with slope %g", s.meanN, meanN/nf, s.fmin, s.slope)
	if s.hierarchical {
		prior = fmt.Sprintf("hierarchical: density ~ Gamma(%d, %d·area/%g) sampled, N | density Poisson (drawn mean %.2f), flux ≥ %g with slope − 1 ~ Gamma(%d, %d) sampled", hierShape, hierShape, s.meanN, meanN/nf, s.fmin, sampler.SlopeShape, sampler.SlopeShape)
	}
	fmt.Fprintf(w, "SBC: %d fields of %d×%d px, Gaussian PSF FWHM %.1f, background %g (%s), %s; %s\n",
		len(res), s.size, s.size, s.fwhm, s.bg, bgs, noise, prior)
	fmt.Fprintf(w, "per field: %d burn-in + %d draws, %d passes (× %d proposals per region) between draws, move weights %+v; mean ESS of N %.0f\n\n",
		s.burn, s.draws, s.thin, s.regionProposals, s.weights, ess/nf)
	fmt.Fprintf(w, "| quantity | rank histogram (%d bins) | chi-square (df %d) | p |\n|---|---|---|---|\n", s.bins, s.bins-1)
	fmt.Fprintf(w, "| N | %v | %.1f | %.3f |\n", hn, c2n, pn)
	fmt.Fprintf(w, "| total flux | %v | %.1f | %.3f |\n", hf, c2f, pf)
	if s.hierarchical {
		c2d, pd, hd := uniformity(rd, s.draws, s.bins)
		c2s, ps, hs := uniformity(rs, s.draws, s.bins)
		fmt.Fprintf(w, "| density | %v | %.1f | %.3f |\n", hd, c2d, pd)
		fmt.Fprintf(w, "| slope | %v | %.1f | %.3f |\n", hs, c2s, ps)
	}
	fmt.Fprintf(w, "\n90 %% interval of N (randomised: tie-broken rank of the truth in the central 90 %% of ranks %d…%d) holds the truth in %d of %d fields (%.1f %%)\n",
		lo, hi-1, covRank, len(res), 100*float64(covRank)/nf)
	fmt.Fprintf(w, "inclusive interval [5 %%, 95 %% quantiles of the draws] holds it in %d of %d fields (%.1f %%; above 90 %% because N is discrete)\n",
		cov, len(res), 100*float64(cov)/nf)
	mN, seN := meanRank(rn, s.draws)
	mF, seF := meanRank(rf, s.draws)
	covF := 0
	for _, r := range rf {
		if r >= lo && r < hi {
			covF++
		}
	}
	fmt.Fprintf(w, "mean normalised rank (rank+½)/(draws+1), uniform 0.5: N %.3f ± %.3f, total flux %.3f ± %.3f\n", mN, seN, mF, seF)
	if s.hierarchical {
		mD, seD := meanRank(rd, s.draws)
		mS, seS := meanRank(rs, s.draws)
		fmt.Fprintf(w, "mean normalised rank: density %.3f ± %.3f, slope %.3f ± %.3f\n", mD, seD, mS, seS)
	}
	fmt.Fprintf(w, "90 %% interval of the total flux holds the truth in %d of %d fields (%.1f %%)\n", covF, len(res), 100*float64(covF)/nf)
	fmt.Fprintf(w, "wall time %.1f s\n", el.Seconds())
}
