package sampler

// setBudgets shares out, at the start of a pass, the sources that Config.MaxSources still
// allows among the pass's nreg active regions, n being the number of sources then. Regions
// run concurrently, each seeing only its own sources, so a cap checked against the count at
// the start of the pass would let every region add up to the cap's slack at once; with a
// budget per region, fixed before any region runs, the pass can never end above the cap.
// The budgets depend only on the pass's regions and n, never on which thread runs which
// region, so the samples stay the same whatever the number of threads.
//
// A region makes Config.RegionProposals proposals per pass, each adding at most one source,
// so while the slack is at least that many per region no budget can bind and the chain is the
// one the cap alone defines. Closer to the cap the slack is split evenly, the first regions of
// the pass taking one more each when it does not divide (the regions' order starts at a
// random offset every pass); refused proposals are counted (Sample.CapRefusals), because a
// binding cap truncates the posterior.
func (c *Chain) setBudgets(nreg, n int) {
	slack := max(c.cfg.MaxSources-n, 0)
	per, extra := slack, 0
	if nreg > 0 {
		per, extra = slack/nreg, slack%nreg
	}
	for ri := 0; ri < nreg; ri++ {
		b := per
		if ri < extra {
			b++
		}
		c.regions[ri].budget = b
		c.regions[ri].capped = 0
	}
}

// full reports whether region r has added as many sources as its budget allows this pass,
// and counts the refusal when it has. Proposals that add a source (births, splits, emits)
// ask it first.
func (r *region) full() bool {
	if r.n-r.n0 < r.budget {
		return false
	}
	r.capped++
	return true
}
