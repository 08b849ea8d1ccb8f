package tile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/fits"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/sampler"
	"github.com/probcat/probcat/survey"
)

// Missing lists the tiles of the plan that have not finished.
func (m *Manifest) Missing(planDir string) []int {
	var out []int
	for i := range m.Tiles {
		if !Done(planDir, i) {
			out = append(out, i)
		}
	}
	return out
}

// Merge stitches the finished tiles of the plan in planDir into the files `probcat sample`
// writes, in outDir: ensemble.parquet (frame sample k of chain c is the union of sample k of
// chain c of every tile, each restricted to its core, streamed so that no more than one frame
// sample is held in memory), samples.parquet (per frame sample: N of the union, sums of the
// tiles' ln L and ln prior, the core-area-weighted mean background and the mean acceptance
// rates), the condensed catalogues (the tiles' condensed sources in their cores, with a source
// that straddles a seam taken once: see stitchCondensed) and the catalogue files cut from
// them at the job's MinPrevalence (pipeline.WriteCatalogue), counts.parquet (the number
// counts of the merged frame samples, counted as they stream by, with the detection limit of
// the merged condensed catalogue), model.fits (cores stitched), diagnostics.png and run.json.
// job is the frame's job (for the magnitude and sky columns and the settings). Nothing is
// written unless every tile is done; files appear together at the end.
func Merge(m *Manifest, planDir string, job *pipeline.Job, outDir string) (_ *pipeline.Summary, err error) {
	start := time.Now()
	if miss := m.Missing(planDir); len(miss) > 0 {
		list := make([]string, 0, 5)
		for _, i := range miss[:min(len(miss), 5)] {
			list = append(list, strconv.Itoa(i))
		}
		more := ""
		if len(miss) > 5 {
			more = ", …"
		}
		return nil, fmt.Errorf("%s: %d of %d tiles have not finished (tile %s%s); run probcat run-tile %s --index %d",
			Dir(planDir, miss[0]), len(miss), len(m.Tiles), strings.Join(list, ", "), more, planDir, miss[0])
	}
	if _, err := os.Stat(outDir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				os.Remove(outDir) // only if still empty
			}
		}()
	}
	stage := filepath.Join(outDir, ".probcat-merge")
	if err := os.RemoveAll(stage); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	mg := &merger{m: m, planDir: planDir, job: job, stage: stage}
	if len(m.Tiles) > 0 {
		// catalogues of mixed kinds carry them through: tile 0's ensemble says which
		if mg.kinds, err = catalogue.ReadKinds(filepath.Join(Dir(planDir, 0), pipeline.EnsembleFile)); err != nil {
			return nil, err
		}
	}
	sum, err := mg.run()
	if err != nil {
		return nil, err
	}
	if err := mg.writeRun(start); err != nil {
		return nil, err
	}
	for _, f := range []string{pipeline.EnsembleFile, pipeline.SamplesFile, pipeline.CondensedParq,
		pipeline.CondensedFITS, pipeline.CatalogueParq, pipeline.CatalogueFITS, pipeline.CountsFile, pipeline.ModelFile,
		pipeline.DiagnosticsFile, pipeline.RunFile} {
		src := filepath.Join(stage, f)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := os.Rename(src, filepath.Join(outDir, f)); err != nil {
			return nil, err
		}
	}
	sum.Wall = time.Since(start)
	return sum, nil
}

type merger struct {
	m       *Manifest
	planDir string
	job     *pipeline.Job
	stage   string
	kinds   *catalogue.Kinds // the sources' kinds, for runs of mixed kinds

	nSeries, fSeries, lSeries, bSeries [][]float64
	hist                               figure.FluxBins
	counter                            *catalogue.Counter
	cond                               []catalogue.CondensedSource
	counts                             *catalogue.Counts
	chi                                []float32
	sum                                pipeline.Summary
	meanBg                             float64
}

