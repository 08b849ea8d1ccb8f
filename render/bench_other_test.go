//go:build purego || !amd64 || !gc

package render

// peakLoops returns no FMA microbenchmarks: this build has no assembly.
func peakLoops() []peakLoop { return nil }
