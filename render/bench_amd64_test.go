//go:build !purego && gc

package render

import "github.com/klauspost/cpuid/v2"

// peakLoops returns the FMA microbenchmarks this CPU can run.
func peakLoops() []peakLoop {
	var l []peakLoop
	if cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3) {
		l = append(l, peakLoop{"ymm", fmaPeak256, 2 * 12 * 8})
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		l = append(l, peakLoop{"zmm", fmaPeak512, 2 * 12 * 16})
	}
	return l
}
