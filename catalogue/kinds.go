package catalogue

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Kinds describes the source kinds of a catalogue of mixed kinds (model.Mixed: stars and
// galaxies): their names, and the parameters beyond flux that some of them have. Files then
// carry a `kind` column (an index into Names, which the file's metadata lists) and one column
// per parameter, null for the sources whose kind lacks it; a condensed catalogue also carries
// `p_galaxy`, the fraction of a source's samples in which it is a galaxy.
type Kinds struct {
	Names  []string
	Params []string
	// Units gives each parameter's unit ("" when it has none), for FITS TUNIT.
	Units []string
}

// kindsKey is the file metadata key holding a catalogue's Kinds as JSON.
const kindsKey = "probcat.kinds"

// IsGalaxy reports whether kind k is a galaxy (its name starts with "galaxy").
func (k *Kinds) IsGalaxy(i int) bool {
	return i >= 0 && i < len(k.Names) && strings.HasPrefix(k.Names[i], "galaxy")
}

// withKinds adds the kinds to a file's metadata (a copy).
func withKinds(meta map[string]string, k *Kinds) map[string]string {
	out := make(map[string]string, len(meta)+1)
	for key, v := range meta {
		out[key] = v
	}
	b, _ := json.Marshal(k)
	out[kindsKey] = string(b)
	return out
}

// kindsFromMeta returns the Kinds stored in a file's metadata, nil when it has none.
func kindsFromMeta(path string, meta map[string]string) (*Kinds, error) {
	v, ok := meta[kindsKey]
	if !ok {
		return nil, nil
	}
	var k Kinds
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return nil, fmt.Errorf("%s: bad %s metadata: %v", path, kindsKey, err)
	}
	return &k, nil
}

// kindColumns are the ensemble's columns for kinds: kind, then the parameters (nullable).
func (k *Kinds) kindColumns() []column {
	cols := []column{{"kind", kindInt32}}
	for _, p := range k.Params {
		cols = append(cols, column{p, kindOptDouble})
	}
	return cols
}

// modeKind returns the most frequent kind of fractions frac (the lowest index on ties), −1
// when frac is empty.
func modeKind(frac []float64) int {
	best := -1
	for i, f := range frac {
		if best < 0 || f > frac[best] {
			best = i
		}
	}
	return best
}

// pGalaxy sums the fractions of the galaxy kinds.
func (k *Kinds) pGalaxy(frac []float64) float64 {
	p := 0.0
	for i, f := range frac {
		if k.IsGalaxy(i) {
			p += f
		}
	}
	return p
}

// param returns the value of parameter j of a condensed source, NaN when it has none.
func param(c CondensedSource, j int) float64 {
	if j < len(c.Params) {
		return c.Params[j]
	}
	return math.NaN()
}
