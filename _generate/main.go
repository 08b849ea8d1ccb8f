// Command _generate writes probcat's render kernels for amd64 (AVX2+FMA and AVX-512F) with
// avo. It runs from render/ through `go generate` and has its own module so that avo never
// enters probcat's go.mod:
//
//	go run . -out ../render/kernels_amd64.s -stubs ../render/kernels_amd64.go -pkg render
//
// The kernels work on "spans" prepared (and clipped) in Go, see render/span.go: per span four
// int32 values (dst offset, table offset, columns, rows) in geo and ten float32 basis weights
// in wts. For a piecewise table (render.NewPieceTable) the table offset already includes the
// offset of the source's piece, so the kernels read each stamp's piece at no extra cost. The table holds the cubic sub-pixel coefficients: term t of stamp pixel (u, v) is at
// tab[off + v·rowStride + t·termStride + u]. Vectors run along a stamp row (u); the loops are
// chunk-major (for each chunk of columns, every row), so one mask serves a whole column chunk,
// except that on AVX-512 a stamp 17 to 32 columns wide (a whole 25×25 stamp) takes both chunks
// of a row in one iteration (more independent FMA chains, one pass over the table).
// Coefficient loads are not masked: the Go side guarantees the table is padded past its end.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const spansSig = "func(dst []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32)"
const deltaSpansSig = "func(resid, weight []float32, stride int, tab []float32, termStride, rowStride int, geo []int32, wts []float32) float64"
const pairsSig = spansSig
const deltaBoxSig = "func(resid, weight []float32, rstride int, delta []float32, dstride, w, h int) float64"
const applySig = "func(resid []float32, rstride int, delta []float32, dstride, w, h int)"
const posSquaresSig = "func(a, b []float32, stride, w, h int) float64"
const posSquaresChangeSig = "func(a, d, b []float32, stride, w, h int) float64"
const weightedDotsSig = "func(a, wt, b []float32, stride, w, h int) (ab, aa float64)"

// isa describes one instruction set: vector width and how to make vector registers and
// masked loads and stores.
type isa struct {
	name  string
	lanes int
	vec   func() VecVirtual
}

var (
	avx512 = isa{name: "AVX512", lanes: 16, vec: ZMM}
	avx2   = isa{name: "AVX2", lanes: 8, vec: YMM}
)

// maskTab is 8 all-ones int32 words then 8 zeros: loading 8 words at (8−m)·4 gives an AVX2
// lane mask of the first m lanes.
var maskTab Mem

// half is eight float32 halves.
var half Mem

func main() {
	ConstraintExpr("!purego,gc")
	maskTab = GLOBL("maskTab", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	half = GLOBL("half", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, F32(0.5))
	}

	for _, s := range []isa{avx512, avx2} {
		addSpans(s, false)
		addSpans(s, true)
		deltaSpans(s)
		deltaBox(s)
		applyBox(s)
		positiveSquares(s)
		positiveSquaresChange(s)
		weightedDots(s)
	}
	addPairs()
	fmaPeak("fmaPeak512", ZMM, 16)
	fmaPeak("fmaPeak256", YMM, 8)
	Generate()
}

// table holds the registers that address the ten coefficient rows of one stamp row.
type table struct {
	c0, c1, c6, p Register
}

// mem returns the address of coefficient term t: c0 + t·p via the three bases.
func (tb table) mem(t int) Mem {
	switch t {
	case 0:
		return Mem{Base: tb.c0}
	case 1, 2, 4, 8:
		return Mem{Base: tb.c0, Index: tb.p, Scale: uint8(t)}
	case 3, 5, 9:
		return Mem{Base: tb.c1, Index: tb.p, Scale: uint8(t - 1)}
	case 6:
		return Mem{Base: tb.c6}
	case 7:
		return Mem{Base: tb.c6, Index: tb.p, Scale: 1}
	}
	panic("term out of range")
}

// setBases points c1 and c6 at terms 1 and 6 of the row that c0 addresses.
func (tb table) setBases() {
	LEAQ(Mem{Base: tb.c0, Index: tb.p, Scale: 1}, tb.c1)
	LEAQ(Mem{Base: tb.c1, Index: tb.p, Scale: 4}, tb.c6)
	ADDQ(tb.p, tb.c6)
}

