package score

import (
	"fmt"

	"github.com/probcat/probcat/catalogue"
)

// ReadReference reads a truth catalogue: any catalogue catalogue.ReadEstimates reads as a
// single catalogue, whose fluxes zp turns into magnitudes.
func ReadReference(path string, zp float64) (Reference, error) {
	s, ens, err := catalogue.ReadEstimates(path)
	if err != nil {
		return Reference{}, err
	}
	if ens {
		return Reference{}, fmt.Errorf("%s: a reference must be a single catalogue, not an ensemble", path)
	}
	return NewReference(s[0].X, s[0].Y, s[0].Flux, zp), nil
}
