package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
)

// A chain's checkpoint is three files in the checkpoint folder: chain-K.log, the kept samples
// appended one record at a time; chain-K.trace, the watched scalars of every burn-in sample
// (sampler.Trace, four float64 each); and chain-K.state, rewritten atomically after every
// sample, which holds the chain's sampler state, how many samples it has produced, and how
// long the log and the trace were at that moment. On resume both are cut back to those
// lengths, so a kill between the writes loses nothing and duplicates nothing.

const stateMagic = "PCCKPT02"

type checkpoint struct {
	fp        [32]byte
	samples   int64 // samples produced, burn-in included
	logSize   int64
	traceSize int64
	state     []byte
}

func (c *checkpoint) marshal() []byte {
	var b bytes.Buffer
	b.WriteString(stateMagic)
	b.Write(c.fp[:])
	binary.Write(&b, binary.LittleEndian, []int64{c.samples, c.logSize, c.traceSize, int64(len(c.state))})
	b.Write(c.state)
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes()
}

func readCheckpoint(path string) (*checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(why string) error {
		return fmt.Errorf("%s: corrupt checkpoint (%s); delete the folder to start afresh", path, why)
	}
	if len(data) < len(stateMagic)+32+32+4 || string(data[:len(stateMagic)]) != stateMagic {
		return nil, bad("not a probcat checkpoint")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, bad("checksum mismatch")
	}
	c := &checkpoint{}
	p := len(stateMagic)
	copy(c.fp[:], body[p:p+32])
	p += 32
	c.samples = int64(binary.LittleEndian.Uint64(body[p:]))
	c.logSize = int64(binary.LittleEndian.Uint64(body[p+8:]))
	c.traceSize = int64(binary.LittleEndian.Uint64(body[p+16:]))
	n := int64(binary.LittleEndian.Uint64(body[p+24:]))
	p += 32
	if n != int64(len(body)-p) || c.samples < 0 || c.logSize < 0 || c.traceSize < 0 || c.traceSize%traceEntry != 0 {
		return nil, bad("inconsistent lengths")
	}
	c.state = body[p:]
	return c, nil
}

// hashImage adds an image's pixels, mask, variance map and constants to a fingerprint.
func hashImage(h hash.Hash, im *model.Image) {
	fmt.Fprintf(h, "%d %d %g %g %g %g %g %v %g %v|", im.Width, im.Height, im.Gain, im.Bias, im.Background, im.ReadNoise, im.ModelError, im.Noise, im.ZeroPoint, im.HasZeroPoint)
	if im.ModelErrorRadius > 0 { // appended only when set, so older checkpoints still match
		fmt.Fprintf(h, "model error radius %d|", im.ModelErrorRadius)
	}
	binary.Write(h, binary.LittleEndian, im.Pix)
	if im.Mask != nil {
		binary.Write(h, binary.LittleEndian, im.Mask)
	}
	if im.VarMap != nil {
		binary.Write(h, binary.LittleEndian, im.VarMap)
	}
}

// hashPSF adds a PSF field's layout and tables to a fingerprint.
func hashPSF(h hash.Hash, p *psf.Field) {
	fmt.Fprintf(h, "psf %g %g %d %d %d|", p.X0, p.Y0, p.Cell, p.NX, p.NY)
	for _, c := range p.PSFs {
		binary.Write(h, binary.LittleEndian, c.Coeffs)
	}
}

