package sampler

import (
	"math"
	"slices"
	"sync"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
)

// stamp is one source's light drawn alone, with sign +1, on the pixels of its stamp that lie
// in the image: [x0, x0+w) × [y0, y0+h), row by row in pix.
type stamp struct {
	x, y         float64
	th           []float64
	x0, y0, w, h int
	pix          []float32
}

// is reports whether the stamp is the one of the source at (x, y) with parameters th.
func (s *stamp) is(x, y float64, th []float64) bool {
	return s.x == x && s.y == y && slices.Equal(s.th, th)
}

// addTo adds sign × the stamp into dst, an image-sized buffer of row stride stride.
func (s *stamp) addTo(dst []float32, stride int, sign float64) {
	for j := 0; j < s.h; j++ {
		row := dst[(s.y0+j)*stride+s.x0:][:s.w]
		src := s.pix[j*s.w:][:s.w]
		if sign > 0 {
			for i, v := range src {
				row[i] += v
			}
		} else {
			for i, v := range src {
				row[i] -= v
			}
		}
	}
}

// stampCache holds the stamps of the current sources of a chain whose kind draws each source on
// a stamp of its own (model.SourceRadius: galaxies, a model.Mixed's galaxies), but for those
// that go through the point-source kernels, keyed by position and parameters. Removing a
// source (a move's old state, a death, the model's refresh) then adds its stamp instead of
// drawing it again. A source's stamp depends on nothing but its position and parameters, and
// a kind draws the same bits every time, so a stamp from the cache is exactly the one a fresh
// draw would give: what the cache holds changes the cost, never the results (whatever the
// threads, after a checkpoint). Regions are disjoint, so a source is only ever looked up by
// the worker that owns its region; the mutex guards the map itself.
type stampCache struct {
	mu sync.Mutex
	m  map[uint64]*stamp
}

// stampKey hashes a source's position and parameters (equal sources hash equally; a collision
// only costs a miss, stamp.is deciding a hit).
func stampKey(x, y float64, th []float64) uint64 {
	h := mix(math.Float64bits(x))
	h = mix(h ^ math.Float64bits(y))
	for _, v := range th {
		h = mix(h ^ math.Float64bits(v))
	}
	return h
}

// get returns the cached stamp of the source at (x, y) with parameters th, or nil.
func (sc *stampCache) get(x, y float64, th []float64) *stamp {
	k := stampKey(x, y, th)
	sc.mu.Lock()
	s := sc.m[k]
	sc.mu.Unlock()
	if s != nil && s.is(x, y, th) {
		return s
	}
	return nil
}

// put caches s, which must not change afterwards.
func (sc *stampCache) put(s *stamp) {
	k := stampKey(s.x, s.y, s.th)
	sc.mu.Lock()
	sc.m[k] = s
	sc.mu.Unlock()
}

// drop removes the stamp of the source at (x, y) with parameters th and returns it (nil when
// it was not cached).
func (sc *stampCache) drop(x, y float64, th []float64) *stamp {
	k := stampKey(x, y, th)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if s := sc.m[k]; s != nil && s.is(x, y, th) {
		delete(sc.m, k)
		return s
	}
	return nil
}

// drawStamp draws the source at (x, y) with parameters th alone into s, reusing its buffers,
// on the stamp of radius boxRadius(th) around its anchor pixel, cut to the image.
func (c *Chain) drawStamp(s *stamp, x, y float64, th []float64) {
	R := c.boxRadius(th)
	ix, _ := render.Place(x)
	iy, _ := render.Place(y)
	x0, y0 := max(ix-R, 0), max(iy-R, 0)
	x1, y1 := min(ix+R+1, c.w), min(iy+R+1, c.h)
	s.x, s.y, s.th = x, y, append(s.th[:0], th...)
	s.x0, s.y0, s.w, s.h = x0, y0, max(x1-x0, 0), max(y1-y0, 0)
	n := s.w * s.h
	if cap(s.pix) < n {
		s.pix = make([]float32, n)
	}
	s.pix = s.pix[:n]
	clear(s.pix)
	if n > 0 {
		c.kind.Render(model.Box{Pix: s.pix, Stride: s.w, X0: x0, Y0: y0, W: s.w, H: s.h}, x, y, th, 1)
	}
}

// stampOf returns the stamp of change k of the worker's proposal: the cached one, or one drawn
// into the worker's buffer for change k.
func (w *worker) stampOf(k int) *stamp {
	c := w.c
	if s := c.stamps.get(w.chx[k], w.chy[k], w.chth[k]); s != nil {
		w.cached[k] = true
		return s
	}
	w.cached[k] = false
	if w.stamps[k] == nil {
		w.stamps[k] = new(stamp)
	}
	c.drawStamp(w.stamps[k], w.chx[k], w.chy[k], w.chth[k])
	return w.stamps[k]
}

// commitStamps keeps the cache current after an accepted proposal: the stamps of the sources
// it removed leave the cache (their buffers become the worker's), those of the sources it
// added enter it.
func (w *worker) commitStamps() {
	c := w.c
	for k := 0; k < w.nch; k++ {
		if w.chs[k] < 0 && !c.isStar(w.chth[k]) {
			if s := c.stamps.drop(w.chx[k], w.chy[k], w.chth[k]); s != nil {
				w.free = append(w.free, s)
			}
		}
	}
	for k := 0; k < w.nch; k++ {
		if w.chs[k] > 0 && !c.isStar(w.chth[k]) && !w.cached[k] {
			c.stamps.put(w.stamps[k])
			w.stamps[k] = nil
			if n := len(w.free); n > 0 {
				w.stamps[k], w.free = w.free[n-1], w.free[:n-1]
			}
		}
	}
}

// refreshStamps adds the stamps of every source that does not go through the point-source
// kernels into the model image, from the cache or drawn afresh, and leaves in the cache
// exactly those stamps.
func (c *Chain) refreshStamps() {
	p := c.nparam
	fresh := make(map[uint64]*stamp, len(c.stamps.m))
	for i := range c.xs {
		x, y, th := c.xs[i], c.ys[i], c.th[i*p:(i+1)*p]
		if c.isStar(th) {
			continue
		}
		k := stampKey(x, y, th)
		s := c.stamps.m[k]
		if s == nil || !s.is(x, y, th) {
			s = new(stamp)
			c.drawStamp(s, x, y, th)
		}
		fresh[k] = s
		s.addTo(c.modelImg, c.w, 1)
	}
	c.stamps.m = fresh
}