// run writes the merged files. The ensemble (a stream through every tile's samples) and the
// condensed catalogue and model (one pass over the tiles' small files) touch different fields
// of mg and different files, so they run concurrently; the diagnostics need both.
func (mg *merger) run() (*pipeline.Summary, error) {
	ensErr := make(chan error, 1)
	go func() { ensErr <- mg.ensemble() }()
	err := mg.condensed()
	if err == nil {
		err = mg.model()
	}
	if e := <-ensErr; e != nil {
		return nil, e // the ensemble's error first, as when the steps ran in turn
	}
	if err != nil {
		return nil, err
	}
	mg.counts = mg.counter.Counts()
	if err := pipeline.WriteCounts(mg.stage, mg.counts, pipeline.CountsBinning(mg.derived()), mg.cond, mg.meta()); err != nil {
		return nil, err
	}
	im := mg.job.Image
	// The frame's diagnostics as probcat sample draws them, ln L summed over tiles and the χ
	// map in blocks of at most 400 a side.
	diag := figure.Diagnostics{
		NTitle: "number of sources (whole image)", LogLikeTitle: "log-likelihood (sum over tiles)",
		N: mg.nSeries, LogLike: mg.lSeries,
		Residual: figure.BlockResidual(mg.chi, im.Width, im.Height, 400),
		Flux:     &mg.hist,
		Counts:   mg.counts,
	}
	if err := figure.PlotDiagnostics(filepath.Join(mg.stage, pipeline.DiagnosticsFile), diag); err != nil {
		return nil, err
	}
	return &mg.sum, nil
}

func (mg *merger) derived() catalogue.Derived {
	var d catalogue.Derived
	im := mg.job.Image
	if im.HasZeroPoint {
		d.Magnitude = im.Magnitude
	}
	if im.WCS != nil {
		d.Sky = im.WCS.PixelToSky
	}
	d.Kinds = mg.kinds
	return d
}

func (mg *merger) meta() map[string]string {
	return map[string]string{"probcat.version": pipeline.Version(), "probcat.seed": fmt.Sprint(mg.m.Seed),
		"probcat.tile": fmt.Sprint(mg.m.Grid.Size)}
}