// fingerprint identifies the inputs and settings of a job, so that a checkpoint is never
// resumed with different ones.
func fingerprint(job *Job) [32]byte {
	h := sha256.New()
	hashImage(h, job.Image)
	hashPSF(h, job.PSF)
	cfg := job.Config
	cfg.Threads = 0 // the thread count does not change results
	fmt.Fprintf(h, "%+v|%v|%+v", cfg, cfg.CountPrior, job.Flux)
	if job.Refine != nil {
		fmt.Fprintf(h, "|refine %+v", *job.Refine)
	}
	if job.Kinds != nil {
		fmt.Fprintf(h, "|kinds %+v", *job.Kinds)
	}
	job.hashBands(h)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func chainPaths(dir string, c int) (state, log, trace string) {
	base := filepath.Join(dir, fmt.Sprintf("chain-%d", c))
	return base + ".state", base + ".log", base + ".trace"
}

// traceEntry is the size of one sample's entry in a chain's trace file.
const traceEntry = 8 * sampler.NumWatched

// chainRun is one chain of a job with its open checkpoint files.
type chainRun struct {
	ch                 *sampler.Chain
	fp                 [32]byte
	statePath, logPath string
	tracePath          string
	lf, tf             *os.File
	bw, tw             *bufio.Writer
	logSize, traceSize int64
	trace              sampler.Trace // the burn-in samples' watched scalars
	resumed            int           // samples restored from the checkpoint
}

// openChain makes chain c, restored from its checkpoint when one exists and job.Resume is set.
func openChain(job *Job, kind model.SourceKind, cfg sampler.Config, c int, dir string, fp [32]byte) (*chainRun, error) {
	r := &chainRun{fp: fp}
	r.statePath, r.logPath, r.tracePath = chainPaths(dir, c)
	if ck, err := readCheckpoint(r.statePath); err == nil && job.Resume {
		if ck.fp != fp {
			return nil, fmt.Errorf("%s: checkpoint was made with different inputs or settings; delete %s or run without --resume", r.statePath, dir)
		}
		if r.ch, err = job.newChain(kind, cfg, c); err != nil {
			return nil, err
		}
		if err := r.ch.UnmarshalBinary(ck.state); err != nil {
			return nil, fmt.Errorf("%s: %v", r.statePath, err)
		}
		r.logSize, r.traceSize = ck.logSize, ck.traceSize
		if err := os.Truncate(r.logPath, r.logSize); err != nil {
			return nil, fmt.Errorf("%s: %v", r.logPath, err)
		}
		if err := r.readTrace(); err != nil {
			return nil, err
		}
		if int64(r.trace.Len()) > ck.samples {
			return nil, fmt.Errorf("%s: corrupt checkpoint (more traced samples than samples); delete the folder to start afresh", r.statePath)
		}
		r.resumed = int(ck.samples)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		if job.Resume {
			return nil, err
		}
	}
	if r.ch == nil {
		var err error
		if r.ch, err = job.newChain(kind, cfg, c); err != nil {
			return nil, err
		}
		r.logSize, r.traceSize = 0, 0
	}
	var err error
	if r.lf, r.bw, err = openAt(r.logPath, r.logSize); err != nil {
		return nil, err
	}
	if r.tf, r.tw, err = openAt(r.tracePath, r.traceSize); err != nil {
		r.lf.Close()
		return nil, err
	}
	return r, nil
}

// openAt opens path for writing, cut to size and positioned at its end.
func openAt(path string, size int64) (*os.File, *bufio.Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, bufio.NewWriter(f), nil
}

// readTrace loads the first traceSize bytes of the chain's trace file.
func (r *chainRun) readTrace() error {
	data, err := os.ReadFile(r.tracePath)
	if err != nil {
		return err
	}
	if int64(len(data)) < r.traceSize {
		return fmt.Errorf("%s: corrupt checkpoint (trace shorter than recorded); delete the folder to start afresh", r.tracePath)
	}
	for p := int64(0); p < r.traceSize; p += traceEntry {
		var v [sampler.NumWatched]float64
		for q := range v {
			v[q] = math.Float64frombits(binary.LittleEndian.Uint64(data[p+8*int64(q):]))
		}
		r.trace.Add(int(v[0]), v[1], v[2], v[3])
	}
	return nil
}

func (r *chainRun) close() {
	r.lf.Close()
	r.tf.Close()
}

// advance runs the chain until it has produced to samples. burnIn < 0 means burn-in has not
// ended: samples go to the trace; otherwise samples from index burnIn on are kept in the log.
func (r *chainRun) advance(ctx context.Context, to, burnIn int, tick func()) error {
	r.ch.SetBurnIn(burnIn < 0)
	for r.ch.SamplesDone() < to {
		s, err := r.ch.Next(ctx)
		if err != nil {
			return err
		}
		if burnIn < 0 {
			r.trace.AddSample(&s)
			var b [traceEntry]byte
			for q := range sampler.NumWatched {
				binary.LittleEndian.PutUint64(b[8*q:], math.Float64bits(r.trace[q][r.trace.Len()-1]))
			}
			if _, err := r.tw.Write(b[:]); err != nil {
				return err
			}
			if err := r.tw.Flush(); err != nil {
				return err
			}
			r.traceSize += traceEntry
		} else {
			rec := newRecord(s, s.Index-burnIn)
			if err := writeRecord(r.bw, &rec); err != nil {
				return err
			}
			if err := r.bw.Flush(); err != nil {
				return err
			}
			if r.logSize, err = r.lf.Seek(0, io.SeekCurrent); err != nil {
				return err
			}
		}
		state, err := r.ch.MarshalBinary()
		if err != nil {
			return err
		}
		ck := checkpoint{fp: r.fp, samples: int64(r.ch.SamplesDone()), logSize: r.logSize, traceSize: r.traceSize, state: state}
		if err := atomicfile.WriteBytes(r.statePath, ck.marshal()); err != nil {
			return err
		}
		tick()
	}
	return nil
}
