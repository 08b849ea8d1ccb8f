package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey/m2"
)

// brightLimit is the magnitude brighter than which the goal asks for TPR ≥ 0.88 with PPV ≥ 0.85.
const brightLimit = 19.8

// prevalenceCut is the prevalence threshold of the condensed catalogue in the main table;
// prevalenceCuts are the ones shown beside it.
const prevalenceCut = 0.5

var prevalenceCuts = []float64{0.3, 0.5, 0.7}

// frame is the main 100×100 region in cutout pixels.
var frame = score.Frame{W: 100, H: 100}

// truths holds the two HST reference catalogues, in cutout pixels.
type truths struct {
	// starnet is StarNet's HST truth (true_hubble_m2.npy, r < 22.3), used with the StarNet rule
	// as in the published numbers; pcat is PCAT's (sdss.0921_tru.txt), used with the PCAT rule
	// down to r = 22.5.
	starnet, pcat score.Reference
}

func loadTruth(in inputs) (truths, error) {
	var t truths
	var err error
	if t.starnet, err = m2.ReadHubble(in.hubble); err != nil {
		return t, err
	}
	x, y, f, err := catalogue.ReadXYFlux(in.pcatTruth)
	if err != nil {
		return t, err
	}
	t.pcat = score.NewReference(x, y, f, m2.ZeroPointR)
	return t, nil
}

// result is one scored catalogue (or ensemble).
type result struct {
	key, label, what string
	// cut is the prevalence threshold of a condensed catalogue (0 otherwise).
	cut float64
	// starnet, bright and pcat are the scores under the StarNet rule (all magnitudes and
	// brighter than brightLimit) and under the PCAT rule.
	starnet, bright, pcat *score.Score
	use                   *usage // nil for catalogues not made here
	run                   *runInfo
}

// runInfo is what a probcat run reports about itself.
type runInfo struct {
	RHatN, ESSN, MeanN, Background, ChiSq float64
	Kept                                  int
}

// scoreBoth scores one ensemble (or one catalogue as an ensemble of one) under both rules.
func scoreBoth(t truths, s []catalogue.Sample) (starnet, bright, pcat *score.Score, err error) {
	opt := score.Options{Rule: score.StarNetRule, Frame: frame, ZeroPoint: m2.ZeroPointR}
	if starnet, err = score.Ensemble(t.starnet, s, opt); err != nil {
		return
	}
	opt.FaintLimit = brightLimit
	if bright, err = score.Ensemble(t.starnet, s, opt); err != nil {
		return
	}
	opt = score.Options{Rule: score.PCATRule, Frame: frame, ZeroPoint: m2.ZeroPointR, FaintLimit: 22.5}
	pcat, err = score.Ensemble(t.pcat, s, opt)
	return
}

func shift(s []catalogue.Sample, dx, dy float64) {
	for i := range s {
		for j := range s[i].X {
			s[i].X[j] += dx
			s[i].Y[j] += dy
		}
	}
}

