package pipeline

import (
	"fmt"
	"math"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/galaxy"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// GalaxyModel asks a job to fit galaxies beside its stars: every source is then a star or a
// galaxy of one of the profiles (a model.Mixed kind), and the outputs carry each source's
// kind and parameters.
type GalaxyModel struct {
	// Profiles are the galaxy profiles fitted (galaxy.Exp, galaxy.Dev).
	Profiles []galaxy.Profile
	// Fraction is the prior probability that a source is a galaxy, shared equally among the
	// profiles.
	Fraction float64
	// ReMin and ReMax bound the half-light radius prior (log-uniform), in pixels.
	ReMin, ReMax float64
}

// galaxyPSFComponents is the number of Gaussians fitted to the PSF for the galaxies: three
// fit an SDSS PSF to below 1 % of its peak (galaxy.FitPSF's tests).
const galaxyPSFComponents = 3

// paramUnits are the units of the galaxies' parameters in the output files.
var paramUnits = map[string]string{"r_e": "pix", "q": "", "phi": "rad"}

// sourceKind returns the kind of source a job fits with PSF field f: point sources, or with
// Galaxies a mixture of point sources and galaxies (whose PSF is the Gaussian mixture fitted
// to the field's centre PSF).
func (job *Job) sourceKind(f *psf.Field) (model.SourceKind, error) {
	star := &model.PointSource{PSF: f, Flux: job.Flux}
	g := job.Galaxies
	if g == nil {
		return star, nil
	}
	if len(g.Profiles) == 0 || !(g.Fraction > 0 && g.Fraction < 1) {
		return nil, fmt.Errorf("galaxies: need one profile or more and a fraction in (0, 1), got %d and %g", len(g.Profiles), g.Fraction)
	}
	fit, err := galaxy.FitPSF(f.Centre(), galaxyPSFComponents)
	if err != nil {
		return nil, fmt.Errorf("galaxies: fitting Gaussians to the PSF: %w", err)
	}
	kinds := []model.SourceKind{star}
	weights := []float64{1 - g.Fraction}
	for _, p := range g.Profiles {
		k, err := galaxy.NewKind(p, fit.Mixture, job.Flux, g.ReMin, g.ReMax)
		if err != nil {
			return nil, fmt.Errorf("galaxies: %w", err)
		}
		kinds = append(kinds, k)
		weights = append(weights, g.Fraction/float64(len(g.Profiles)))
	}
	m, err := model.NewMixed(kinds, weights, job.Flux)
	if err != nil {
		return nil, err
	}
	if r, im := m.Radius(), job.Image; 2*r+1 > min(im.Width, im.Height) {
		return nil, fmt.Errorf("galaxies of half-light radius up to %g px need stamps of %d px, more than the %d×%d image: lower the largest radius", g.ReMax, 2*r+1, im.Width, im.Height)
	}
	return m, nil
}

// SourceRadius returns the stamp radius of the job's sources: the PSF's, or with galaxies the
// largest galaxy's when that is larger (what tiles' margins must hold).
func (job *Job) SourceRadius() (int, error) {
	k, err := job.sourceKind(job.PSF)
	if err != nil {
		return 0, err
	}
	return k.Radius(), nil
}

// kindsOf returns the catalogue files' description of a mixed kind's sources, nil for other
// kinds.
func kindsOf(kind model.SourceKind) *catalogue.Kinds {
	m, ok := kind.(*model.Mixed)
	if !ok {
		return nil
	}
	k := &catalogue.Kinds{Params: m.Params()[2:]}
	for _, member := range m.Kinds {
		k.Names = append(k.Names, member.Name())
	}
	for _, p := range k.Params {
		k.Units = append(k.Units, paramUnits[p])
	}
	return k
}

// setKinds fills s.Kind and s.Params from a record's flattened parameters (kind first, then
// the union of the members' parameters), NaN where a source's kind lacks a parameter.
func setKinds(s *catalogue.Sample, m *model.Mixed, r *record) {
	names := m.Params()[2:]
	per := len(names) + 1
	s.Kind = make([]int32, len(r.X))
	s.Params = make([][]float64, len(names))
	for j := range s.Params {
		s.Params[j] = make([]float64, len(r.X))
	}
	for i := range r.X {
		p := r.Params[i*per : (i+1)*per]
		k := int(p[0])
		s.Kind[i] = int32(k)
		for j, name := range names {
			s.Params[j][i] = p[j+1]
			if !m.Has(k, name) {
				s.Params[j][i] = math.NaN()
			}
		}
	}
}
