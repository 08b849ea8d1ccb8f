package pipeline

import (
	"fmt"
	"math"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/kinds"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// KindSpec asks a job to fit several kinds of source together (a model.Mixed): every source is
// one of them, and the outputs carry each source's kind and parameters.
type KindSpec struct {
	// Names are the kinds by their registered names (package kinds: "star", "galaxy", …).
	Names []string
	// Weights are their prior probabilities (normalised by model.NewMixed).
	Weights []float64
	// ReMin and ReMax bound the half-light radius prior of extended kinds, in pixels.
	ReMin, ReMax float64
}

// Kind builds the kinds spec names (package kinds) for PSF field f and flux prior flux: one
// kind alone (stars only: a single kind of more parameters is not supported yet), or their
// mixture (model.Mixed) with spec's weights.
func (spec *KindSpec) Kind(f *psf.Field, flux model.FluxPrior) (model.SourceKind, error) {
	env := kinds.Env{PSF: f, Flux: flux, ReMin: spec.ReMin, ReMax: spec.ReMax}
	if len(spec.Names) == 1 {
		k, err := kinds.New(spec.Names[0], env)
		if err == nil && len(k.Params()) > 1 {
			err = fmt.Errorf("a single source kind other than stars (%q) is not supported yet: fit it beside stars", spec.Names[0])
		}
		return k, err
	}
	var members []model.SourceKind
	for _, name := range spec.Names {
		k, err := kinds.New(name, env)
		if err != nil {
			return nil, err
		}
		members = append(members, k)
	}
	return model.NewMixed(members, spec.Weights, flux)
}

// paramUnits are the units of the built-in kinds' parameters in the output files.
var paramUnits = map[string]string{"r_e": "pix", "q": "", "phi": "rad"}

// sourceKind returns the kind of source a job fits with PSF field f: point sources, or with
// Kinds a mixture of the kinds it names, or with Bands multi-band point sources.
func (job *Job) sourceKind(f *psf.Field) (model.SourceKind, error) {
	if job.multiBand() {
		return job.bandKind(f)
	}
	spec := job.Kinds
	if spec == nil {
		return &model.PointSource{PSF: f, Flux: job.Flux}, nil
	}
	m, err := spec.Kind(f, job.Flux)
	if err != nil {
		return nil, err
	}
	if r, im := m.Radius(), job.Image; 2*r+1 > min(im.Width, im.Height) {
		return nil, fmt.Errorf("sources of these kinds need stamps of %d px, more than the %d×%d image (for galaxies: lower the largest half-light radius, now %g px)", 2*r+1, im.Width, im.Height, spec.ReMax)
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

// KindsOf returns the catalogue files' description of a mixed kind's sources (names,
// parameters, units), nil for other kinds.
func KindsOf(kind model.SourceKind) *catalogue.Kinds {
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

// CatalogueSample returns a catalogue of sources of the given kind as one sample of the
// catalogue files, with for a mixed kind each source's kind and parameters (see KindsOf).
func CatalogueSample(cat *model.Catalogue, kind model.SourceKind) *catalogue.Sample {
	s := &catalogue.Sample{X: cat.X, Y: cat.Y, Flux: cat.Flux}
	if m, ok := kind.(*model.Mixed); ok {
		var buf []float64
		kindColumns(s, m, cat.Len(), func(i int) []float64 {
			buf = cat.Params(i, buf)
			return buf[1:]
		})
	}
	return s
}

// kindColumns fills s.Kind and s.Params for n sources of a mixed kind whose parameters beyond
// the flux (kind first, then the union of the members' parameters) extra(i) returns, NaN where
// a source's kind lacks a parameter.
func kindColumns(s *catalogue.Sample, m *model.Mixed, n int, extra func(i int) []float64) {
	names := m.Params()[2:]
	s.Kind = make([]int32, n)
	s.Params = make([][]float64, len(names))
	for j := range s.Params {
		s.Params[j] = make([]float64, n)
	}
	for i := range n {
		p := extra(i)
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