// scoreProbcat scores a probcat run's ensemble and its condensed catalogue at each prevalence cut.
func scoreProbcat(r probcatRun, dir string, t truths, u usage) ([]*result, error) {
	info, err := readRunInfo(dir)
	if err != nil {
		return nil, err
	}
	ens, err := catalogue.ReadEnsemble(filepath.Join(dir, "ensemble.parquet"))
	if err != nil {
		return nil, err
	}
	shift(ens, r.dx, r.dy)
	res := &result{key: r.key, label: r.label, what: "ensemble", use: &u, run: info}
	if res.starnet, res.bright, res.pcat, err = scoreBoth(t, ens); err != nil {
		return nil, err
	}
	out := []*result{res}
	cs, err := catalogue.ReadCondensedParquet(filepath.Join(dir, "condensed.parquet"))
	if err != nil {
		return nil, err
	}
	for _, cut := range prevalenceCuts {
		var kept []catalogue.CondensedSource
		for _, c := range cs {
			if c.Prevalence >= cut {
				kept = append(kept, c)
			}
		}
		s := catalogue.SingleSample(kept)
		shift(s, r.dx, r.dy)
		c := &result{key: r.key, label: r.label, what: fmt.Sprintf("condensed, prevalence ≥ %.1f", cut), cut: cut, use: &u, run: info}
		if c.starnet, c.bright, c.pcat, err = scoreBoth(t, s); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// readRunInfo reads convergence from run.json and the sky and χ² from samples.parquet.
func readRunInfo(dir string) (*runInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		return nil, err
	}
	var rj struct {
		Kept        int     `json:"kept"`
		MeanN       float64 `json:"mean_n"`
		Convergence struct {
			N struct{ RHat, ESS float64 } `json:"n"`
		} `json:"convergence"`
		Image struct {
			Width, Height int
		} `json:"image"`
	}
	if err := json.Unmarshal(b, &rj); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "run.json"), err)
	}
	info := &runInfo{RHatN: rj.Convergence.N.RHat, ESSN: rj.Convergence.N.ESS, MeanN: rj.MeanN, Kept: rj.Kept}
	_, rows, err := catalogue.ReadSamples(filepath.Join(dir, "samples.parquet"))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		info.Background += r.Background / float64(len(rows))
		// ln L = −½ Σ w (d − m)², so χ² per pixel is −2 ln L / pixels.
		info.ChiSq += -2 * r.LogLike / float64(rj.Image.Width*rj.Image.Height) / float64(len(rows))
	}
	return info, nil
}

// scoreCatalogue scores a text catalogue (x y flux in cutout pixels and ADU).
func scoreCatalogue(key, label, path string, t truths, u *usage) (*result, error) {
	x, y, f, err := catalogue.ReadXYFlux(path)
	if err != nil {
		return nil, err
	}
	r := &result{key: key, label: label, what: "catalogue", use: u}
	r.starnet, r.bright, r.pcat, err = scoreBoth(t, []catalogue.Sample{{X: x, Y: y, Flux: f}})
	return r, err
}

// scoreDAOPHOT scores An et al. (2008)'s DAOPHOT stars (not run here).
func scoreDAOPHOT(in inputs, t truths) (*result, error) {
	d, err := m2.ReadDAOPHOT(in.daophot)
	if err != nil {
		return nil, err
	}
	s := catalogue.Sample{X: d.X, Y: d.Y}
	for _, m := range d.Mag {
		s.Flux = append(s.Flux, math.Pow(10, (m2.ZeroPointR-m)/2.5))
	}
	r := &result{key: "daophot", label: "DAOPHOT (An et al. 2008), scored here", what: "catalogue"}
	r.starnet, r.bright, r.pcat, err = scoreBoth(t, []catalogue.Sample{s})
	return r, err
}

// inPlots reports whether a result gets a line in the plots: the main condensed catalogue of
// each probcat run, the ensemble of the first, and every baseline.
func inPlots(r *result, first string) bool {
	return r.run == nil || r.cut == prevalenceCut || (r.cut == 0 && r.key == first)
}

func writePlots(out string, results []*result) error {
	var sn, pc []figure.Labelled
	for _, r := range results {
		if !inPlots(r, results[0].key) {
			continue
		}
		l := r.label
		if r.run != nil {
			l = shortName(r.key) + ", " + shortWhat(r)
		}
		sn = append(sn, figure.Labelled{Label: l, Score: r.starnet})
		pc = append(pc, figure.Labelled{Label: l, Score: r.pcat})
	}
	if err := figure.PlotScores(filepath.Join(out, "m2_starnet.png"), sn, nil, nil); err != nil {
		return err
	}
	return figure.PlotScores(filepath.Join(out, "m2_pcat.png"), pc,
		[]score.Curve{m2.PCATCompleteness}, []score.Curve{m2.PCATPurity})
}

// shortName names a probcat run in plot legends and table headers.
func shortName(key string) string {
	switch key {
	case "a-fixed":
		return "probcat (a) sky 179"
	case "a-sampled":
		return "probcat (a) sky sampled"
	case "b-sdss":
		return "probcat (b) SDSS"
	}
	return "probcat " + key
}

func shortWhat(r *result) string {
	if r.cut > 0 {
		return fmt.Sprintf("condensed ≥ %.1f", r.cut)
	}
	return r.what
}
