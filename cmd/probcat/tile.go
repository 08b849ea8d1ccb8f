package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/tile"
)

func init() {
	register(&command{
		name: "plan",
		summary: `Plan a tiled run of an image for many machines (or many jobs of a scheduler).
Takes the IMAGE (or --sdss) and the flags of probcat sample, cuts the image into cores of
--tile pixels plus margins for the PSF, and writes DIR/manifest.json. Then run
probcat run-tile DIR --index I for every tile I (any order, any machine sharing DIR; the index
may come from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX instead), and probcat merge DIR.`,
		usage: "IMAGE --out DIR [--tile N] [sample flags]  |  --sdss FRAME --psfield PSFIELD --out DIR [--tile N] [sample flags]",
		run:   runPlan,
	})
	register(&command{
		name: "run-tile",
		summary: `Sample one tile of a plan made by probcat plan.
The tile index comes from --index, else SLURM_ARRAY_TASK_ID (Slurm job arrays), else
JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs). The tile's outputs appear in DIR/tiles/NNNN in
one rename when complete; running a finished tile again does nothing, and running an
interrupted (preempted, killed) one resumes from its checkpoints.`,
		usage: "DIR [--index I] [--threads T] [--quiet]",
		run:   runRunTile,
	})
	register(&command{
		name: "merge",
		summary: `Merge the finished tiles of a plan into the files probcat sample writes.
Writes ensemble.parquet, samples.parquet, condensed.fits, condensed.parquet, catalogue.fits,
catalogue.parquet, counts.parquet, model.fits, diagnostics.png and run.json into DIR (or --out). Each source comes from the tile whose core
holds it. Fails, writing nothing, while any tile is missing.`,
		usage: "DIR [--out OUT] [--quiet]",
		run:   runMerge,
	})
}

// defaultTile is the tile size plan uses when --tile is not given.
const defaultTile = 512

// notResultFlags are the sample flags that do not change results (or name the output), left
// out of a manifest.
var notResultFlags = map[string]bool{"out": true, "tile": true, "threads": true, "quiet": true,
	"resume": true, "grid-offset": true}

// pathFlags name files; a manifest holds them as absolute paths for other machines.
var pathFlags = map[string]bool{"sdss": true, "psfield": true, "pix": true, "psf": true}

// resultFlags returns the flags set on the command line that change results, by name.
func resultFlags(fs *flag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.Visit(func(fl *flag.Flag) {
		if notResultFlags[fl.Name] {
			return
		}
		v := fl.Value.String()
		if pathFlags[fl.Name] && v != "" {
			if _, err := os.Stat(v); err == nil {
				if abs, err := filepath.Abs(v); err == nil {
					v = abs
				}
			}
		}
		out[fl.Name] = v
	})
	return out
}

// planJob rebuilds the frame's sampling job of the plan in dir and checks it matches.
func planJob(dir string) (*tile.Manifest, *pipeline.Job, error) {
	m, err := tile.ReadManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f sampleFlags
	f.register(fs)
	for name, v := range m.Flags {
		if err := fs.Set(name, v); err != nil {
			return nil, nil, fmt.Errorf("%s: flag --%s=%q: %v", filepath.Join(dir, tile.ManifestFile), name, v, err)
		}
	}
	var job *pipeline.Job
	if f.sdssFrame != "" {
		job, err = f.sdssJob()
	} else {
		job, err = f.job(m.Image.Path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", filepath.Join(dir, tile.ManifestFile), err)
	}
	if err := m.Check(dir, job); err != nil {
		return nil, nil, err
	}
	return m, job, nil
}

func runPlan(fs *flag.FlagSet, args []string, out io.Writer) error {
	var f sampleFlags
	f.register(fs)
	offset := fs.String("grid-offset", "0,0", "shift of the tile grid DX,DY in pixels (0 ≤ shift < tile size)")
	if err := parse(fs, args, 0, 1); err != nil {
		return err
	}
	planned := resultFlags(fs)
	if f.out == "" {
		return errors.New("give the plan's folder with --out DIR")
	}
	if f.tile == 0 {
		f.tile = defaultTile
	}
	var ox, oy int
	if n, _ := fmt.Sscanf(strings.ReplaceAll(*offset, ",", " "), "%d %d", &ox, &oy); n != 2 {
		return fmt.Errorf("--grid-offset wants DX,DY, got %q", *offset)
	}
	dir := f.out
	var job *pipeline.Job
	var err error
	imagePath := f.sdssFrame
	switch {
	case f.sdssFrame != "" && fs.NArg() == 0:
		job, err = f.sdssJob()
	case f.sdssFrame == "" && fs.NArg() == 1:
		imagePath = fs.Arg(0)
		job, err = f.job(imagePath)
	default:
		fs.Usage()
		return fmt.Errorf("give either IMAGE or --sdss FRAME --psfield PSFIELD")
	}
	if err != nil {
		return err
	}
	if len(job.Bands) > 0 {
		return errors.New("--bands is not yet supported with tiles (probcat plan)")
	}
	if !f.quiet {
		reportNoise(os.Stderr, job)
	}
	m, err := tile.NewManifest(job, imagePath, planned, f.tile, ox, oy)
	if err != nil {
		return err
	}
	if old, err := tile.ReadManifest(dir); err == nil {
		old.Version = m.Version // a rebuilt probcat may re-plan the same run
		if !reflect.DeepEqual(old, m) {
			return fmt.Errorf("%s already holds a different plan; remove it or choose another folder", filepath.Join(dir, tile.ManifestFile))
		}
	} else if _, serr := os.Stat(filepath.Join(dir, tile.ManifestFile)); serr == nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := m.Write(dir); err != nil {
		return err
	}
	if !f.quiet {
		n := len(m.Tiles)
		fmt.Fprintf(out, "planned %d tiles of %d pixels (margin %d) for a %d×%d image in %s\n",
			n, m.Grid.Size, m.Grid.Margin, m.Image.Width, m.Image.Height, dir)
		fmt.Fprintf(out, "next: probcat run-tile %s --index I for I = 0 … %d (or sbatch --array=0-%d), then probcat merge %s\n",
			dir, n-1, n-1, dir)
	}
	return nil
}

// tileIndex picks the tile index from the flag or the schedulers' environment variables.
func tileIndex(flagged int) (int, error) {
	if flagged >= 0 {
		return flagged, nil
	}
	for _, env := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		if v := os.Getenv(env); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				return 0, fmt.Errorf("%s=%q is not a tile index", env, v)
			}
			return i, nil
		}
	}
	return 0, errors.New("no tile index: give --index I, or run as a Slurm array task or Kubernetes Indexed Job")
}