// polynomial computes a = Σ_t w_t·coef_t in two chains to halve the dependency latency; b is
// scratch. With guard (a table without padding), coefficient loads must not run past the
// columns of the chunk: AVX-512 masks them with K1 (masked-off lanes are not read), AVX2
// loads them with ymask when the chunk is masked.
func polynomial(s isa, tb table, w []VecVirtual, a, b VecVirtual, guard, masked bool, ymask VecVirtual) {
	acc := func(t int) VecVirtual {
		if t%2 == 0 {
			return a
		}
		return b
	}
	for t := 0; t < 10; t++ {
		switch {
		case !guard || (s.lanes == 8 && !masked):
			if t < 2 {
				VMULPS(tb.mem(t), w[t], acc(t))
			} else {
				VFMADD231PS(tb.mem(t), w[t], acc(t))
			}
		case s.lanes == 16:
			if t < 2 {
				VMULPS_Z(tb.mem(t), w[t], K1, acc(t))
			} else {
				VFMADD231PS(tb.mem(t), w[t], K1, acc(t))
			}
		default:
			c := s.vec()
			VMASKMOVPS(tb.mem(t), ymask, c)
			if t < 2 {
				VMULPS(c, w[t], acc(t))
			} else {
				VFMADD231PS(c, w[t], acc(t))
			}
		}
	}
	VADDPS(b, a, a)
}

// loadWeights broadcasts the ten basis weights of the current span.
func loadWeights(s isa, wts Register) []VecVirtual {
	w := make([]VecVirtual, 10)
	for t := range w {
		w[t] = s.vec()
		VBROADCASTSS(Mem{Base: wts, Disp: 4 * t}, w[t])
	}
	return w
}

// spanLoop emits the loop over spans: for each span it loads the weights, sets up pointers for
// each chunk of columns and calls body for every row of the chunk, once for full chunks and
// once (AVX2) for the masked tail. body receives the weights, the table registers, a pointer
// to the row's pixels in the slice named base and whether the chunk is masked (AVX2 mask in
// ymask; AVX-512 uses K1 always).
//
// With wide (AVX-512 only; nil for none), spans 17 to 32 columns wide take one iteration per
// row instead: wide receives the row's pixel pointer and handles both column chunks, the
// second masked by K1.
func spanLoop(s isa, name, base string, body func(w []VecVirtual, tb table, off Register, masked bool, ymask VecVirtual), wide func(w []VecVirtual, tb table, off Register)) {
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	p := Load(Param("termStride"), GP64())
	SHLQ(U8(2), p)
	rs := Load(Param("rowStride"), GP64())
	SHLQ(U8(2), rs)
	geo := Load(Param("geo").Base(), GP64())
	wts := Load(Param("wts").Base(), GP64())
	n := Load(Param("geo").Len(), GP64())
	SHRQ(U8(2), n)
	count := AllocLocal(8)
	MOVQ(n, count)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))

	Label(name + "_span")
	w := loadWeights(s, wts)
	cols := GP64()
	MOVLQSX(Mem{Base: geo, Disp: 8}, cols)
	j := GP64() // byte offset of the column chunk
	XORQ(j, j)
	tb := table{c0: GP64(), c1: GP64(), c6: GP64(), p: p}
	off := GP64()
	rows := GP64()

	// chunkSetup points off and c0 at the first row of the chunk and loads the row count.
	chunkSetup := func() {
		MOVLQSX(Mem{Base: geo}, off)
		SHLQ(U8(2), off)
		ADDQ(j, off)
		b := Load(Param(base).Base(), GP64())
		ADDQ(b, off)
		MOVLQSX(Mem{Base: geo, Disp: 4}, tb.c0)
		SHLQ(U8(2), tb.c0)
		ADDQ(j, tb.c0)
		t := Load(Param("tab").Base(), GP64())
		ADDQ(t, tb.c0)
		MOVLQSX(Mem{Base: geo, Disp: 12}, rows)
	}
	rowLoop := func(label string, masked bool, ymask VecVirtual) {
		Label(label)
		tb.setBases()
		body(w, tb, off, masked, ymask)
		ADDQ(stride, off)
		ADDQ(rs, tb.c0)
		DECQ(rows)
		JNZ(LabelRef(label))
	}

	if s.lanes == 16 && wide != nil {
		CMPQ(cols, U8(16))
		JLE(LabelRef(name + "_chunk"))
		CMPQ(cols, U8(32))
		JG(LabelRef(name + "_chunk"))
		m := GP32()
		MOVL(U32(0xffff), m)
		tail := GP32()
		LEAL(Mem{Base: cols.As32(), Disp: -16}, tail)
		BZHIL(tail, m, m)
		KMOVW(m, K1)
		chunkSetup()
		Label(name + "_wide")
		tb.setBases()
		wide(w, tb, off)
		ADDQ(stride, off)
		ADDQ(rs, tb.c0)
		DECQ(rows)
		JNZ(LabelRef(name + "_wide"))
		JMP(LabelRef(name + "_next"))
	}

	Label(name + "_chunk")
	if s.lanes == 16 {
		setK1(cols)
		chunkSetup()
		rowLoop(name+"_row", true, nil)
		ADDQ(U8(64), j)
		SUBQ(U8(16), cols)
		JG(LabelRef(name + "_chunk"))
	} else {
		CMPQ(cols, U8(8))
		JL(LabelRef(name + "_tail"))
		chunkSetup()
		rowLoop(name+"_row", false, nil)
		ADDQ(U8(32), j)
		SUBQ(U8(8), cols)
		JMP(LabelRef(name + "_chunk"))

		Label(name + "_tail")
		TESTQ(cols, cols)
		JZ(LabelRef(name + "_next"))
		ymask := YMM()
		mt := GP64()
		LEAQ(maskTab.Offset(32), mt)
		SHLQ(U8(2), cols)
		SUBQ(cols, mt)
		VMOVDQU(Mem{Base: mt}, ymask)
		chunkSetup()
		rowLoop(name+"_tailrow", true, ymask)
	}
	Label(name + "_next")
	ADDQ(U8(16), geo)
	ADDQ(U8(40), wts)
	DECQ(count)
	JNZ(LabelRef(name + "_span"))
	Label(name + "_done")
}