// ensemble writes ensemble.parquet and samples.parquet.
func (mg *merger) ensemble() error {
	m := mg.m
	ntile := len(m.Tiles)
	streams := make([]*ensembleStream, ntile)
	defer func() {
		for _, s := range streams {
			if s != nil {
				s.close()
			}
		}
	}()
	stats := make([][]catalogue.SampleStats, ntile)
	var moves []string
	want := m.Chains * m.Samples
	for i := range m.Tiles {
		dir := Dir(mg.planDir, i)
		s, err := openEnsemble(filepath.Join(dir, pipeline.EnsembleFile))
		if err != nil {
			return err
		}
		streams[i] = s
		if !reflect.DeepEqual(s.kinds, mg.kinds) {
			return fmt.Errorf("%s: source kinds %+v differ from tile 0's %+v", s.path, s.kinds, mg.kinds)
		}
		if got, exp := s.meta["probcat.seed"], fmt.Sprint(Seed(m.Seed, i)); got != exp {
			return fmt.Errorf("%s: made with seed %s, but tile %d of this plan has seed %s (a tile of another plan?)", s.path, got, i, exp)
		}
		mv, rows, err := catalogue.ReadSamples(filepath.Join(dir, pipeline.SamplesFile))
		if err != nil {
			return err
		}
		if len(rows) != want {
			return fmt.Errorf("%s: %d samples, want %d chains × %d", filepath.Join(dir, pipeline.SamplesFile), len(rows), m.Chains, m.Samples)
		}
		for k, r := range rows {
			if r.Chain != k/m.Samples || r.Index != k%m.Samples {
				return fmt.Errorf("%s: row %d is sample %d of chain %d, out of order", filepath.Join(dir, pipeline.SamplesFile), k, r.Index, r.Chain)
			}
		}
		if i == 0 {
			moves = mv
		} else if strings.Join(mv, ",") != strings.Join(moves, ",") {
			return fmt.Errorf("%s: move types %v differ from tile 0's %v", filepath.Join(dir, pipeline.SamplesFile), mv, moves)
		}
		stats[i] = rows
	}
	ens, err := catalogue.CreateEnsemble(filepath.Join(mg.stage, pipeline.EnsembleFile), mg.derived(), mg.meta())
	if err != nil {
		return err
	}
	sw, err := catalogue.CreateSamples(filepath.Join(mg.stage, pipeline.SamplesFile), moves, mg.meta())
	if err != nil {
		ens.Abort()
		return err
	}
	fail := func(err error) error {
		ens.Abort()
		sw.Abort()
		return err
	}
	mg.nSeries = make([][]float64, m.Chains)
	mg.fSeries = make([][]float64, m.Chains)
	mg.lSeries = make([][]float64, m.Chains)
	mg.bSeries = make([][]float64, m.Chains)
	mg.counter = catalogue.NewCounter(pipeline.CountsBinning(mg.derived()))
	// Frame samples are assembled from the tiles' streams in one goroutine and encoded into
	// the two files in this one, a few samples apart: the two halves cost about the same.
	free := make(chan *frameSample, 3)
	for range cap(free) {
		free <- &frameSample{st: catalogue.SampleStats{Acceptance: make([]float64, len(moves))}}
	}
	full := make(chan *frameSample, cap(free))
	stop := make(chan struct{})
	var asmErr error
	go func() {
		defer close(full)
		asmErr = mg.assemble(streams, stats, free, full, stop)
	}()
	sumN, bgSum := 0.0, 0.0
	var werr error
	for fs := range full {
		if werr == nil {
			if werr = ens.Write(&fs.s); werr == nil {
				werr = sw.Write(fs.st)
			}
			if werr != nil {
				close(stop)
			}
		}
		c := fs.s.Chain
		mg.nSeries[c] = append(mg.nSeries[c], float64(fs.st.N))
		mg.fSeries[c] = append(mg.fSeries[c], fs.flux)
		mg.lSeries[c] = append(mg.lSeries[c], fs.st.LogLike)
		mg.bSeries[c] = append(mg.bSeries[c], fs.st.Background)
		mg.counter.Add(fs.s.Flux)
		sumN += float64(fs.st.N)
		bgSum += fs.st.Background
		free <- fs
	}
	if werr == nil {
		werr = asmErr
	}
	if werr != nil {
		return fail(werr)
	}
	for _, s := range streams {
		if err := s.finish(); err != nil {
			return fail(err)
		}
	}
	if err := ens.Close(); err != nil {
		sw.Abort()
		return err
	}
	if err := sw.Close(); err != nil {
		return err
	}
	mg.sum.Kept = want
	mg.sum.MeanN = sumN / float64(want)
	mg.sum.RHatN = sampler.SplitRHat(mg.nSeries)
	mg.meanBg = bgSum / float64(want)
	return nil
}

// frameSample is one frame sample on its way from assemble to the files.
type frameSample struct {
	s    catalogue.Sample
	st   catalogue.SampleStats
	flux float64
}

// assemble builds the frame samples in order, chain by chain, from the tiles' streams (each
// source from the tile whose core owns it) and statistics, taking buffers from free and
// sending them on full, until done or until stop is closed.
func (mg *merger) assemble(streams []*ensembleStream, stats [][]catalogue.SampleStats, free <-chan *frameSample, full chan<- *frameSample, stop <-chan struct{}) error {
	m := mg.m
	im := mg.job.Image
	x0, y0 := float64(im.X0), float64(im.Y0)
	ntile := len(m.Tiles)
	area := make([]float64, ntile)
	totalArea := 0.0
	for i, t := range m.Tiles {
		area[i] = float64(t.Core.Dx() * t.Core.Dy())
		totalArea += area[i]
	}
	for c := 0; c < m.Chains; c++ {
		for k := 0; k < m.Samples; k++ {
			select {
			case <-stop:
				return nil
			default:
			}
			fs := <-free // the writer always hands buffers back
			frame := &fs.s
			*frame = catalogue.Sample{Chain: c, Index: k, X: frame.X[:0], Y: frame.Y[:0], Flux: frame.Flux[:0],
				Kind: frame.Kind[:0], Params: frame.Params}
			if mg.kinds != nil {
				if frame.Params == nil {
					frame.Params = make([][]float64, len(mg.kinds.Params))
				}
				for j := range frame.Params {
					frame.Params[j] = frame.Params[j][:0]
				}
			} else {
				frame.Kind, frame.Params = nil, nil
			}
			acc := fs.st.Acceptance
			fs.st = catalogue.SampleStats{Chain: c, Index: k, Acceptance: acc, Hyper: catalogue.NoHyper()}
			clear(acc)
			fs.flux = 0
			for i := range m.Tiles {
				t := &m.Tiles[i]
				err := streams[i].take(c, k, func(x, y, f float64, kind int32, params []float64) {
					if t.Owns(x-x0, y-y0) {
						frame.X, frame.Y, frame.Flux = append(frame.X, x), append(frame.Y, y), append(frame.Flux, f)
						if mg.kinds != nil {
							frame.Kind = append(frame.Kind, kind)
							for j, p := range params {
								frame.Params[j] = append(frame.Params[j], p)
							}
						}
						fs.flux += f
						mg.hist.Add(f)
					}
				})
				if err != nil {
					return err
				}
				r := &stats[i][c*m.Samples+k]
				fs.st.LogLike += r.LogLike
				fs.st.LogPrior += r.LogPrior
				fs.st.Background += r.Background * area[i] / totalArea
				for j := range acc {
					acc[j] += r.Acceptance[j] / float64(ntile)
				}
			}
			fs.st.N = len(frame.X)
			fs.st.TotalFlux = fs.flux
			full <- fs
		}
	}
	return nil
}

