//go:build !purego

package render

import "github.com/klauspost/cpuid/v2"

//go:generate sh -c "cd ../_generate && go run . -out ../render/kernels_amd64.s -stubs ../render/kernels_amd64.go -pkg render"

var (
	avx2Kernels   = &kernels{name: "avx2", addSpans: addSpansAVX2, deltaSpans: deltaSpansAVX2, deltaBox: deltaBoxAVX2, applyBox: applyBoxAVX2}
	avx512Kernels = &kernels{name: "avx512", addSpans: addSpansAVX512, deltaSpans: deltaSpansAVX512, deltaBox: deltaBoxAVX512, applyBox: applyBoxAVX512}
)

// accelerated returns the assembly paths this CPU supports, slowest first.
func accelerated() []*kernels {
	var ks []*kernels
	if cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.BMI2) {
		ks = append(ks, avx2Kernels)
		if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ) {
			ks = append(ks, avx512Kernels)
		}
	}
	return ks
}