// addSpans emits addSpans (for padded tables) or, with guard, addSpansFlat (for the flat
// NumCoeffs × size² table, which has no padding after its last row).
func addSpans(s isa, guard bool) {
	name := "addSpans" + s.name
	doc := name + " adds every span's polynomial stamp into dst (" + s.name + ")."
	if guard {
		name = "addSpansFlat" + s.name
		doc = name + " adds every span's polynomial stamp into dst (" + s.name + "), reading no coefficient beyond the span's columns."
	}
	TEXT(name, NOSPLIT, spansSig)
	Pragma("noescape")
	Doc(doc, "")
	var wide func(w []VecVirtual, tb table, off Register)
	if !guard {
		wide = addWideRow
	}
	spanLoop(s, name, "dst", func(w []VecVirtual, tb table, off Register, masked bool, ymask VecVirtual) {
		addr := Mem{Base: off}
		a, b, d := s.vec(), s.vec(), s.vec()
		switch {
		case s.lanes == 16:
			VMOVUPS_Z(addr, K1, d)
		case masked:
			VMASKMOVPS(addr, ymask, d)
		default:
			VMOVUPS(addr, d)
		}
		// The stamp is summed on its own and then added to the pixel, so that a pixel
		// far smaller than the stamp's terms is rounded once, not at every term.
		polynomial(s, tb, w, a, b, guard, masked, ymask)
		VADDPS(d, a, a)
		switch {
		case s.lanes == 16:
			VMOVUPS(a, K1, addr)
		case masked:
			VMASKMOVPS(a, ymask, addr)
		default:
			VMOVUPS(a, addr)
		}
	}, wide)
	VZEROUPPER()
	RET()
}

// addWideRow adds one stamp row of 17 to 32 columns at off (AVX-512): both column chunks'
// polynomials in four independent chains, the second chunk masked by K1.
func addWideRow(w []VecVirtual, tb table, off Register) {
	var acc [2][2]VecVirtual // [chunk][chain]
	for ch := range acc {
		acc[ch] = [2]VecVirtual{ZMM(), ZMM()}
	}
	for t := 0; t < 10; t++ {
		for ch := range acc {
			c := tb.mem(t).Offset(64 * ch)
			if t < 2 {
				VMULPS(c, w[t], acc[ch][t%2])
			} else {
				VFMADD231PS(c, w[t], acc[ch][t%2])
			}
		}
	}
	for ch := range acc {
		a, b := acc[ch][0], acc[ch][1]
		addr := Mem{Base: off, Disp: 64 * ch}
		VADDPS(b, a, a)
		if ch == 0 {
			VADDPS(addr, a, a)
			VMOVUPS(a, addr)
		} else {
			d := ZMM()
			VMOVUPS_Z(addr, K1, d)
			VADDPS(d, a, a)
			VMOVUPS(a, K1, addr)
		}
	}
}