// condensed writes the union of the tiles' condensed catalogues, each restricted to its core.
func (mg *merger) condensed() error {
	im := mg.job.Image
	x0, y0 := float64(im.X0), float64(im.Y0)
	cats := make([][]catalogue.CondensedSource, len(mg.m.Tiles))
	for i := range mg.m.Tiles {
		cs, err := catalogue.ReadCondensedParquet(filepath.Join(Dir(mg.planDir, i), pipeline.CondensedParq))
		if err != nil {
			return err
		}
		cats[i] = cs
	}
	all := stitchCondensed(mg.m.Tiles, cats, mg.job.CondenseRadius, x0, y0)
	mg.cond = all
	d := mg.derived()
	if err := catalogue.WriteCondensedParquet(filepath.Join(mg.stage, pipeline.CondensedParq), all, d, mg.meta()); err != nil {
		return err
	}
	hdr := fits.NewHeader()
	hdr.Set("PCVERS", pipeline.Version(), "probcat version")
	hdr.Set("PCSEED", int64(mg.m.Seed), "probcat seed")
	hdr.Set("PCTILE", int64(mg.m.Grid.Size), "tile size, pixels")
	hdr.Set("CONDRAD", mg.job.CondenseRadius, "link radius, pixels")
	hdr.Set("MINPREV", 0.0, "minimum prevalence kept (all clusters)")
	mg.sum.Condensed = len(all)
	if err := catalogue.WriteCondensedFITS(filepath.Join(mg.stage, pipeline.CondensedFITS), all, d, hdr); err != nil {
		return err
	}
	n, err := pipeline.WriteCatalogue(mg.stage, all, d, mg.meta(), hdr, mg.job.MinPrevalence)
	mg.sum.Catalogue = n
	return err
}

// model stitches the cores of the tiles' model, residual and χ images, and of their
// background images when the background varies (each tile's polynomial is its own, over its
// outer box, so the stitched background may step at the seams).
func (mg *merger) model() error {
	im := mg.job.Image
	w, h := im.Width, im.Height
	order := mg.job.Config.BackgroundOrder
	planes := [][]float32{make([]float32, w*h), make([]float32, w*h), make([]float32, w*h)}
	if order > 0 {
		planes = append(planes, make([]float32, w*h))
	}
	bg, area := 0.0, 0.0
	for i := range mg.m.Tiles {
		t := &mg.m.Tiles[i]
		path := filepath.Join(Dir(mg.planDir, i), pipeline.ModelFile)
		f, err := fits.Open(path)
		if err != nil {
			return err
		}
		for p := range planes {
			fi, err := f.Image(p)
			if err != nil {
				return err
			}
			if fi.Width != t.Outer.Dx() || fi.Height != t.Outer.Dy() {
				return fmt.Errorf("%s: HDU %d is %d×%d, the tile's box is %d×%d", path, p, fi.Width, fi.Height, t.Outer.Dx(), t.Outer.Dy())
			}
			if p == 0 {
				if b, err := fi.Header.Float(survey.CardBkg); err == nil {
					a := float64(t.Core.Dx() * t.Core.Dy())
					bg += b * a
					area += a
				}
			}
			for y := t.Core.Y0; y < t.Core.Y1; y++ {
				src := fi.Pix[(y-t.Outer.Y0)*fi.Width+t.Core.X0-t.Outer.X0:]
				copy(planes[p][y*w+t.Core.X0:y*w+t.Core.X1], src[:t.Core.Dx()])
			}
		}
	}
	mg.chi = planes[2]
	hdr := survey.Cards(im)
	if area > 0 {
		hdr.Set(survey.CardBkg, bg/area, "posterior-mean sky level above the bias, counts (mean over tiles)")
	}
	var sky []float32
	if order > 0 {
		sky = planes[3]
	}
	hdus := pipeline.ModelHDUs(hdr, w, h, planes[0], planes[1], planes[2], sky, order, ", each tile's own")
	return fits.Write(filepath.Join(mg.stage, pipeline.ModelFile), hdus...)
}

