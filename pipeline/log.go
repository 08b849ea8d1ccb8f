package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/sampler"
)

// record is one kept sample as stored in a chain's sample log: the statistics the outputs
// need and the catalogue (every kind parameter beyond the flux flattened in Params).
type record struct {
	Chain, Index      int
	LogLike, LogPrior float64
	Background        float64   // the sky level; its mean over the image when it varies
	Sky               []float64 // the coefficients of a background that varies (sampler.Sample.Sky)
	catalogue.Hyper
	Accept             [sampler.NumMoveTypes]float64
	CapRefusals        int64     // proposals refused by Config.MaxSources since the previous sample
	X, Y, Flux, Params []float64 // Params: extra kind parameters, flattened per source
}

func newRecord(s sampler.Sample, keep int) record {
	r := record{Chain: s.Chain, Index: keep, LogLike: s.LogLike, LogPrior: s.LogPrior,
		Background: s.Background, Sky: s.Sky, Hyper: hyper(s), CapRefusals: s.CapRefusals}
	for m := range r.Accept {
		r.Accept[m] = s.Moves[m].Rate()
	}
	c := s.Catalogue
	r.X, r.Y, r.Flux = c.X, c.Y, c.Flux
	for i := range c.X {
		for _, e := range c.Extra {
			r.Params = append(r.Params, e[i])
		}
	}
	return r
}

// hyper returns the hyperparameters of s, NaN where its priors have none.
func hyper(s sampler.Sample) catalogue.Hyper {
	h := catalogue.NoHyper()
	if s.Density > 0 {
		h.Density = s.Density
	}
	if f := s.FluxPrior; f.Min > 0 {
		h.FluxSlope = f.Slope
		if f.Broken() {
			h.FluxBreak, h.FluxSlopeBright = f.Break, f.SlopeBright
		}
	}
	return h
}

// recordMagic opens every record ("pcl4": the fourth layout, with the coefficients of a
// background that varies; "pcl3" had the density and the flux prior's break and bright slope,
// and the density and flux-prior acceptance rates; "pcl2" had the flux slope only, and the
// first, "pclg", no cap refusals either).
const recordMagic = 0x70636c34

// oldRecordMagics are the magics of earlier layouts, refused with a clear message (their
// runs' chain checkpoints are refused too, so nothing could continue from them).
var oldRecordMagics = map[uint64]string{0x70636c33: "pcl3", 0x70636c32: "pcl2", 0x70636c67: "pclg"}

// writeRecord appends r to w in a little-endian binary layout.
func writeRecord(w io.Writer, r *record) error {
	n := len(r.X)
	head := []uint64{recordMagic, uint64(r.Chain), uint64(r.Index), uint64(n), uint64(len(r.Params)), uint64(r.CapRefusals), uint64(len(r.Sky))}
	vals := []float64{r.LogLike, r.LogPrior, r.Background, r.Density, r.FluxSlope, r.FluxBreak, r.FluxSlopeBright}
	vals = append(vals, r.Accept[:]...)
	vals = append(vals, r.Sky...)
	if err := binary.Write(w, binary.LittleEndian, head); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, vals); err != nil {
		return err
	}
	for _, s := range [][]float64{r.X, r.Y, r.Flux, r.Params} {
		if err := binary.Write(w, binary.LittleEndian, s); err != nil {
			return err
		}
	}
	return nil
}

// readRecord reads one record; io.EOF at a clean end.
func readRecord(rd io.Reader) (record, error) {
	var r record
	head := make([]uint64, 7)
	if err := binary.Read(rd, binary.LittleEndian, head[:1]); err != nil {
		return r, err
	}
	if old, ok := oldRecordMagics[head[0]]; ok { // read before the rest: older heads are shorter
		return r, fmt.Errorf("sample log written by an older probcat (layout %s); delete the checkpoint folder or run without --resume", old)
	}
	if err := binary.Read(rd, binary.LittleEndian, head[1:]); err != nil {
		return r, noEOF(err)
	}
	if head[0] != recordMagic || head[3] > 1<<28 || head[4] > 1<<30 || head[6] > uint64(model.SkyTerms(sampler.MaxBackgroundOrder)) {
		return r, errors.New("corrupt sample log record (or one written by another probcat version)")
	}
	r.Chain, r.Index, r.CapRefusals = int(head[1]), int(head[2]), int64(head[5])
	vals := make([]float64, 7+int(sampler.NumMoveTypes)+int(head[6]))
	if err := binary.Read(rd, binary.LittleEndian, vals); err != nil {
		return r, noEOF(err)
	}
	r.LogLike, r.LogPrior, r.Background = vals[0], vals[1], vals[2]
	r.Density, r.FluxSlope, r.FluxBreak, r.FluxSlopeBright = vals[3], vals[4], vals[5], vals[6]
	copy(r.Accept[:], vals[7:])
	if head[6] > 0 {
		r.Sky = vals[7+sampler.NumMoveTypes:]
	}
	n := int(head[3])
	r.X, r.Y, r.Flux = make([]float64, n), make([]float64, n), make([]float64, n)
	r.Params = make([]float64, head[4])
	for _, s := range [][]float64{r.X, r.Y, r.Flux, r.Params} {
		if err := binary.Read(rd, binary.LittleEndian, s); err != nil {
			return r, noEOF(err)
		}
	}
	return r, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLog calls fn for every record of the sample log at path.
func readLog(path string, fn func(*record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		r, err := readRecord(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}

// totalFlux sums a record's fluxes.
func (r *record) totalFlux() float64 {
	s := 0.0
	for _, f := range r.Flux {
		s += f
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
