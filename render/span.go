package render

import "fmt"

// maxSpans is how many sources are handed to a kernel per call: few, so that the buffer a
// call zeroes on the stack stays small.
const maxSpans = 8

// rect is a clipped stamp's pixel rectangle in box coordinates, [x0, x1) × [y0, y1).
type rect struct{ x0, y0, x1, y1 int }

func (a rect) overlaps(b rect) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// spans is a batch of stamps clipped to a box, in the form the kernels read: per stamp four
// int32 values in geo (offset of the first pixel in the box slice, offset of the first
// coefficient in the table, piece included, columns, rows) and NumCoeffs weights in wts.
type spans struct {
	n     int
	geo   [4 * maxSpans]int32
	wts   [NumCoeffs * maxSpans]float32
	rects [maxSpans]rect // clipped rectangles in the sources' frame
}

// add clips source s to the w×h box whose pixel (0, 0) is box pixel (ox, oy) of the source's
// frame, and appends it with its weights times scale; it reports false for a stamp that
// misses the box. The span's table offset includes the source's piece, so the kernels read
// that piece's cubic at no cost per pixel. A piece the table does not have panics (a source
// placed for another table), as the kernels do not check their loads.
func (b *spans) add(l layout, s *Source, scale float32, ox, oy, stride, w, h int) bool {
	l.check(s)
	c := l.size / 2
	r := min(max(int(s.R), 0), c)
	cx, cy := int(s.X)-ox, int(s.Y)-oy
	x0, x1 := max(cx-r, 0), min(cx+r+1, w)
	y0, y1 := max(cy-r, 0), min(cy+r+1, h)
	if x0 >= x1 || y0 >= y1 {
		return false
	}
	u0, v0 := x0-cx+c, y0-cy+c
	g := b.geo[4*b.n : 4*b.n+4]
	g[0] = int32(y0*stride + x0)
	g[1] = int32(int(s.Piece)*l.pieceStride + v0*l.rowStride + u0)
	g[2] = int32(x1 - x0)
	g[3] = int32(y1 - y0)
	wt := b.wts[NumCoeffs*b.n : NumCoeffs*b.n+NumCoeffs]
	for k := range wt {
		wt[k] = s.W[k] * scale
	}
	b.rects[b.n] = rect{x0 + ox, y0 + oy, x1 + ox, y1 + oy}
	b.n++
	return true
}

// check panics unless the table has the source's piece: a source placed for another table
// would make the kernels read past the table's end.
func (l layout) check(s *Source) {
	if uint32(s.Piece) >= uint32(l.pieces) {
		panic(fmt.Sprintf("render: source of table piece %d rendered with a table of %d pieces (place sources with that table's Source method)", s.Piece, l.pieces))
	}
}

// last returns the clipped rectangle of the latest span.
func (b *spans) last() rect { return b.rects[b.n-1] }

// full reports whether the batch must be handed to a kernel before another add.
func (b *spans) full() bool { return b.n == maxSpans }

// checkBox panics unless buf can hold a w×h box with the given stride: a programming error,
// like an index out of range.
func checkBox(name string, buf []float32, stride, w, h int) {
	if w < 0 || h < 0 || (w > 0 && stride < w) {
		panic(fmt.Sprintf("render: bad %s box %d×%d with stride %d", name, w, h, stride))
	}
	if w == 0 || h == 0 {
		return
	}
	if need := (h-1)*stride + w; len(buf) < need || need > 1<<31-1 {
		panic(fmt.Sprintf("render: %s holds %d values, a %d×%d box with stride %d needs %d (at most 2³¹−1)", name, len(buf), w, h, stride, need))
	}
}

// Stride returns a row pitch for an image buffer of width w that keeps the kernels fast: an
// odd multiple of 16 values (64 bytes) at least w, so that the rows of a stamp fall in
// different sets of the L1 cache. A pitch that is a multiple of 1024 values (an SDSS frame is
// 2048 wide) makes every row of a stamp compete for the same few sets: rendering then runs
// about 3× slower on the machine of experiments/kernels.
func Stride(w int) int {
	n := (w + 15) / 16
	if n%2 == 0 {
		n++
	}
	return 16 * n
}
