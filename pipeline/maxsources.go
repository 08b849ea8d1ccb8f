package pipeline

// capRecord sums the proposals that Config.MaxSources refused over the kept samples and gives
// run.json's record of the cap: the cap, the refusals, the largest N of a kept sample, and
// whether the cap binds (refusals > 0: the samples then come from a posterior truncated at
// the cap, so they may understate the number of sources).
func capRecord(maxSources int, recs [][]record) (map[string]any, int64) {
	var refused int64
	maxN := 0
	for _, rs := range recs {
		for i := range rs {
			refused += rs[i].CapRefusals
			maxN = max(maxN, len(rs[i].X))
		}
	}
	return map[string]any{"cap": maxSources, "refusals": refused, "max_n": maxN, "binds": refused > 0}, refused
}
