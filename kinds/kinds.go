// Package kinds is the registry of source kinds that the command line (`probcat sample --kinds
// star,galaxy`) and the pipeline build by name. A researcher who writes a kind registers it
// with one line, kinds.Register("binary", binary.New), in an init function of a file the
// command imports (cmd/probcat/kinds.go lists them); see docs/extending.md.
package kinds

import (
	"fmt"
	"slices"
	"sync"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
)

// Env is what a kind's constructor may use.
type Env struct {
	// PSF is the image's PSF (it may vary across the image: psf.Field.At).
	PSF *psf.Field
	// Flux is the flux prior; in a catalogue of several kinds every kind must use it (see
	// model.Mixed).
	Flux model.FluxPrior
	// ReMin and ReMax bound the half-light radii of extended kinds, in pixels.
	ReMin, ReMax float64
}

// Constructor builds a kind for an image.
type Constructor func(Env) (model.SourceKind, error)

var (
	mu    sync.RWMutex
	table = map[string]Constructor{}
)

// Register makes a kind available under name. It panics if the name is taken or empty: kinds
// register from init functions, where a clash is a programming error.
func Register(name string, c Constructor) {
	mu.Lock()
	defer mu.Unlock()
	if name == "" || c == nil {
		panic("kinds: Register needs a name and a constructor")
	}
	if _, dup := table[name]; dup {
		panic("kinds: " + name + " registered twice")
	}
	table[name] = c
}

// New builds the kind registered under name.
func New(name string, env Env) (model.SourceKind, error) {
	mu.RLock()
	c, ok := table[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown source kind %q (known: %v)", name, Names())
	}
	k, err := c(env)
	if err != nil {
		return nil, fmt.Errorf("source kind %q: %w", name, err)
	}
	if k.Radius() < 0 {
		return nil, fmt.Errorf("source kind %q has a negative radius", name)
	}
	return k, nil
}

// Names returns the registered names, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(table))
	for n := range table {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