// addPairs emits addPairsAVX512: like addSpans, but for pairs of stamps with the same clipped
// geometry (the same table offset, columns and rows) at two places in dst, so that each
// coefficient load serves two sources. geo holds eight int32 per pair (dst offset of A and of
// B, table offset, columns, rows, three unused), wts twenty weights (A's then B's). B's
// pixels are read after A's are written, so the two stamps may overlap.
func addPairs() {
	const name = "addPairsAVX512"
	TEXT(name, NOSPLIT, pairsSig)
	Pragma("noescape")
	Doc(name+" adds pairs of same-geometry stamps into dst (AVX512), sharing coefficient loads.", "")
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	p := Load(Param("termStride"), GP64())
	SHLQ(U8(2), p)
	rs := Load(Param("rowStride"), GP64())
	SHLQ(U8(2), rs)
	geo := Load(Param("geo").Base(), GP64())
	wts := Load(Param("wts").Base(), GP64())
	n := Load(Param("geo").Len(), GP64())
	SHRQ(U8(3), n)
	count := AllocLocal(8)
	MOVQ(n, count)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))

	Label(name + "_pair")
	wa := make([]VecVirtual, 10)
	wb := make([]VecVirtual, 10)
	for t := range wa {
		wa[t], wb[t] = ZMM(), ZMM()
		VBROADCASTSS(Mem{Base: wts, Disp: 4 * t}, wa[t])
		VBROADCASTSS(Mem{Base: wts, Disp: 40 + 4*t}, wb[t])
	}
	cols := GP64()
	MOVLQSX(Mem{Base: geo, Disp: 12}, cols)
	j := GP64()
	XORQ(j, j)
	tb := table{c0: GP64(), c1: GP64(), c6: GP64(), p: p}
	offA, offB, rows := GP64(), GP64(), GP64()

	// setup points offA, offB and c0 at the first row of column chunk j and loads the
	// row count.
	setup := func() {
		base := Load(Param("dst").Base(), GP64())
		for i, off := range []GPVirtual{offA, offB} {
			MOVLQSX(Mem{Base: geo, Disp: 4 * i}, off)
			SHLQ(U8(2), off)
			ADDQ(j, off)
			ADDQ(base, off)
		}
		MOVLQSX(Mem{Base: geo, Disp: 8}, tb.c0)
		SHLQ(U8(2), tb.c0)
		ADDQ(j, tb.c0)
		tab := Load(Param("tab").Base(), GP64())
		ADDQ(tab, tb.c0)
		MOVLQSX(Mem{Base: geo, Disp: 16}, rows)
	}

	// Stamps 17 to 32 columns wide (a whole 25×25 stamp) take both column chunks of a row
	// in one iteration: eight independent chains instead of four, and half the loop
	// overhead. K1 masks the second chunk.
	CMPQ(cols, U8(16))
	JLE(LabelRef(name + "_chunk"))
	CMPQ(cols, U8(32))
	JG(LabelRef(name + "_chunk"))
	{
		m := GP32()
		MOVL(U32(0xffff), m)
		tail := GP32()
		LEAL(Mem{Base: cols.As32(), Disp: -16}, tail)
		BZHIL(tail, m, m)
		KMOVW(m, K1)
		setup()
		Label(name + "_wide")
		tb.setBases()
		var acc [2][2][2]VecVirtual // [chunk][stamp][chain]
		for ch := range acc {
			for st := range acc[ch] {
				acc[ch][st] = [2]VecVirtual{ZMM(), ZMM()}
			}
		}
		for t := 0; t < 10; t++ {
			for ch := range acc {
				c := ZMM()
				VMOVUPS(tb.mem(t).Offset(64*ch), c)
				for st, w := range [][]VecVirtual{wa, wb} {
					a := acc[ch][st][t%2]
					if t < 2 {
						VMULPS(c, w[t], a)
					} else {
						VFMADD231PS(c, w[t], a)
					}
				}
			}
		}
		for st, off := range []GPVirtual{offA, offB} {
			for ch := range acc {
				a, b := acc[ch][st][0], acc[ch][st][1]
				d := ZMM()
				addr := Mem{Base: off, Disp: 64 * ch}
				VADDPS(b, a, a)
				if ch == 0 {
					VADDPS(addr, a, a)
					VMOVUPS(a, addr)
				} else {
					VMOVUPS_Z(addr, K1, d)
					VADDPS(d, a, a)
					VMOVUPS(a, K1, addr)
				}
			}
		}
		ADDQ(stride, offA)
		ADDQ(stride, offB)
		ADDQ(rs, tb.c0)
		DECQ(rows)
		JNZ(LabelRef(name + "_wide"))
		JMP(LabelRef(name + "_next"))
	}

	Label(name + "_chunk")
	setK1(cols)
	setup()

	Label(name + "_row")
	tb.setBases()
	aa, ba, ab, bb := ZMM(), ZMM(), ZMM(), ZMM()
	for t := 0; t < 10; t++ {
		c := ZMM()
		VMOVUPS(tb.mem(t), c)
		switch t {
		case 0:
			VMULPS(c, wa[0], aa)
			VMULPS(c, wb[0], ab)
		case 1:
			VMULPS(c, wa[1], ba)
			VMULPS(c, wb[1], bb)
		default:
			if t%2 == 0 {
				VFMADD231PS(c, wa[t], aa)
				VFMADD231PS(c, wb[t], ab)
			} else {
				VFMADD231PS(c, wa[t], ba)
				VFMADD231PS(c, wb[t], bb)
			}
		}
	}
	for _, s := range []struct {
		a, b VecVirtual
		off  GPVirtual
	}{{aa, ba, offA}, {ab, bb, offB}} {
		d := ZMM()
		VADDPS(s.b, s.a, s.a)
		VMOVUPS_Z(Mem{Base: s.off}, K1, d)
		VADDPS(d, s.a, s.a)
		VMOVUPS(s.a, K1, Mem{Base: s.off})
	}
	ADDQ(stride, offA)
	ADDQ(stride, offB)
	ADDQ(rs, tb.c0)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	ADDQ(U8(64), j)
	SUBQ(U8(16), cols)
	JG(LabelRef(name + "_chunk"))

	Label(name + "_next")
	ADDQ(U8(32), geo)
	ADDQ(U8(80), wts)
	DECQ(count)
	JNZ(LabelRef(name + "_pair"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// setK1 sets mask register K1 to the first min(n, 16) lanes.
func setK1(n GPVirtual) {
	m := GP32()
	MOVL(U32(16), m)
	CMPQ(n, U8(16))
	CMOVLLT(n.As32(), m)
	ones := GP32()
	MOVL(U32(0xffff), ones)
	BZHIL(m, ones, ones)
	KMOVW(ones, K1)
}

// accumulate adds the float32 lanes of term, widened to float64, to the accumulators: its low
// half to acc0 and its high half to acc1 (AVX2 kernels short of registers pass a nil acc1 and
// add both halves to acc0).
func accumulate(s isa, term VecVirtual, acc0, acc1 VecVirtual) {
	if acc1 == nil {
		acc1 = acc0
	}
	if s.lanes == 16 {
		lo, hi := ZMM(), ZMM()
		VCVTPS2PD(term.AsY(), lo)
		VEXTRACTF32X8(U8(1), term, hi.AsY())
		VCVTPS2PD(hi.AsY(), hi)
		VADDPD(lo, acc0, acc0)
		VADDPD(hi, acc1, acc1)
		return
	}
	lo, hi := YMM(), YMM()
	VCVTPS2PD(term.AsX(), lo)
	VEXTRACTF128(U8(1), term, hi.AsX())
	VCVTPS2PD(hi.AsX(), hi)
	VADDPD(lo, acc0, acc0)
	VADDPD(hi, acc1, acc1)
}

// accumulators makes and zeroes the float64 accumulators and, for AVX-512, a vector of halves.
func accumulators(s isa) (acc0, acc1, hv VecVirtual) {
	acc0 = s.vec()
	VXORPS(acc0, acc0, acc0)
	if s.lanes == 16 {
		acc1, hv = s.vec(), s.vec()
		VXORPS(acc1, acc1, acc1)
		VBROADCASTSS(half, hv)
	}
	return acc0, acc1, hv
}

// reduce sums the float64 accumulators into the function's float64 result.
func reduce(s isa, acc0, acc1 VecVirtual) {
	y := acc0.AsY()
	if s.lanes == 16 {
		VADDPD(acc1, acc0, acc0)
		hi := YMM()
		VEXTRACTF64X4(U8(1), acc0, hi)
		VADDPD(hi, y, y)
	}
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	VADDPD(x, acc0.AsX(), x)
	h := XMM()
	VPERMILPD(U8(1), x, h)
	VADDSD(h, x, x)
	VZEROUPPER()
	Store(x, ReturnIndex(0))
}

// logLikeTerm accumulates w·δ·(r − δ/2) for one vector of pixels: r and w are read at
// rAddr and wAddr (masked loads leave zeros, so masked lanes add nothing).
// AVX2 reads the halves from memory (hv is nil) to stay within 16 registers.
func logLikeTerm(s isa, delta VecVirtual, rAddr, wAddr Mem, masked bool, ymask VecVirtual, hv VecVirtual, acc0, acc1 VecVirtual) {
	r := s.vec()
	switch {
	case s.lanes == 16:
		wt := s.vec()
		VMOVUPS_Z(rAddr, K1, r)
		VMOVUPS_Z(wAddr, K1, wt)
		VFNMADD231PS(hv, delta, r) // r − δ/2
		VMULPS(wt, delta, delta)   // w·δ
	case masked:
		wt := s.vec()
		VMASKMOVPS(rAddr, ymask, r)
		VMASKMOVPS(wAddr, ymask, wt)
		VFNMADD231PS(half, delta, r)
		VMULPS(wt, delta, delta)
	default:
		VMOVUPS(rAddr, r)
		VFNMADD231PS(half, delta, r)
		VMULPS(wAddr, delta, delta)
	}
	VMULPS(r, delta, delta) // w·δ·(r − δ/2)
	accumulate(s, delta, acc0, acc1)
}

func deltaSpans(s isa) {
	name := "deltaSpans" + s.name
	TEXT(name, NOSPLIT, deltaSpansSig)
	Pragma("noescape")
	Doc(name+" returns Σ w·δ·(r − δ/2) over every span, δ being the span's polynomial stamp", "("+s.name+"). Spans must not overlap.")
	acc0, acc1, hv := accumulators(s)
	wdiff := Load(Param("weight").Base(), GP64())
	rb := Load(Param("resid").Base(), GP64())
	SUBQ(rb, wdiff)
	spanLoop(s, name, "resid", func(w []VecVirtual, tb table, off Register, masked bool, ymask VecVirtual) {
		a, b := s.vec(), s.vec()
		polynomial(s, tb, w, a, b, false, masked, ymask)
		logLikeTerm(s, a, Mem{Base: off}, Mem{Base: off, Index: wdiff, Scale: 1}, masked, ymask, hv, acc0, acc1)
	}, nil)
	reduce(s, acc0, acc1)
	RET()
}

// boxLoop emits a row-major loop over a w×h box of resid and weight (stride rstride) and delta
// (stride dstride), calling body once per vector of pixels.
func boxLoop(s isa, name string, withWeight bool, body func(r, wt, d Mem, masked bool, ymask VecVirtual)) {
	rp := Load(Param("resid").Base(), GP64())
	dp := Load(Param("delta").Base(), GP64())
	var wp Register
	if withWeight {
		wp = Load(Param("weight").Base(), GP64())
	}
	rstride := Load(Param("rstride"), GP64())
	SHLQ(U8(2), rstride)
	dstride := Load(Param("dstride"), GP64())
	SHLQ(U8(2), dstride)
	h := Load(Param("h"), GP64())
	TESTQ(h, h)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	i := GP64()
	XORQ(i, i)
	rem := GP64()
	Load(Param("w"), rem)
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_next"))
	r := Mem{Base: rp, Index: i, Scale: 1}
	d := Mem{Base: dp, Index: i, Scale: 1}
	var wt Mem
	if withWeight {
		wt = Mem{Base: wp, Index: i, Scale: 1}
	}
	Label(name + "_vec")
	if s.lanes == 16 {
		setK1(rem)
		body(r, wt, d, true, nil)
		ADDQ(U8(64), i)
		SUBQ(U8(16), rem)
		JG(LabelRef(name + "_vec"))
	} else {
		CMPQ(rem, U8(8))
		JL(LabelRef(name + "_tail"))
		body(r, wt, d, false, nil)
		ADDQ(U8(32), i)
		SUBQ(U8(8), rem)
		JMP(LabelRef(name + "_vec"))
		Label(name + "_tail")
		TESTQ(rem, rem)
		JZ(LabelRef(name + "_next"))
		ymask := YMM()
		mt := GP64()
		LEAQ(maskTab.Offset(32), mt)
		SHLQ(U8(2), rem)
		SUBQ(rem, mt)
		VMOVDQU(Mem{Base: mt}, ymask)
		body(r, wt, d, true, ymask)
	}
	Label(name + "_next")
	ADDQ(rstride, rp)
	if withWeight {
		ADDQ(rstride, wp)
	}
	ADDQ(dstride, dp)
	DECQ(h)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
}

func deltaBox(s isa) {
	name := "deltaBox" + s.name
	TEXT(name, NOSPLIT, deltaBoxSig)
	Pragma("noescape")
	Doc(name+" returns Σ w·δ·(r − δ/2) over a box ("+s.name+").", "")
	acc0, acc1, hv := accumulators(s)
	boxLoop(s, name, true, func(r, wt, d Mem, masked bool, ymask VecVirtual) {
		delta := s.vec()
		switch {
		case s.lanes == 16:
			VMOVUPS_Z(d, K1, delta)
		case masked:
			VMASKMOVPS(d, ymask, delta)
		default:
			VMOVUPS(d, delta)
		}
		logLikeTerm(s, delta, r, wt, masked, ymask, hv, acc0, acc1)
	})
	reduce(s, acc0, acc1)
	RET()
}

func applyBox(s isa) {
	name := "applyBox" + s.name
	TEXT(name, NOSPLIT, applySig)
	Pragma("noescape")
	Doc(name+" subtracts delta from resid over a box ("+s.name+").", "")
	boxLoop(s, name, false, func(r, _, d Mem, masked bool, ymask VecVirtual) {
		a, b := s.vec(), s.vec()
		switch {
		case s.lanes == 16:
			VMOVUPS_Z(r, K1, a)
			VMOVUPS_Z(d, K1, b)
			VSUBPS(b, a, a)
			VMOVUPS(a, K1, r)
		case masked:
			VMASKMOVPS(r, ymask, a)
			VMASKMOVPS(d, ymask, b)
			VSUBPS(b, a, a)
			VMASKMOVPS(a, ymask, r)
		default:
			VMOVUPS(r, a)
			VSUBPS(d, a, a)
			VMOVUPS(a, r)
		}
	})
	VZEROUPPER()
	RET()
}

// boxSums emits a kernel that sums per-pixel float32 terms over a w×h box of len(ins) arrays
// sharing one row pitch (the signature's stride), into len(outs) float64 results: term
// computes the terms from one vector of each input (masked-off lanes load zeros and must give
// zero terms). Each result is summed in sixteen float64 lanes, pixel (i, j) going to lane
// i mod 16, and reduced at the end by halving (lane j += lane j+8, then j+4, j+2, j+1);
// render's Go versions sum in exactly this order, so every path returns the same bits.
// AVX-512 holds lanes 0–7 and 8–15 of a result in two registers; AVX2 takes each 16 columns
// as two masked halves into four registers.
func boxSums(s isa, name, sig, doc string, ins, outs []string, term func(in []VecVirtual) []VecVirtual) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name+" returns "+doc+" over a box, summed in render's fixed order ("+s.name+").", "")
	ptrs := make([]Register, len(ins))
	for k, in := range ins {
		ptrs[k] = Load(Param(in).Base(), GP64())
	}
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	h := Load(Param("h"), GP64())
	perOut := 2
	if s.lanes == 8 {
		perOut = 4
	}
	acc := make([][]VecVirtual, len(outs))
	for o := range acc {
		acc[o] = make([]VecVirtual, perOut)
		for k := range acc[o] {
			acc[o][k] = s.vec()
			VXORPS(acc[o][k], acc[o][k], acc[o][k])
		}
	}
	// sums loads 8 or 16 lanes of every input at +i under the mask and accumulates the terms
	// into the accumulators of lanes first…first+1 (in units of 8 lanes).
	sums := func(i Register, disp int, ymask VecVirtual, first int) {
		in := make([]VecVirtual, len(ins))
		for k, p := range ptrs {
			in[k] = s.vec()
			m := Mem{Base: p, Index: i, Scale: 1, Disp: disp}
			if s.lanes == 16 {
				VMOVUPS_Z(m, K1, in[k])
			} else {
				VMASKMOVPS(m, ymask, in[k])
			}
		}
		for o, t := range term(in) {
			accumulate(s, t, acc[o][first], acc[o][first+1])
		}
	}
	TESTQ(h, h)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	i := GP64()
	XORQ(i, i)
	rem := GP64()
	Load(Param("w"), rem)
	TESTQ(rem, rem)
	JLE(LabelRef(name + "_next"))
	Label(name + "_vec")
	if s.lanes == 16 {
		setK1(rem)
		sums(i, 0, nil, 0)
	} else {
		// Masks of the first min(rem, 8) and of the first clamp(rem − 8, 0, 8) lanes.
		for half := range 2 {
			m := GP64()
			MOVQ(rem, m)
			if half == 1 {
				SUBQ(U8(8), m)
				z := GP64()
				XORQ(z, z)
				CMPQ(m, z)
				CMOVQLT(z, m)
			}
			eight := GP64()
			MOVQ(U32(8), eight)
			CMPQ(m, eight)
			CMOVQGT(eight, m)
			mt := GP64()
			LEAQ(maskTab.Offset(32), mt)
			SHLQ(U8(2), m)
			SUBQ(m, mt)
			ymask := YMM()
			VMOVDQU(Mem{Base: mt}, ymask)
			sums(i, 32*half, ymask, 2*half)
		}
	}
	ADDQ(U8(64), i)
	SUBQ(U8(16), rem)
	JG(LabelRef(name + "_vec"))
	Label(name + "_next")
	for _, p := range ptrs {
		ADDQ(stride, p)
	}
	DECQ(h)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	for o := range outs {
		a := acc[o]
		if s.lanes == 8 {
			// Lanes 0–3, 4–7, 8–11, 12–15 in a[0..3]: lane j+8 onto j, then j+4 onto j.
			VADDPD(a[2], a[0], a[0])
			VADDPD(a[3], a[1], a[1])
			VADDPD(a[1], a[0], a[0])
		} else {
			VADDPD(a[1], a[0], a[0])
			hi := YMM()
			VEXTRACTF64X4(U8(1), a[0], hi)
			VADDPD(hi, a[0].AsY(), a[0].AsY())
		}
		x := XMM()
		VEXTRACTF128(U8(1), a[0].AsY(), x)
		VADDPD(x, a[0].AsX(), x)
		hx := XMM()
		VPERMILPD(U8(1), x, hx)
		VADDSD(hx, x, x)
		Store(x, ReturnIndex(o))
	}
	VZEROUPPER()
	RET()
}

