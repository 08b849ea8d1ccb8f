package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Mixed is a SourceKind made of several kinds (stars and galaxies, say): a source is one of
// them, with that kind's parameters. Through it one chain holds a catalogue of mixed kinds
// without the sampler knowing: births draw a kind with probability Weights[k] and then its
// parameters, and Perturb sometimes proposes a switch of kind.
//
// Its parameters are "flux", "kind" (the index k of Kinds, stored as a float) and then the
// union of the members' other parameters, by name, in order of first appearance: galaxies'
// "r_e", "q", "phi" are shared by an exponential and a de Vaucouleurs kind. A parameter a
// source's kind does not have is 0.
//
// The prior of a source is Weights[k]·p_k(θ_k), a normalised density over the union of the
// kinds' spaces. Every member must have the same flux prior, independent of its other
// parameters (true of PointSource and galaxy.Kind built with the same FluxPrior): the kind
// switch keeps the flux and redraws the other parameters from the new kind's prior, which
// makes its Hastings term a difference of the members' log priors (see Perturb).
type Mixed struct {
	Kinds   []SourceKind
	Weights []float64 // prior probability of each kind, summing to 1
	// Flux is the members' common flux prior.
	Flux FluxPrior
	// Switch is the probability that Perturb proposes a change of kind (0 never).
	Switch float64

	params []string
	index  [][]int // index[k][j]: position in the union of member k's parameter j
	lacks  [][]int // lacks[k]: the positions ≥ 2 of the union that member k has not
}

// NewMixed returns the mixture of kinds with prior weights (normalised here), common flux
// prior flux and a kind switch proposed by 20 % of Perturb's calls.
func NewMixed(kinds []SourceKind, weights []float64, flux FluxPrior) (*Mixed, error) {
	if len(kinds) < 2 || len(weights) != len(kinds) {
		return nil, fmt.Errorf("a mixed kind needs two kinds or more and one weight per kind (got %d kinds, %d weights)", len(kinds), len(weights))
	}
	if err := flux.Validate(); err != nil {
		return nil, err
	}
	sum := 0.0
	for _, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("kind weights must be positive and finite, got %v", weights)
		}
		sum += w
	}
	m := &Mixed{Kinds: kinds, Flux: flux, Switch: 0.2, params: []string{"flux", "kind"}}
	for _, w := range weights {
		m.Weights = append(m.Weights, w/sum)
	}
	names := map[string]bool{}
	for _, k := range kinds {
		ps := k.Params()
		if len(ps) == 0 || ps[0] != "flux" {
			return nil, fmt.Errorf("kind %q: its first parameter must be flux", k.Name())
		}
		if names[k.Name()] {
			return nil, fmt.Errorf("kind %q appears twice", k.Name())
		}
		names[k.Name()] = true
		idx := []int{0}
		for _, p := range ps[1:] {
			if p == "kind" {
				return nil, fmt.Errorf("kind %q has a parameter named \"kind\"", k.Name())
			}
			j := slices.Index(m.params, p)
			if j < 0 {
				j = len(m.params)
				m.params = append(m.params, p)
			}
			idx = append(idx, j)
		}
		m.index = append(m.index, idx)
	}
	for _, idx := range m.index {
		var lack []int
		for i := 2; i < len(m.params); i++ {
			if !slices.Contains(idx, i) {
				lack = append(lack, i)
			}
		}
		m.lacks = append(m.lacks, lack)
	}
	return m, nil
}

// Name implements SourceKind: the members' names joined by "+".
func (m *Mixed) Name() string {
	names := make([]string, len(m.Kinds))
	for i, k := range m.Kinds {
		names[i] = k.Name()
	}
	return strings.Join(names, "+")
}

// Params implements SourceKind.
func (m *Mixed) Params() []string { return m.params }

// Radius implements SourceKind: the largest member's.
func (m *Mixed) Radius() int {
	r := 0
	for _, k := range m.Kinds {
		r = max(r, k.Radius())
	}
	return r
}

// RadiusOf implements SourceRadius: the source's member's RadiusOf when it has one, else its
// Radius.
func (m *Mixed) RadiusOf(params []float64) int {
	k := m.KindOf(params)
	if k < 0 {
		return m.Radius()
	}
	if r, ok := m.Kinds[k].(SourceRadius); ok {
		return r.RadiusOf(m.member(k, params))
	}
	return m.Kinds[k].Radius()
}

