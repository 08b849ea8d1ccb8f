package tile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/probcat/probcat/pipeline"
)

// Job returns the sampling job of tile index: job's settings on the tile's outer box, with
// the tile's own seed, written into outDir. threads is the tile's thread count (0:
// runtime.GOMAXPROCS(0), all available cores).
func (m *Manifest) Job(job *pipeline.Job, index int, outDir string, threads int) (*pipeline.Job, error) {
	if index < 0 || index >= len(m.Tiles) {
		return nil, fmt.Errorf("tile index %d out of range: the plan has tiles 0 to %d", index, len(m.Tiles)-1)
	}
	t := &m.Tiles[index]
	sub := *job
	var err error
	if sub.Image, err = Cut(job.Image, t); err != nil {
		return nil, err
	}
	sub.PSF = job.PSF.Cut(t.Outer.X0, t.Outer.Y0, t.Outer.Dx(), t.Outer.Dy())
	sub.Config.Seed = Seed(m.Seed, index)
	sub.Config.Threads = threads
	sub.OutDir = outDir
	sub.Resume = true
	sub.NoPlots = true
	sub.Progress = nil
	if job.Warn != nil {
		sub.Warn = func(msg string) { job.Warn(fmt.Sprintf("tile %d: %s", index, msg)) }
	}
	if job.Note != nil {
		sub.Note = func(msg string) { job.Note(fmt.Sprintf("tile %d: %s", index, msg)) }
	}
	settings := map[string]any{"tile": index, "core": t.Core.String(), "outer": t.Outer.String(), "plan_seed": m.Seed}
	for k, v := range job.Settings {
		settings[k] = v
	}
	sub.Settings = settings
	return &sub, nil
}

// RunTile samples tile index of the plan in planDir and moves its outputs into place in one
// rename once they are complete. Running a finished tile again does nothing; running an
// interrupted one resumes from its checkpoints (kept in the tile's .partial folder).
// progress, if set, is told of every sample of the tile.
func RunTile(ctx context.Context, m *Manifest, planDir string, job *pipeline.Job, index, threads int, progress func(done, total int)) error {
	final := Dir(planDir, index)
	if Done(planDir, index) {
		return nil
	}
	if err := m.CheckKernel(planDir); err != nil {
		return err
	}
	partial := final + ".partial"
	sub, err := m.Job(job, index, partial, threads)
	if err != nil {
		return err
	}
	sub.Progress = progress
	if err := os.MkdirAll(filepath.Dir(partial), 0o755); err != nil {
		return err
	}
	unlock, err := lock(partial + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if Done(planDir, index) { // finished by another process before we took the lock
		return nil
	}
	if finished(partial) { // killed between the job's end and the rename
		return os.Rename(partial, final)
	}
	// Made here so that pipeline.Run, which removes folders it created when it fails,
	// keeps the checkpoints of an interrupted tile.
	if err := os.MkdirAll(partial, 0o755); err != nil {
		return err
	}
	if _, err := pipeline.Run(ctx, sub); err != nil {
		return fmt.Errorf("tile %d: %w", index, err)
	}
	return os.Rename(partial, final)
}

// finished reports whether a tile's job wrote all its outputs in dir: pipeline.Run removes
// its checkpoints only after moving every output into place.
func finished(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, pipeline.RunFile)); err != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, ".probcat-checkpoint"))
	return errors.Is(err, os.ErrNotExist)
}

// RunAll samples every unfinished tile of the plan in one process: workers tiles at a time
// (0: runtime.GOMAXPROCS(0)), each tile on one thread. progress, if set, is told after every sample
// how many of all tiles' samples are done.
func RunAll(ctx context.Context, m *Manifest, planDir string, job *pipeline.Job, workers int, progress func(done, total int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// A tile takes at most per samples; one whose burn-in ends early is counted in full when
	// it finishes.
	per := job.Config.Chains * (max(job.Config.BurnIn, job.Config.MaxBurnIn) + job.Config.Samples)
	total := per * len(m.Tiles)
	var mu sync.Mutex
	done := 0
	tick := func(n int) {
		if progress == nil {
			return
		}
		mu.Lock()
		done += n
		d := done
		mu.Unlock()
		progress(d, total)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make([]error, len(m.Tiles))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if Done(planDir, i) {
					tick(per)
					continue
				}
				last := 0
				err := RunTile(ctx, m, planDir, job, i, 1, func(d, _ int) {
					tick(d - last)
					last = d
				})
				if err != nil {
					errs[i] = err
					cancel()
				} else {
					tick(per - last)
				}
			}
		}()
	}
	for i := range m.Tiles {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	// Report the first real failure rather than the cancellations it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}