// writeRun writes run.json. Its convergence record lists every tile's (from the tile's own
// run.json) and is converged only if every tile is.
func (mg *merger) writeRun(start time.Time) (err error) {
	m, job := mg.m, mg.job
	cfg := job.Config
	tiles := make([]map[string]any, len(m.Tiles))
	conv := pipeline.Convergence{Converged: true, Diags: pipeline.NewDiags(sampler.Convergence{
		sampler.DiagnoseSeries(mg.nSeries), sampler.DiagnoseSeries(mg.lSeries),
		sampler.DiagnoseSeries(mg.fSeries), sampler.DiagnoseSeries(mg.bSeries)})}
	mg.sum.Converged, mg.sum.Unconverged = true, nil
	for i, t := range m.Tiles {
		tiles[i] = map[string]any{"index": i, "core": t.Core.String(), "outer": t.Outer.String(), "seed": Seed(m.Seed, i)}
		tc, err := pipeline.ReadConvergence(filepath.Join(Dir(mg.planDir, i), pipeline.RunFile))
		if err != nil {
			return err
		}
		conv.Tiles = append(conv.Tiles, tc.TileEntry(i))
		conv.BurnIn = max(conv.BurnIn, tc.BurnIn)
		if !tc.Converged {
			conv.Converged = false
			mg.sum.Unconverged = append(mg.sum.Unconverged, i)
		}
	}
	mg.sum.Converged, mg.sum.BurnIn = conv.Converged, conv.BurnIn
	rec := map[string]any{
		"probcat_version": pipeline.Version(),
		"go_version":      runtime.Version(),
		"settings":        job.Settings,
		"seed":            m.Seed,
		"sampler": map[string]any{"proposals_per_sample": cfg.Proposals, "burn_in": cfg.BurnIn, "max_burn_in": cfg.MaxBurnIn,
			"samples": cfg.Samples, "chains": cfg.Chains, "region_size": cfg.RegionSize,
			"count_prior": cfg.CountPrior.String(), "sample_background": cfg.SampleBackground, "background_order": cfg.BackgroundOrder,
			"sample_flux_prior": cfg.SampleFluxPrior},
		"flux_prior":      pipeline.FluxPriorRecord(job.Flux, cfg.SampleFluxPrior, cfg.MaxSlope),
		"image":           m.Image,
		"tiling":          map[string]any{"size": m.Grid.Size, "margin": m.Grid.Margin, "offset": []int{m.Grid.OffsetX, m.Grid.OffsetY}, "tiles": tiles},
		"kept":            mg.sum.Kept,
		"mean_n":          mg.sum.MeanN,
		"mean_background": mg.meanBg,
		"condensed":       mg.sum.Condensed,
		"catalogue":       map[string]any{"min_prevalence": job.MinPrevalence, "sources": mg.sum.Catalogue},
		"counts":          pipeline.CountsRecord(mg.counts),
		"convergence":     conv,
		"timings":         map[string]any{"merge_started": start.UTC().Format(time.RFC3339), "merge_seconds": time.Since(start).Seconds()},
	}
	if rec["max_sources"], err = mg.tileRecords(); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(mg.stage, pipeline.RunFile)
	return os.WriteFile(path, append(js, '\n'), 0o644)
}
