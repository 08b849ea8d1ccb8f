package kinds

import (
	"slices"
	"strings"
	"testing"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/model/kindtest"
	"github.com/probcat/probcat/psf"
)

func env(t *testing.T) Env {
	t.Helper()
	p, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	return Env{PSF: psf.Uniform(p), Flux: model.FluxPrior{Min: 250, Slope: 2}, ReMin: 0.5, ReMax: 3}
}

// TestBuiltins builds every built-in kind by name and runs the conformance suite on it.
func TestBuiltins(t *testing.T) {
	for _, name := range []string{"star", "point", "galaxy", "galaxy-exp", "galaxy-dev"} {
		if !slices.Contains(Names(), name) {
			t.Fatalf("%q is not registered: %v", name, Names())
		}
		k, err := New(name, env(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { kindtest.Test(t, k) })
	}
	if !slices.IsSorted(Names()) {
		t.Errorf("Names() not sorted: %v", Names())
	}
}

// TestUnknownAndDuplicate checks that an unknown name is an error naming the known ones, and
// that registering a name twice panics.
func TestUnknownAndDuplicate(t *testing.T) {
	if _, err := New("quasar", env(t)); err == nil || !strings.Contains(err.Error(), "galaxy") {
		t.Errorf("unknown kind: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering star twice did not panic")
		}
	}()
	Register("star", func(Env) (model.SourceKind, error) { return nil, nil })
}