// positiveSquares emits Σ max(0, a·b)² over a box, products and squares in float32.
func positiveSquares(s isa) {
	boxSums(s, "positiveSquares"+s.name, posSquaresSig, "Σ max(0, a·b)²", []string{"a", "b"}, []string{"sum"},
		func(in []VecVirtual) []VecVirtual {
			x, zero := in[0], s.vec()
			VXORPS(zero, zero, zero)
			VMULPS(in[1], x, x)
			VMAXPS(zero, x, x) // zero when a·b ≤ 0 or NaN (the last operand wins)
			VMULPS(x, x, x)
			return []VecVirtual{x}
		})
}

// positiveSquaresChange emits Σ [max(0, (a−d)·b)² − max(0, a·b)²] over a box: the change of
// the birth map's total when the residual a loses δ = d. Products, squares and their
// difference are float32.
func positiveSquaresChange(s isa) {
	boxSums(s, "positiveSquaresChange"+s.name, posSquaresChangeSig, "Σ [max(0, (a−d)·b)² − max(0, a·b)²]",
		[]string{"a", "d", "b"}, []string{"sum"},
		func(in []VecVirtual) []VecVirtual {
			a, d, b := in[0], in[1], in[2]
			zero := s.vec()
			VXORPS(zero, zero, zero)
			VSUBPS(d, a, d) // a − d
			VMULPS(b, a, a)
			VMULPS(b, d, d)
			VMAXPS(zero, a, a)
			VMAXPS(zero, d, d)
			VMULPS(a, a, a)
			VMULPS(d, d, d)
			VSUBPS(a, d, d) // new − old
			return []VecVirtual{d}
		})
}

