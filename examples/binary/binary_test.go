package binary

import (
	"testing"

	"github.com/probcat/probcat/kinds"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/model/kindtest"
	"github.com/probcat/probcat/psf"
)

// TestContract runs the SourceKind conformance suite on the binary star: the test a kind's
// author writes.
func TestContract(t *testing.T) {
	p, err := psf.Gaussian(2.5)
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(kinds.Env{PSF: psf.Uniform(p), Flux: model.FluxPrior{Min: 250, Slope: 2}})
	if err != nil {
		t.Fatal(err)
	}
	kindtest.Test(t, k)
}