// KindOf returns the member index of a source with parameters params, or −1 when params[1]
// is not one.
func (m *Mixed) KindOf(params []float64) int {
	k := params[1]
	if !(k >= 0 && k < float64(len(m.Kinds))) || k != math.Trunc(k) {
		return -1
	}
	return int(k)
}

// FluxOnly implements Splittable: a source of a member whose only parameter is the flux (a
// star) is described by its flux alone.
func (m *Mixed) FluxOnly(params []float64) bool {
	k := m.KindOf(params)
	return k >= 0 && len(m.index[k]) == 1
}

// MinFlux implements Splittable: the members' common f_min.
func (m *Mixed) MinFlux() float64 { return m.Flux.Min }

// Has reports whether member k has the parameter called name.
func (m *Mixed) Has(k int, name string) bool {
	for _, i := range m.index[k] {
		if m.params[i] == name {
			return true
		}
	}
	return false
}

// member returns kind k's parameters gathered from params, for reading only: params[:1] for a
// flux-only member (a star), else a new slice (a Mixed holds no scratch space, so the
// sampler's workers may share it).
func (m *Mixed) member(k int, params []float64) []float64 {
	if len(m.index[k]) == 1 {
		return params[:1]
	}
	t := make([]float64, len(m.index[k]))
	for j, i := range m.index[k] {
		t[j] = params[i]
	}
	return t
}

// scatter writes kind k's parameters t into params, zeroing the parameters k lacks.
func (m *Mixed) scatter(k int, t, params []float64) {
	clear(params)
	params[1] = float64(k)
	for j, i := range m.index[k] {
		params[i] = t[j]
	}
}

// LogPrior implements SourceKind: ln Weights[k] + ln p_k(θ_k), −Inf when a parameter kind k
// lacks is not 0.
func (m *Mixed) LogPrior(params []float64) float64 {
	k := m.KindOf(params)
	if k < 0 {
		return math.Inf(-1)
	}
	for _, i := range m.lacks[k] {
		if params[i] != 0 {
			return math.Inf(-1)
		}
	}
	return math.Log(m.Weights[k]) + m.Kinds[k].LogPrior(m.member(k, params))
}

// SamplePrior implements SourceKind.
func (m *Mixed) SamplePrior(rng *rand.Rand, dst []float64) {
	u := rng.Float64()
	k := 0
	for k < len(m.Weights)-1 && u >= m.Weights[k] {
		u -= m.Weights[k]
		k++
	}
	t := make([]float64, len(m.index[k]))
	m.Kinds[k].SamplePrior(rng, t)
	m.scatter(k, t, dst)
}

// Perturb implements SourceKind. With probability Switch it proposes kind j, uniform among
// the others, keeping the flux f and drawing j's other parameters u_j from j's prior given f,
// whose density is p_j(f, u_j)/p(f) (the flux prior being common and independent); the
// reverse switch draws the old parameters from k's the same way, so
//
//	ln q(old|new) − ln q(new|old) = ln p_k(f, u_k) − ln p_j(f, u_j),
//
// and with the prior ratio the acceptance leaves ln Weights[j] − ln Weights[k] + ΔlnL.
// Otherwise it is the member's own Perturb.
func (m *Mixed) Perturb(rng *rand.Rand, old, dst []float64, scale float64) float64 {
	k := m.KindOf(old)
	if k < 0 {
		copy(dst, old)
		return 0
	}
	if m.Switch > 0 && rng.Float64() < m.Switch {
		j := rng.IntN(len(m.Kinds) - 1)
		if j >= k {
			j++
		}
		lpOld := m.Kinds[k].LogPrior(m.member(k, old))
		f := old[0]
		t := make([]float64, len(m.index[j]))
		m.Kinds[j].SamplePrior(rng, t)
		t[0] = f
		lpNew := m.Kinds[j].LogPrior(t)
		m.scatter(j, t, dst)
		return lpOld - lpNew
	}
	if len(m.index[k]) == 1 { // a flux-only member perturbs in place
		clear(dst)
		dst[1] = float64(k)
		return m.Kinds[k].Perturb(rng, old[:1], dst[:1], scale)
	}
	t := m.member(k, old)
	nt := make([]float64, len(t))
	lq := m.Kinds[k].Perturb(rng, t, nt, scale)
	m.scatter(k, nt, dst)
	return lq
}

// Render implements SourceKind with the source's own kind.
func (m *Mixed) Render(b Box, x, y float64, params []float64, sign float64) {
	if k := m.KindOf(params); k >= 0 {
		m.Kinds[k].Render(b, x, y, m.member(k, params), sign)
	}
}
