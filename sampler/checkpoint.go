package sampler

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/probcat/probcat/model"
)

// checkpointMagic opens every chain checkpoint (format version 4: version 3 had no
// coefficients of a background that varies, and its runs' sample logs no room for them;
// version 2 had the flux slope but no count-prior density or flux break; version 1 had no
// kernel path).
const checkpointMagic = "probcat-chain\x00v4"

// fingerprint identifies what a checkpoint must agree with to continue the same run: the seed,
// the chain, the image (size and pixels), the kind and the settings that shape the trajectory.
// All of these are fixed when the chain is made, so it is computed once.
func (c *Chain) fingerprint() uint64 {
	if !c.fpDone {
		c.fp, c.fpDone = c.computeFingerprint(), true
	}
	return c.fp
}

func (c *Chain) computeFingerprint() uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	put(c.cfg.Seed)
	put(uint64(c.index))
	put(uint64(c.w))
	put(uint64(c.h))
	put(uint64(c.nparam))
	put(uint64(c.size))
	put(uint64(c.cfg.RegionProposals))
	put(uint64(c.cfg.Proposals))
	put(uint64(c.cfg.BurnIn))
	h.Write([]byte(c.kind.Name()))
	h.Write([]byte(c.cfg.CountPrior.String()))
	if c.colourCentre != nil {
		fmt.Fprintf(h, "colour means sampled around %v with spread %g", c.colourCentre, c.colours.ColourSpread)
	}
	if c.flux != nil && c.flux.Broken() {
		h.Write([]byte("broken flux prior"))
	}
	if c.sky != nil {
		fmt.Fprintf(h, "background order %d", c.cfg.BackgroundOrder)
	}
	for _, b := range c.bands {
		if b.k > 0 {
			fmt.Fprintf(h, "band %d: %d×%d, map %v", b.k, b.w, b.h, b.mapping)
		}
		pix := make([]byte, 0, 4*len(b.data)) // one Write: FNV of the same bytes, without a call per pixel
		for _, v := range b.data {
			pix = binary.LittleEndian.AppendUint32(pix, math.Float32bits(v))
		}
		h.Write(pix)
	}
	return h.Sum64()
}

// storesWeights reports whether band b's inverse variance is part of the state: with exact
// model noise it depends on the catalogue at the end of burn-in.
func (b *band) storesWeights() bool { return b.exact }

