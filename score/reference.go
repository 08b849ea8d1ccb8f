package score

import (
	"fmt"

	"github.com/probcat/probcat/catalogue"
)

// ReadReference reads a truth catalogue: any catalogue catalogue.ReadEstimates reads as a
// single catalogue, whose fluxes zp turns into magnitudes.
func ReadReference(path string, zp float64) (Reference, error) {
	s, err := ReadReferenceSample(path)
	if err != nil {
		return Reference{}, err
	}
	return NewReference(s.X, s.Y, s.Flux, zp), nil
}

// ReadReferenceSample reads a truth catalogue as ReadReference does, but returns it whole (with
// its kinds and parameters), for callers that select sources before scoring.
func ReadReferenceSample(path string) (catalogue.Sample, error) {
	s, ens, err := catalogue.ReadEstimates(path)
	if err != nil {
		return catalogue.Sample{}, err
	}
	if ens {
		return catalogue.Sample{}, fmt.Errorf("%s: a reference must be a single catalogue, not an ensemble", path)
	}
	return s[0], nil
}