func runRunTile(fs *flag.FlagSet, args []string, out io.Writer) error {
	index := fs.Int("index", -1, "tile index (default: $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX)")
	threads := fs.Int("threads", 0, "cores to use (0: all available); results do not depend on it")
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	dir := fs.Arg(0)
	defer limitThreads(*threads)()
	i, err := tileIndex(*index)
	if err != nil {
		return err
	}
	m, job, err := planJob(dir)
	if err != nil {
		return err
	}
	if i >= len(m.Tiles) {
		return fmt.Errorf("%s: tile index %d out of range: the plan has tiles 0 to %d", filepath.Join(dir, tile.ManifestFile), i, len(m.Tiles)-1)
	}
	if tile.Done(dir, i) {
		if !*quiet {
			fmt.Fprintf(out, "tile %d already done: %s\n", i, tile.Dir(dir, i))
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progress
	var prog func(int, int)
	if !*quiet {
		bar = newProgress(os.Stderr, fmt.Sprintf("tile %d/%d", i, len(m.Tiles)))
		prog = bar.update
	}
	job.Warn, job.Note = warner(fs.Output()), noter(fs.Output(), *quiet)
	err = tile.RunTile(ctx, m, dir, job, i, *threads, prog)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("tile %d interrupted; run it again to continue from its checkpoints", i)
		}
		return err
	}
	if !*quiet {
		fmt.Fprintf(out, "tile %d done: %s\n", i, tile.Dir(dir, i))
	}
	return nil
}

func runMerge(fs *flag.FlagSet, args []string, out io.Writer) error {
	outDir := fs.String("out", "", "output folder (default: DIR)")
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	dir := fs.Arg(0)
	if *outDir == "" {
		*outDir = dir
	}
	m, job, err := planJob(dir)
	if err != nil {
		return err
	}
	sum, err := tile.Merge(m, dir, job, *outDir)
	if err != nil {
		return err
	}
	if !*quiet {
		printSummary(out, job, sum, *outDir)
	}
	warnCap(fs.Output(), job, sum)
	warnConvergence(fs.Output(), sum, job.Config)
	return nil
}

func printSummary(out io.Writer, job *pipeline.Job, sum *pipeline.Summary, dir string) {
	fmt.Fprintf(out, "burn-in %d samples per chain, %d kept samples, mean N = %.1f, R-hat(N) = %.3f, %d condensed sources, %d with prevalence ≥ %g in %s, %.1f s; outputs in %s\n",
		sum.BurnIn, sum.Kept, sum.MeanN, sum.RHatN, sum.Condensed, sum.Catalogue, job.MinPrevalence, pipeline.CatalogueFITS, sum.Wall.Seconds(), dir)
}

// tilesDir is where probcat sample --tile keeps its plan and tiles until they are merged.
const tilesDir = ".probcat-tiles"

// runTiled samples a job tile by tile in this process, tiles concurrently on all cores (one
// single-threaded tile per core), then merges them into the job's folder: the same files, and
// the same ensemble.parquet bytes, as plan, run-tile for every tile and merge.
func runTiled(job *pipeline.Job, f *sampleFlags, planned map[string]string, out, errw io.Writer) error {
	job.Warn, job.Note = warner(errw), noter(errw, f.quiet)
	start := time.Now()
	dir := filepath.Join(job.OutDir, tilesDir)
	imagePath, _ := job.Settings["image"].(string)
	m, err := tile.NewManifest(job, imagePath, planned, f.tile, 0, 0)
	if err != nil {
		return err
	}
	if f.resume {
		if old, err := tile.ReadManifest(dir); err == nil {
			if err := old.Check(dir, job); err != nil {
				return err
			}
			if !reflect.DeepEqual(old.Grid, m.Grid) {
				return fmt.Errorf("%s: planned with tiles of %d pixels, not %d; run without --resume", filepath.Join(dir, tile.ManifestFile), old.Grid.Size, f.tile)
			}
			m = old
		}
	} else if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := m.Write(dir); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progress
	var prog func(int, int)
	if !f.quiet {
		bar = newProgress(os.Stderr, fmt.Sprintf("sampling %d tiles", len(m.Tiles)))
		prog = bar.update
	}
	err = tile.RunAll(ctx, m, dir, job, f.threads, prog)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted; run again with --resume to continue from the tiles in %s", dir)
		}
		return err
	}
	sum, err := tile.Merge(m, dir, job, job.OutDir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	sum.Wall = time.Since(start)
	if !f.quiet {
		printSummary(out, job, sum, job.OutDir)
	}
	warnCap(errw, job, sum)
	warnConvergence(errw, sum, job.Config)
	return nil
}
