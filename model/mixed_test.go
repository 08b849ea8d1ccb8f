package model_test

import (
	"testing"

	"github.com/probcat/probcat/kinds"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/model/kindtest"
	"github.com/probcat/probcat/psf"
)

// starsAndGalaxies returns a mixture of point sources (weight 0.7) and exponential and de
// Vaucouleurs galaxies (0.2, 0.1) seen through a Gaussian PSF of FWHM 2.5 px, built as the
// command line builds them (package kinds).
func starsAndGalaxies(t *testing.T) *model.Mixed {
	t.Helper()
	p, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	flux := model.FluxPrior{Min: 250, Slope: 2}
	env := kinds.Env{PSF: psf.Uniform(p), Flux: flux, ReMin: 0.8, ReMax: 4}
	var members []model.SourceKind
	for _, name := range []string{"star", "galaxy-exp", "galaxy-dev"} {
		k, err := kinds.New(name, env)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, k)
	}
	m, err := model.NewMixed(members, []float64{7, 2, 1}, flux)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMixedContract runs the conformance suite on stars and galaxies together: the prior's
// normalisation for each kind, and a Metropolis–Hastings chain on Perturb (kind switches
// included) keeping the prior, the kind's frequencies among it.
func TestMixedContract(t *testing.T) {
	m := starsAndGalaxies(t)
	if got, want := m.Params(), []string{"flux", "kind", "r_e", "q", "phi"}; !equal(got, want) {
		t.Fatalf("params %q, want %q", got, want)
	}
	kindtest.Test(t, m)
}

// TestMixedParamsOfOtherKinds checks that a source's prior is zero when it has a parameter
// its kind lacks, or a kind that is not one of the members. (Dropping the kind switch's
// Hastings term makes TestMixedContract fail: the chain's kinds leave their weights, KS 10.)
func TestMixedParamsOfOtherKinds(t *testing.T) {
	m := starsAndGalaxies(t)
	star := []float64{300, 0, 0, 0, 0}
	if lp := m.LogPrior(star); !(lp > -1e300) {
		t.Fatalf("a star's prior is %g", lp)
	}
	star[2] = 1 // a star with a half-light radius
	if lp := m.LogPrior(star); lp > -1e300 {
		t.Errorf("a star with r_e = 1 has prior %g, want −Inf", lp)
	}
	for _, k := range []float64{-1, 3, 0.5} {
		if lp := m.LogPrior([]float64{300, k, 0, 0, 0}); lp > -1e300 {
			t.Errorf("kind %g has prior %g, want −Inf", k, lp)
		}
	}
}

// TestNewMixedErrors checks the refusals.
func TestNewMixedErrors(t *testing.T) {
	p, _ := psf.Gaussian(2.5)
	flux := model.FluxPrior{Min: 250, Slope: 2}
	star := &model.PointSource{PSF: p, Flux: flux}
	for name, f := range map[string]func() (*model.Mixed, error){
		"one kind": func() (*model.Mixed, error) { return model.NewMixed([]model.SourceKind{star}, []float64{1}, flux) },
		"weights": func() (*model.Mixed, error) {
			return model.NewMixed([]model.SourceKind{star, star}, []float64{1}, flux)
		},
		"zero weight": func() (*model.Mixed, error) {
			return model.NewMixed([]model.SourceKind{star, star}, []float64{1, 0}, flux)
		},
		"same kind": func() (*model.Mixed, error) {
			return model.NewMixed([]model.SourceKind{star, star}, []float64{1, 1}, flux)
		},
		"bad flux": func() (*model.Mixed, error) {
			return model.NewMixed([]model.SourceKind{star, star}, []float64{1, 1}, model.FluxPrior{})
		},
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
