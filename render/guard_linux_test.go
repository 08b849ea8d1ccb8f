package render

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// TestAddSourcesReadsOnlyTheTable places the flat coefficient table (which has no padding)
// right before an unreadable page, so that a kernel reading past its end crashes the test.
func TestAddSourcesReadsOnlyTheTable(t *testing.T) {
	page := syscall.Getpagesize()
	data := (NumCoeffs*25*25*4 + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), data/4)
	eachPath(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(17, 18))
		for size := 1; size <= 25; size += 2 {
			n := NumCoeffs * size * size
			coeffs := all[len(all)-n:]
			copy(coeffs, randomTable(rng, size))
			// Stamps at the lower right corner of the box, clipped to a few columns, read
			// the last row of the last term.
			for x := 0; x < 40; x++ {
				dst := make([]float32, 40*40)
				k.addSources(dst, 40, 40, 40, coeffs, size, []float32{float32(x) + 0.3}, []float32{39.4}, []float32{1})
			}
		}
	})
}
