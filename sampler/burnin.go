package sampler

// burnMode is whether SetBurnIn overrides Config.BurnIn, and how.
type burnMode uint8

const (
	burnByConfig burnMode = iota // burn-in is the first Config.BurnIn samples
	burnOn                       // SetBurnIn(true)
	burnOff                      // SetBurnIn(false)
)

// SetBurnIn overrides Config.BurnIn for the samples that follow: while on, Next marks its
// samples as burn-in (and, for NoiseFromModel images, refreshes the noise weights after each);
// when off, samples are kept and the weights stay frozen. It lets a caller end burn-in when
// the chains agree rather than after a fixed count (pipeline.Run does). The override is not
// part of a checkpoint: set it again after UnmarshalBinary.
func (c *Chain) SetBurnIn(on bool) {
	if on {
		c.burnMode = burnOn
	} else {
		c.burnMode = burnOff
	}
}

// inBurnIn reports whether the next sample is a burn-in sample.
func (c *Chain) inBurnIn() bool {
	switch c.burnMode {
	case burnOn:
		return true
	case burnOff:
		return false
	}
	return c.samples < c.cfg.BurnIn
}
