package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/sampler"
)

// Burn-in ends by itself. The chains run in step, meeting at check points: the minimum
// burn-in Config.BurnIn, then every CheckEvery samples, and finally Config.MaxBurnIn. At a
// check point t every chain has produced exactly t samples, and the watched scalars (N, ln L,
// total flux, background) over the second half of them, samples [t/2, t) of every chain, are
// tested with sampler.Convergence.Converged (rank-normalised split R̂ < 1.01, bulk ESS ≥ 100):
// the window discards the first half as Stan's and PyMC's adaptive warm-ups do, so that the
// start of the chains never counts. The first check that passes ends burn-in at t; if none
// passes, burn-in ends at MaxBurnIn, not converged. The next Config.Samples samples of every
// chain are kept. The decision is a function of the samples only, made when every chain has
// reached t and before any goes further, so it does not depend on the threads or the timing;
// it is stored in the checkpoint folder, and checks are made again (with the same result)
// after a resume that finds none stored.

// CheckEvery is the number of samples between convergence checks during burn-in.
const CheckEvery = 10

// burnInRange returns the least and the most samples of burn-in of cfg.
func burnInRange(cfg sampler.Config) (lo, hi int) {
	return cfg.BurnIn, max(cfg.BurnIn, cfg.MaxBurnIn)
}

// nextCheck returns the first check point at or after t.
func nextCheck(t, lo, hi int) int {
	if t <= lo {
		return lo
	}
	c := lo + (t-lo+CheckEvery-1)/CheckEvery*CheckEvery
	return min(c, hi)
}

// checkWindow returns the samples [from, to) the check at t looks at.
func checkWindow(t int) (from, to int) { return t / 2, t }

// decision is how burn-in ended: after burnIn samples per chain, with or without the chains
// agreeing.
type decision struct {
	burnIn    int
	converged bool
}

const (
	decisionFile  = "burn-in"
	decisionMagic = "PCBURN01"
)

func (d *decision) marshal(fp [32]byte) []byte {
	var b bytes.Buffer
	b.WriteString(decisionMagic)
	b.Write(fp[:])
	conv := int64(0)
	if d.converged {
		conv = 1
	}
	binary.Write(&b, binary.LittleEndian, []int64{int64(d.burnIn), conv})
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes()
}

// readDecision reads the stored burn-in decision of the checkpoint folder dir; nil when none
// has been made.
func readDecision(dir string, fp [32]byte) (*decision, error) {
	path := filepath.Join(dir, decisionFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n := len(decisionMagic) + 32 + 16
	if len(data) != n+4 || string(data[:len(decisionMagic)]) != decisionMagic ||
		crc32.ChecksumIEEE(data[:n]) != binary.LittleEndian.Uint32(data[n:]) {
		return nil, fmt.Errorf("%s: corrupt checkpoint; delete the folder to start afresh", path)
	}
	if !bytes.Equal(data[len(decisionMagic):len(decisionMagic)+32], fp[:]) {
		return nil, fmt.Errorf("%s: checkpoint was made with different inputs or settings; delete %s or run without --resume", path, dir)
	}
	p := len(decisionMagic) + 32
	b := int64(binary.LittleEndian.Uint64(data[p:]))
	if b < 0 {
		return nil, fmt.Errorf("%s: corrupt checkpoint; delete the folder to start afresh", path)
	}
	return &decision{burnIn: int(b), converged: binary.LittleEndian.Uint64(data[p+8:]) == 1}, nil
}

// runChains runs every chain through burn-in, deciding where it ends, and then through the
// kept samples. parallel chains run at once; progress is told of every sample.
func runChains(ctx context.Context, job *Job, runs []*chainRun, ckdir string, fp [32]byte, parallel int) (*decision, error) {
	cfg := job.Config
	lo, hi := burnInRange(cfg)
	dec, err := readDecision(ckdir, fp)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	done, total := 0, cfg.Chains*(hi+cfg.Samples)
	if dec != nil {
		total = cfg.Chains * (dec.burnIn + cfg.Samples)
	}
	for _, r := range runs {
		done += r.resumed
	}
	tick := func() {
		mu.Lock()
		done++
		d, t := done, total
		mu.Unlock()
		if job.Progress != nil {
			job.Progress(d, t)
		}
	}
	segment := func(to, burnIn int) error {
		errs := make([]error, len(runs))
		sem := make(chan struct{}, parallel)
		var wg sync.WaitGroup
		for c, r := range runs {
			if r.ch.SamplesDone() >= to {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				errs[c] = r.advance(ctx, to, burnIn, tick)
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	for _, r := range runs {
		if dec == nil && r.trace.Len() != r.ch.SamplesDone() {
			return nil, fmt.Errorf("%s: checkpoint has %d samples but %d traced; delete %s to start afresh", r.statePath, r.ch.SamplesDone(), r.trace.Len(), ckdir)
		}
	}
	last := -1
	for dec == nil {
		least := hi
		for _, r := range runs {
			least = min(least, r.ch.SamplesDone())
		}
		t := nextCheck(max(least, last+1), lo, hi)
		if err := segment(t, -1); err != nil {
			return nil, err
		}
		traces := make([]sampler.Trace, len(runs))
		for c, r := range runs {
			traces[c] = r.trace
		}
		from, to := checkWindow(t)
		ok := sampler.Diagnose(traces, from, to).Converged()
		if ok || t >= hi {
			dec = &decision{burnIn: t, converged: ok}
			if err := atomicfile.WriteBytes(filepath.Join(ckdir, decisionFile), dec.marshal(fp)); err != nil {
				return nil, err
			}
			mu.Lock()
			total = cfg.Chains * (t + cfg.Samples)
			mu.Unlock()
		}
		last = t
	}
	for _, r := range runs {
		if r.ch.SamplesDone() < dec.burnIn || r.trace.Len() != dec.burnIn {
			return nil, fmt.Errorf("%s: checkpoint inconsistent with the burn-in of %d samples; delete %s to start afresh", r.statePath, dec.burnIn, ckdir)
		}
	}
	if err := segment(dec.burnIn+cfg.Samples, dec.burnIn); err != nil {
		return nil, err
	}
	return dec, nil
}
