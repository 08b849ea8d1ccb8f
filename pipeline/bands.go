package pipeline

import (
	"errors"
	"fmt"
	"hash"
	"math"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
)

// Band is one band of a joint fit of several bands (Job.Bands).
type Band struct {
	// Name is the band's name ("r"), which names its columns in the outputs (flux_r, mag_r).
	Name string
	// Image and PSF are the band's image and PSF, in its own pixels.
	Image *model.Image
	PSF   *psf.Field
	// Map takes the reference band's image pixels (where positions live) to this band's
	// image pixels; the reference band's is ignored.
	Map model.AffineMap
	// Colour is the prior of the instrumental colour m_ref − m_band = 2.5 log₁₀(f_band/f_ref)
	// (ignored for the reference band).
	Colour model.Colour
	// Record is recorded verbatim in run.json's entry for the band (its files, box, the
	// map's error).
	Record map[string]any
}

// multiBand reports whether the job fits several bands.
func (job *Job) multiBand() bool { return len(job.Bands) > 0 }

// validateBands checks a multi-band job: at least two bands, the first being Image and PSF,
// distinct names, valid images and PSFs, and none of the features not supported with bands.
func (job *Job) validateBands() error {
	if !job.multiBand() {
		return nil
	}
	bs := job.Bands
	switch {
	case len(bs) < 2:
		return fmt.Errorf("a multi-band job needs at least two bands, got %d", len(bs))
	case bs[0].Image != job.Image || bs[0].PSF != job.PSF:
		return errors.New("a multi-band job's first band must be its image and PSF")
	case job.Kinds != nil:
		return errors.New("fitting several kinds of source is not supported with several bands yet")
	case job.Refine != nil:
		return errors.New("refining the PSF is not supported with several bands yet")
	case !(job.ColourSpread >= 0) || math.IsInf(job.ColourSpread, 0):
		return fmt.Errorf("colour spread must be finite and not negative, got %g", job.ColourSpread)
	}
	seen := map[string]bool{}
	for _, b := range bs {
		if b.Name == "" || seen[b.Name] {
			return fmt.Errorf("band names must be distinct and non-empty, got %q", b.Name)
		}
		seen[b.Name] = true
		if b.Image == nil || b.PSF == nil {
			return fmt.Errorf("band %s has no image or PSF", b.Name)
		}
		if err := b.Image.Validate(); err != nil {
			return fmt.Errorf("band %s: %v", b.Name, err)
		}
	}
	return nil
}

// bandKind returns the multi-band point source of the job, with the reference band's PSF
// field f (the refined one, when the PSF is refined).
func (job *Job) bandKind(f *psf.Field) (model.SourceKind, error) {
	names := make([]string, len(job.Bands))
	psfs := make([]model.Profile, len(job.Bands))
	var colours []model.Colour
	for k, b := range job.Bands {
		names[k], psfs[k] = b.Name, b.PSF
		if k == 0 {
			psfs[k] = f
		} else {
			colours = append(colours, b.Colour)
		}
	}
	m, err := model.NewMultiBand(names, psfs, job.Flux, colours)
	if err != nil {
		return nil, err
	}
	m.ColourSpread = job.ColourSpread
	return m, nil
}

// newChain makes chain c of the job: of its image, or of every band's.
func (job *Job) newChain(kind model.SourceKind, cfg sampler.Config, c int) (*sampler.Chain, error) {
	if !job.multiBand() {
		return sampler.NewChain(job.Image, kind, cfg, c)
	}
	bands := make([]sampler.Band, len(job.Bands))
	for k, b := range job.Bands {
		bands[k] = sampler.Band{Image: b.Image, Map: b.Map}
	}
	return sampler.NewBandChain(bands, kind, cfg, c)
}

// hashBands adds the other bands' inputs to a job's fingerprint.
func (job *Job) hashBands(h hash.Hash) {
	if job.ColourSpread > 0 {
		fmt.Fprintf(h, "|colour spread %g", job.ColourSpread)
	}
	for _, b := range job.Bands[min(1, len(job.Bands)):] {
		fmt.Fprintf(h, "|band %s %+v %+v|", b.Name, b.Map, b.Colour)
		hashImage(h, b.Image)
		hashPSF(h, b.PSF)
	}
}

// catalogueBands returns the catalogue files' description of the job's bands, nil for one.
func (job *Job) catalogueBands() *catalogue.Bands {
	if !job.multiBand() {
		return nil
	}
	b := &catalogue.Bands{}
	for _, band := range job.Bands {
		b.Names = append(b.Names, band.Name)
		var mag func(float64) float64
		if band.Image.HasZeroPoint {
			mag = band.Image.Magnitude
		}
		b.Magnitudes = append(b.Magnitudes, mag)
	}
	return b
}

// bandFluxes returns the other bands' fluxes of a record's sources (Bands[j][i], band j+1).
func bandFluxes(r *record, bands int) [][]float64 {
	out := make([][]float64, bands-1)
	per := bands - 1
	for j := range out {
		out[j] = make([]float64, len(r.X))
		for i := range r.X {
			out[j][i] = r.Params[i*per+j]
		}
	}
	return out
}

// bandsRecord is run.json's record of the bands: each band's name, image, map from the
// reference band and colour prior, with its Record.
func (job *Job) bandsRecord() []map[string]any {
	var out []map[string]any
	for k, b := range job.Bands {
		r := imageRecord(b.Image)
		r["name"] = b.Name
		r["psf"] = map[string]any{"size": b.PSF.Size(), "cells": []int{b.PSF.NX, b.PSF.NY}}
		if k == 0 {
			r["reference"] = true
		} else {
			r["map"] = map[string]any{"x0": b.Map.X0, "y0": b.Map.Y0, "j": b.Map.J}
			prior := map[string]any{"mean": b.Colour.Mean, "sigma": b.Colour.Sigma}
			if job.ColourSpread > 0 {
				// the mean is sampled: its hyperprior's width, and each chain's last value
				prior["mean_spread"] = job.ColourSpread
				var last []float64
				for _, m := range job.colourMeans {
					last = append(last, m[k-1])
				}
				prior["mean_last_sample"] = last
			}
			r["colour_prior"] = prior
		}
		for key, v := range b.Record {
			r[key] = v
		}
		out = append(out, r)
	}
	return out
}
