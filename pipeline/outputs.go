package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
	"github.com/probcat/probcat/sampler"
	"github.com/probcat/probcat/survey"
)

// Output file names inside the job's folder.
const (
	EnsembleFile    = "ensemble.parquet"
	SamplesFile     = "samples.parquet"
	CondensedFITS   = "condensed.fits"
	CondensedParq   = "condensed.parquet"
	ModelFile       = "model.fits"
	DiagnosticsFile = "diagnostics.png"
	RunFile         = "run.json"
	CountsFile      = "counts.parquet"
)

// loadRecords reads every chain's kept samples in (chain, sample) order.
func loadRecords(dir string, chains int) ([][]record, error) {
	out := make([][]record, chains)
	for c := range out {
		_, logPath, _ := chainPaths(dir, c)
		if err := readLog(logPath, func(r *record) error {
			out[c] = append(out[c], *r)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// frameDerived gives the magnitude and sky columns for positions in the parent frame.
func frameDerived(im *model.Image) catalogue.Derived {
	var d catalogue.Derived
	if im.HasZeroPoint {
		d.Magnitude = im.Magnitude
	}
	if im.WCS != nil {
		d.Sky = im.WCS.PixelToSky
	}
	return d
}

// writeOutputs turns the chains' sample logs into the job's output files. Files are first
// written in a staging folder and moved into place together at the end.
func writeOutputs(job *Job, kind model.SourceKind, ckdir string, start time.Time, dec *decision, burn []sampler.Trace) (*Summary, error) {
	cfg := job.Config
	recs, err := loadRecords(ckdir, cfg.Chains)
	if err != nil {
		return nil, err
	}
	stage := filepath.Join(ckdir, "staging")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	im := job.Image
	x0, y0 := float64(im.X0), float64(im.Y0)
	d := frameDerived(im)
	d.Kinds = KindsOf(kind)
	d.Bands = job.catalogueBands()
	mixed, _ := kind.(*model.Mixed)
	meta := map[string]string{"probcat.version": Version(), "probcat.seed": fmt.Sprint(cfg.Seed)}

	// Ensemble and per-sample statistics.
	ens, err := catalogue.CreateEnsemble(filepath.Join(stage, EnsembleFile), d, meta)
	if err != nil {
		return nil, err
	}
	moves := make([]string, sampler.NumMoveTypes)
	for m := range moves {
		moves[m] = sampler.MoveType(m).String()
	}
	sw, err := catalogue.CreateSamples(filepath.Join(stage, SamplesFile), moves, meta)
	if err != nil {
		ens.Abort()
		return nil, err
	}
	var all []catalogue.Sample
	for _, rs := range recs {
		for i := range rs {
			r := &rs[i]
			s := catalogue.Sample{Chain: r.Chain, Index: r.Index, X: shift(r.X, x0), Y: shift(r.Y, y0), Flux: r.Flux}
			if mixed != nil {
				per := len(kind.Params()) - 1
				kindColumns(&s, mixed, len(r.X), func(i int) []float64 { return r.Params[i*per : (i+1)*per] })
			}
			if d.Bands != nil {
				s.Bands = bandFluxes(r, len(job.Bands))
			}
			if err := ens.Write(&s); err != nil {
				ens.Abort()
				sw.Abort()
				return nil, err
			}
			all = append(all, s)
			if err := sw.Write(catalogue.SampleStats{Chain: r.Chain, Index: r.Index, N: len(r.X),
				LogLike: r.LogLike, LogPrior: r.LogPrior, Background: r.Background, TotalFlux: r.totalFlux(),
				Hyper: r.Hyper, Acceptance: r.Accept[:]}); err != nil {
				ens.Abort()
				sw.Abort()
				return nil, err
			}
		}
	}
	if err := ens.Close(); err != nil {
		sw.Abort()
		return nil, err
	}
	if err := sw.Close(); err != nil {
		return nil, err
	}

	// Condensed catalogue.
	cond, err := catalogue.Condense(all, job.CondenseRadius, 0)
	if err != nil {
		return nil, err
	}
	if err := catalogue.WriteCondensedParquet(filepath.Join(stage, CondensedParq), cond, d, meta); err != nil {
		return nil, err
	}
	hdr := fits.NewHeader()
	hdr.Set("PCVERS", Version(), "probcat version")
	hdr.Set("PCSEED", int64(cfg.Seed), "probcat seed")
	hdr.Set("CONDRAD", job.CondenseRadius, "link radius, pixels")
	hdr.Set("MINPREV", 0.0, "minimum prevalence kept (all clusters)")
	if err := catalogue.WriteCondensedFITS(filepath.Join(stage, CondensedFITS), cond, d, hdr); err != nil {
		return nil, err
	}
	nCat, err := WriteCatalogue(stage, cond, d, meta, hdr, job.MinPrevalence)
	if err != nil {
		return nil, err
	}

	// Number counts, with the detection limit from the condensed catalogue.
	binning := CountsBinning(d)
	counts := catalogue.CountSamples(all, binning)
	if err := WriteCounts(stage, counts, binning, cond, meta); err != nil {
		return nil, err
	}

	// Posterior-mean model and residual.
	mean, sky := meanModel(job, kind, recs)
	if err := writeModel(filepath.Join(stage, ModelFile), im, mean, sky); err != nil {
		return nil, err
	}

	// Convergence diagnostics of the kept samples and of the check that ended burn-in.
	kept, sumN := 0, 0.0
	traces := make([]sampler.Trace, len(recs))
	for c, rs := range recs {
		for i := range rs {
			traces[c].Add(len(rs[i].X), rs[i].LogLike, rs[i].totalFlux(), rs[i].Background)
			sumN += float64(len(rs[i].X))
			kept++
		}
	}
	keptDiag := sampler.Diagnose(traces, 0, cfg.Samples)
	from, to := checkWindow(dec.burnIn)
	check := sampler.Diagnose(burn, from, to)
	sum := &Summary{Kept: kept, MeanN: sumN / float64(max(kept, 1)), RHatN: keptDiag[0].RHat, Condensed: len(cond),
		BurnIn: dec.burnIn, Converged: dec.converged, Check: check}
	sum.Catalogue = nCat
	maxSources, capRefusals := capRecord(cfg.MaxSources, recs)
	sum.CapRefusals = capRefusals

	if !job.NoPlots {
		if err := plotDiagnostics(filepath.Join(stage, DiagnosticsFile), recs, im, mean, counts, sky); err != nil {
			return nil, err
		}
	}
	rec := map[string]any{
		"probcat_version": Version(),
		"go_version":      runtime.Version(),
		"kernel":          render.Path(),
		"settings":        job.Settings,
		"seed":            cfg.Seed,
		"sampler":         configRecord(cfg),
		"flux_prior":      FluxPriorRecord(job.Flux, cfg.SampleFluxPrior, cfg.MaxSlope),
		"image":           imageRecord(im),
		"psf": map[string]any{"size": job.PSF.Size(), "oversample": job.PSF.Centre().Factor,
			"cells": []int{job.PSF.NX, job.PSF.NY}, "cell_size": nullable(float64(job.PSF.Cell), job.PSF.NX*job.PSF.NY > 1)},
		"psf_refinement": job.refinementRecord(),
		"kept":           kept,
		"mean_n":         sum.MeanN,
		"condensed":      len(cond),
		"convergence": Convergence{Converged: dec.converged, BurnIn: dec.burnIn, Diags: NewDiags(keptDiag),
			Check: &Check{From: from, To: to, Diags: NewDiags(check)}, Hyper: hyperDiags(recs)},
		"timings": map[string]any{"started": start.UTC().Format(time.RFC3339), "wall_seconds": time.Since(start).Seconds()},
	}
	rec["max_sources"] = maxSources
	if job.multiBand() {
		rec["bands"] = job.bandsRecord()
	}
	if m := mixed; m != nil {
		kinds := map[string]any{}
		for i, k := range m.Kinds {
			kinds[k.Name()] = map[string]any{"index": i, "prior_weight": m.Weights[i], "params": k.Params()}
		}
		g := job.Kinds
		rec["source_kinds"] = map[string]any{"kinds": kinds, "names": g.Names, "re_min": g.ReMin, "re_max": g.ReMax}
	}
	rec["catalogue"] = map[string]any{"min_prevalence": job.MinPrevalence, "sources": nCat}
	rec["counts"] = CountsRecord(counts)
	rec["background"] = sky.record(cfg.SampleBackground)
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(stage, RunFile), append(js, '\n')); err != nil {
		return nil, err
	}

	if job.refined != nil && job.refined.Report.Refined {
		if err := job.refined.psf.Centre().WriteFITS(filepath.Join(stage, PSFFile)); err != nil {
			return nil, err
		}
	}

	// Move everything into place.
	for _, f := range []string{EnsembleFile, SamplesFile, CondensedParq, CondensedFITS, CatalogueParq, CatalogueFITS, CountsFile, ModelFile, DiagnosticsFile, RunFile, PSFFile} {
		src := filepath.Join(stage, f)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := os.Rename(src, filepath.Join(job.OutDir, f)); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

func shift(v []float64, d float64) []float64 {
	if d == 0 {
		return v
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x + d
	}
	return out
}

// meanModel renders every kept sample and returns the mean source model (counts above the
// background) and the posterior of the background.
func meanModel(job *Job, kind model.SourceKind, recs [][]record) ([]float32, *skyPosterior) {
	im := job.Image
	acc := make([]float32, im.Width*im.Height)
	box := model.Box{Pix: acc, Stride: im.Width, W: im.Width, H: im.Height}
	n := 0
	extra := len(kind.Params()) - 1
	var params []float64
	for _, rs := range recs {
		for i := range rs {
			r := &rs[i]
			for k := range r.X {
				params = append(append(params[:0], r.Flux[k]), r.Params[k*extra:(k+1)*extra]...)
				kind.Render(box, r.X[k], r.Y[k], params, 1)
			}
			n++
		}
	}
	if n > 0 {
		for i := range acc {
			acc[i] /= float32(n)
		}
	}
	return acc, newSkyPosterior(job, recs)
}

// writeModel writes the posterior-mean model image (counts, bias and background included),
// the residual data − model, and the residual in units of σ; with a background that varies
// also the posterior-mean background (counts above the bias).
func writeModel(path string, im *model.Image, mean []float32, sky *skyPosterior) error {
	n := len(mean)
	mod := make([]float32, n)
	res := make([]float32, n)
	chi := make([]float32, n)
	bg := sky.mean
	w := im.InverseVariance(sky.weightModel(im, mean))
	for i := range mean {
		mod[i] = float32(im.Bias+sky.at(i)) + mean[i]
		res[i] = im.Pix[i] - mod[i]
		chi[i] = res[i] * float32(math.Sqrt(float64(w[i])))
		if im.Mask != nil && im.Mask[i] {
			res[i], chi[i] = float32(math.NaN()), float32(math.NaN())
		}
	}
	h := survey.Cards(im)
	h.Set("BKG", bg, "posterior-mean sky level above the bias, counts")
	var bgPix []float32
	order := 0
	if sky.pix != nil {
		bgPix, order = float32s(sky.pix), sky.basis.Order
	}
	return fits.Write(path, ModelHDUs(h, im.Width, im.Height, mod, res, chi, bgPix, order, "")...)
}

// ModelHDUs returns model.fits' extensions, w×h images: MODEL (header hdr), RESIDUAL, CHI
// and, when bg is not nil, BACKGROUND, the background of the given order (note qualifies its
// comments, e.g. for tiles' own backgrounds), whose order hdr also records.
func ModelHDUs(hdr *fits.Header, w, h int, mod, res, chi, bg []float32, order int, note string) []fits.HDU {
	rh := fits.NewHeader()
	rh.Set("BUNIT", "counts", "data minus posterior-mean model")
	ch := fits.NewHeader()
	ch.Set("BUNIT", "sigma", "residual divided by the noise")
	hdus := []fits.HDU{
		fits.ImageHDU{Name: "MODEL", Header: hdr, Width: w, Height: h, Data: mod},
		fits.ImageHDU{Name: "RESIDUAL", Header: rh, Width: w, Height: h, Data: res},
		fits.ImageHDU{Name: "CHI", Header: ch, Width: w, Height: h, Data: chi}}
	if bg != nil {
		hdr.Set(BackgroundOrderCard, int64(order), "order of the background polynomial"+note)
		bh := fits.NewHeader()
		bh.Set("BUNIT", "counts", "posterior-mean background above the bias"+note)
		bh.Set(BackgroundOrderCard, int64(order), "order of the background polynomial"+note)
		hdus = append(hdus, fits.ImageHDU{Name: BackgroundHDU, Header: bh, Width: w, Height: h, Data: bg})
	}
	return hdus
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// FluxPriorRecord is run.json's "flux_prior": the flux function's kind, f_min and its
// parameters (the starting values when sampled) and, when they are sampled, their
// hyperpriors (see sampler's fluxPriorStep).
func FluxPriorRecord(fp model.FluxPrior, sampled bool, maxSlope float64) map[string]any {
	rec := map[string]any{"kind": "powerlaw", "min": fp.Min, "slope": fp.Slope, "sampled": sampled}
	hp := fmt.Sprintf("slope - 1 ~ Gamma(%d, %d) truncated to (0, %g]", sampler.SlopeShape, sampler.SlopeShape, maxSlope-1)
	if fp.Broken() {
		rec["kind"], rec["break"], rec["slope_bright"] = "broken", fp.Break, fp.SlopeBright
		hp = fmt.Sprintf("slope (below the break) flat on [-%g, %g], slope_bright flat on (1, %g], break log-uniform on (min, %g min]",
			maxSlope, maxSlope, maxSlope, sampler.MaxBreakRatio)
	}
	if sampled {
		rec["hyperprior"] = hp
	}
	return rec
}

func configRecord(c sampler.Config) map[string]any {
	return map[string]any{
		"proposals_per_sample": c.Proposals, "burn_in": c.BurnIn, "max_burn_in": c.MaxBurnIn, "samples": c.Samples,
		"chains": c.Chains, "threads": c.Threads, "region_size": c.RegionSize,
		"weights":     map[string]float64{"move": c.Weights.Move, "birth_death": c.Weights.BirthDeath, "split_merge": c.Weights.SplitMerge},
		"count_prior": c.CountPrior.String(), "sample_background": c.SampleBackground, "background_order": c.BackgroundOrder,
		"sample_flux_prior": c.SampleFluxPrior, "max_slope": c.MaxSlope, "residual_births": c.ResidualBirths,
	}
}

func nullable(v float64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

// jsonNum maps non-finite values (which JSON cannot hold) to -1.
func jsonNum(v float64) float64 {
	if !finite(v) {
		return -1
	}
	return v
}

// Version returns probcat's version: the module version when built from a tagged module,
// else the VCS revision, else "devel".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}

// imageRecord is run.json's record of an image: its size, offset in the parent frame, noise
// constants and zero point.
func imageRecord(im *model.Image) map[string]any {
	return map[string]any{"width": im.Width, "height": im.Height, "gain": im.Gain, "bias": im.Bias,
		"background": im.Background, "read_noise": im.ReadNoise, "model_error": im.ModelError,
		"model_error_radius": im.ModelErrorRadius, "noise": im.Noise.String(),
		"x0": im.X0, "y0": im.Y0, "zero_point": nullable(im.ZeroPoint, im.HasZeroPoint)}
}