// weightedDots emits Σ a·w·b and Σ a·w·a over a box (with aw = a·w rounded to float32 first,
// then each product): a stamp's weighted overlap with another image and with itself.
func weightedDots(s isa) {
	boxSums(s, "weightedDots"+s.name, weightedDotsSig, "Σ a·w·b and Σ a·w·a",
		[]string{"a", "wt", "b"}, []string{"ab", "aa"},
		func(in []VecVirtual) []VecVirtual {
			a, w, b := in[0], in[1], in[2]
			VMULPS(w, a, w) // aw
			VMULPS(w, b, b)
			VMULPS(w, a, a)
			return []VecVirtual{b, a}
		})
}

// fmaPeak emits a loop of n iterations of twelve independent fused multiply-adds on
// registers of the given width: the machine's peak floating-point rate.
func fmaPeak(name string, vec func() VecVirtual, lanes int) {
	TEXT(name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs n iterations of 12 independent %d-lane FMAs (%d flops each).", name, lanes, 2*12*lanes))
	n := Load(Param("n"), GP64())
	acc := make([]VecVirtual, 12)
	for i := range acc {
		acc[i] = vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	x, y := vec(), vec()
	VXORPS(x, x, x)
	VXORPS(y, y, y)
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	for i := range acc {
		VFMADD231PS(x, y, acc[i])
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