// MarshalBinary writes a checkpoint of the chain between samples: its catalogue, background
// (the sky level, then the other coefficients of a background that varies, then the other
// bands' sky levels), count-prior density, flux-prior parameters, counters and (for
// NoiseFromModel bands, band by band) frozen weights, followed by a SHA-256 checksum. A chain made by NewChain with the same image, kind, configuration and index and
// restored with UnmarshalBinary continues exactly as this one would.
func (c *Chain) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	writeKernelPath(&buf)
	le := binary.LittleEndian
	u := func(v uint64) { buf.Write(le.AppendUint64(nil, v)) }
	f := func(v float64) { u(math.Float64bits(v)) }
	u(c.fingerprint())
	u(c.passes)
	u(uint64(c.samples))
	f(c.bg)
	if c.sky != nil {
		for _, a := range c.sky.coef[1:] {
			f(a)
		}
	}
	for _, b := range c.bands[1:] {
		f(b.bg)
	}
	for _, m := range c.ColourMeans() {
		f(m)
	}
	f(c.density)
	fp := c.fluxPrior()
	f(fp.Slope)
	f(fp.Break)
	f(fp.SlopeBright)
	n := len(c.xs)
	u(uint64(n))
	u(uint64(c.nparam))
	for _, s := range [][]float64{c.xs, c.ys, c.th} {
		for _, v := range s {
			f(v)
		}
	}
	for _, b := range c.bands {
		if b.storesWeights() {
			for _, v := range b.weight {
				buf.Write(le.AppendUint32(nil, math.Float32bits(v)))
			}
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// UnmarshalBinary restores a checkpoint written by MarshalBinary. It rejects corrupt data
// (bad checksum, wrong length), checkpoints of a different run and checkpoints written with
// another kernel path (render.Path: the continued chain would not give the same bytes) with a
// clear error, leaving the chain unchanged.
func (c *Chain) UnmarshalBinary(data []byte) error {
	if len(data) < len(checkpointMagic)+sha256.Size || string(data[:len(checkpointMagic)]) != checkpointMagic {
		if len(data) >= len(checkpointMagic) && string(data[:len(checkpointMagic)-1]) == checkpointMagic[:len(checkpointMagic)-1] {
			return fmt.Errorf("checkpoint: format %s, this probcat reads %s; delete the checkpoints to start afresh",
				data[len(checkpointMagic)-2:len(checkpointMagic)], checkpointMagic[len(checkpointMagic)-2:])
		}
		return errors.New("checkpoint: not a probcat chain checkpoint (bad header)")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return errors.New("checkpoint: checksum mismatch (file corrupt or truncated)")
	}
	p, err := checkKernelPath(body[len(checkpointMagic):])
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	short := false
	u := func() uint64 {
		if len(p) < 8 {
			short = true
			return 0
		}
		v := le.Uint64(p)
		p = p[8:]
		return v
	}
	f := func() float64 { return math.Float64frombits(u()) }
	if fp := u(); fp != c.fingerprint() {
		return errors.New("checkpoint: written by a different run (seed, chain, image or settings differ)")
	}
	passes, samples := u(), u()
	bg := f()
	var sky []float64
	if c.sky != nil {
		sky = make([]float64, c.sky.n)
		sky[0] = bg
		for k := 1; k < len(sky); k++ {
			sky[k] = f()
		}
	}
	bgs := make([]float64, len(c.bands))
	for k := 1; k < len(bgs); k++ {
		bgs[k] = f()
	}
	means := make([]float64, len(c.colourCentre))
	for k := range means {
		means[k] = f()
	}
	density := f()
	fp := c.fluxPrior()
	fp.Slope, fp.Break, fp.SlopeBright = f(), f(), f()
	n, np := u(), u()
	if short || np != uint64(c.nparam) || n > uint64(len(p))/8 {
		return errors.New("checkpoint: malformed (bad source count)")
	}
	want := 8 * int(n) * (2 + c.nparam)
	for _, b := range c.bands {
		if b.storesWeights() {
			want += 4 * len(b.weight)
		}
	}
	if len(p) != want {
		return fmt.Errorf("checkpoint: malformed (%d bytes of state, want %d)", len(p), want)
	}
	xs := make([]float64, n)
	ys := make([]float64, n)
	th := make([]float64, int(n)*c.nparam)
	for _, s := range [][]float64{xs, ys, th} {
		for i := range s {
			s[i] = f()
		}
	}
	stored := false
	for _, b := range c.bands {
		if b.storesWeights() {
			for i := range b.weight {
				b.weight[i] = math.Float32frombits(le.Uint32(p))
				p = p[4:]
			}
			stored = true
		}
	}
	if stored {
		c.weightsChanged()
	}
	c.passes, c.samples = passes, int(samples)
	c.bg, c.density = bg, density
	for k := 1; k < len(bgs); k++ {
		c.bands[k].bg = bgs[k]
	}
	for k, m := range means {
		c.colours.Colours[k].Mean = m
	}
	if sky != nil {
		c.setSky(sky)
	}
	if c.hier != nil {
		c.count = c.hier.Conditional(density)
	}
	if c.flux != nil {
		*c.flux = fp
	}
	c.xs, c.ys, c.th = xs, ys, th
	c.refresh()
	return nil
}

// fluxPrior returns the current flux prior of point sources (of a model.MultiBand, its
// reference flux's); the zero FluxPrior for other kinds.
func (c *Chain) fluxPrior() model.FluxPrior {
	if c.flux == nil {
		return model.FluxPrior{}
	}
	return *c.flux
}

// SetCatalogue replaces the chain's sources by cat (for example a starting catalogue from an
// earlier run). Every source must lie in the image and have a finite prior density.
func (c *Chain) SetCatalogue(cat *model.Catalogue) error {
	n := cat.Len()
	if len(cat.Y) != n || len(cat.Flux) != n || len(cat.Extra) != c.nparam-1 {
		return fmt.Errorf("catalogue does not match source kind %q (%d parameters)", c.kind.Name(), c.nparam)
	}
	xs := make([]float64, 0, n)
	ys := make([]float64, 0, n)
	th := make([]float64, 0, n*c.nparam)
	var params []float64
	for i := 0; i < n; i++ {
		x, y := cat.X[i], cat.Y[i]
		if !(x >= -0.5 && x < float64(c.w)-0.5 && y >= -0.5 && y < float64(c.h)-0.5) {
			return fmt.Errorf("source %d at (%g, %g) lies outside the image", i, x, y)
		}
		params = cat.Params(i, params)
		if lp := c.kind.LogPrior(params); math.IsInf(lp, -1) || math.IsNaN(lp) {
			return fmt.Errorf("source %d has parameters %v outside the prior", i, params)
		}
		xs, ys, th = append(xs, x), append(ys, y), append(th, params...)
	}
	if n > c.cfg.MaxSources {
		return fmt.Errorf("catalogue has %d sources, more than the maximum %d", n, c.cfg.MaxSources)
	}
	c.xs, c.ys, c.th = xs, ys, th
	c.refresh()
	return nil
}
