package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/sampler"
)

// A chain's checkpoint is two files in the checkpoint folder: chain-K.log, the kept samples
// appended one record at a time, and chain-K.state, rewritten atomically after every sample,
// which holds the chain's sampler state, how many samples it has produced, and how long the
// log was at that moment. On resume the log is cut back to that length, so a kill between the
// two writes loses nothing and duplicates nothing.

const stateMagic = "PCCKPT01"

type checkpoint struct {
	fp      [32]byte
	samples int64 // samples produced, burn-in included
	logSize int64
	state   []byte
}

func (c *checkpoint) marshal() []byte {
	var b bytes.Buffer
	b.WriteString(stateMagic)
	b.Write(c.fp[:])
	binary.Write(&b, binary.LittleEndian, []int64{c.samples, c.logSize, int64(len(c.state))})
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
	if len(data) < len(stateMagic)+32+24+4 || string(data[:len(stateMagic)]) != stateMagic {
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
	n := int64(binary.LittleEndian.Uint64(body[p+16:]))
	p += 24
	if n != int64(len(body)-p) || c.samples < 0 || c.logSize < 0 {
		return nil, bad("inconsistent lengths")
	}
	c.state = body[p:]
	return c, nil
}

// fingerprint identifies the inputs and settings of a job, so that a checkpoint is never
// resumed with different ones.
func fingerprint(job *Job) [32]byte {
	h := sha256.New()
	im := job.Image
	fmt.Fprintf(h, "%d %d %g %g %g %g %v %g %v|", im.Width, im.Height, im.Gain, im.Bias, im.Background, im.ReadNoise, im.Noise, im.ZeroPoint, im.HasZeroPoint)
	binary.Write(h, binary.LittleEndian, im.Pix)
	if im.Mask != nil {
		binary.Write(h, binary.LittleEndian, im.Mask)
	}
	fmt.Fprintf(h, "psf %g %g %d %d %d|", job.PSF.X0, job.PSF.Y0, job.PSF.Cell, job.PSF.NX, job.PSF.NY)
	for _, p := range job.PSF.PSFs {
		binary.Write(h, binary.LittleEndian, p.Coeffs)
	}
	cfg := job.Config
	cfg.Threads = 0 // the thread count does not change results
	fmt.Fprintf(h, "%+v|%v|%+v", cfg, cfg.CountPrior, job.Flux)
	if job.Refine != nil {
		fmt.Fprintf(h, "|refine %+v", *job.Refine)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func chainPaths(dir string, c int) (state, log string) {
	return filepath.Join(dir, fmt.Sprintf("chain-%d.state", c)), filepath.Join(dir, fmt.Sprintf("chain-%d.log", c))
}

// runChain runs chain c to completion, resuming from its checkpoint when one exists and
// job.Resume is set.
func runChain(ctx context.Context, job *Job, kind model.SourceKind, cfg sampler.Config, c int, dir string, fp [32]byte, tick func()) error {
	statePath, logPath := chainPaths(dir, c)
	var ch *sampler.Chain
	var logSize int64
	if ck, err := readCheckpoint(statePath); err == nil && job.Resume {
		if ck.fp != fp {
			return fmt.Errorf("%s: checkpoint was made with different inputs or settings; delete %s or run without --resume", statePath, dir)
		}
		if ch, err = sampler.NewChain(job.Image, kind, cfg, c); err != nil {
			return err
		}
		if err := ch.UnmarshalBinary(ck.state); err != nil {
			return fmt.Errorf("%s: %v", statePath, err)
		}
		logSize = ck.logSize
		if err := os.Truncate(logPath, logSize); err != nil {
			return fmt.Errorf("%s: %v", logPath, err)
		}
		for i := int64(0); i < ck.samples; i++ {
			tick()
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		if job.Resume {
			return err
		}
	}
	if ch == nil {
		var err error
		if ch, err = sampler.NewChain(job.Image, kind, cfg, c); err != nil {
			return err
		}
		logSize = 0
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := lf.Truncate(logSize); err != nil {
		return err
	}
	if _, err := lf.Seek(logSize, io.SeekStart); err != nil {
		return err
	}
	bw := bufio.NewWriter(lf)
	total := cfg.BurnIn + cfg.Samples
	for ch.SamplesDone() < total {
		s, err := ch.Next(ctx)
		if err != nil {
			return err
		}
		if !s.BurnIn {
			r := newRecord(s, s.Index-cfg.BurnIn)
			if err := writeRecord(bw, &r); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if logSize, err = lf.Seek(0, io.SeekCurrent); err != nil {
				return err
			}
		}
		state, err := ch.MarshalBinary()
		if err != nil {
			return err
		}
		ck := checkpoint{fp: fp, samples: int64(ch.SamplesDone()), logSize: logSize, state: state}
		if err := atomicfile.WriteBytes(statePath, ck.marshal()); err != nil {
			return err
		}
		tick()
	}
	return nil
}
