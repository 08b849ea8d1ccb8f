package sampler

import (
	"testing"

	"github.com/probcat/probcat/model"
)

// TestPriorRecoveryRefit switches the likelihood off and changes N only through refit births
// and deaths, with flux-group updates beside the moves: N must follow the Poisson prior and
// the fluxes the power law. The field is dense enough (12 sources on 40×40 px, a refit radius
// of 8 px) that most refits change neighbours' fluxes, so the test fails if the proposal
// densities of the neighbours' fluxes are wrong.
func TestPriorRecoveryRefit(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.01, 3)
	lam := 12.0
	cfg := priorConfig(model.Poisson{Density: lam / 1600})
	cfg.Weights = MoveWeights{Move: 40, Refit: 60, FluxGroup: 20}
	cfg.RefitRadius = 8
	cfg.RefitScale = 2
	samples := collect(t, img, kind, cfg, 4000)
	var st [NumMoveTypes]MoveStats
	for _, s := range samples {
		for m := range st {
			st[m].Proposed += s.Moves[m].Proposed
			st[m].Accepted += s.Moves[m].Accepted
		}
	}
	for _, m := range []MoveType{RefitBirth, RefitDeath, FluxGroup} {
		t.Logf("%s: %d proposed, acceptance %.3f", m, st[m].Proposed, st[m].Rate())
		if st[m].Accepted == 0 {
			t.Fatalf("no %s accepted", m)
		}
	}
	if st[Birth].Proposed != 0 {
		t.Fatal("plain births were proposed with zero birth weight")
	}
	kept := thin(t, samples[200:])
	checkCounts(t, kept, lam)
	checkFluxes(t, kept, kind.Flux)
}
