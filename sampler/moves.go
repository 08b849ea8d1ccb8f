package sampler

import (
	"math"
	"math/rand/v2"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
)

// region is one active region of a pass: its interior (whole pixels [px0, px1) × [py0, py1),
// i.e. positions with ⌊x+½⌋ in range) and a local copy of the sources whose positions lie
// there. Proposals change only these sources, keeping them inside.
type region struct {
	px0, py0, px1, py1 int
	area               float64
	n, n0, nStart, np  int // sources now, at pass start, and in the whole image at pass start
	x, y, th           []float64
	slots              []int32 // the catalogue indices of the sources at pass start
	mapSum             float64 // Σ over the interior of the birth map m(r)
	mapOK              bool
	stats              [NumMoveTypes]MoveStats
	budget             int   // sources the region may add this pass (see Chain.setBudgets)
	capped             int64 // proposals refused this pass because the budget was spent
}

func (r *region) reset(x0, y0, x1, y1, np int) {
	r.px0, r.py0, r.px1, r.py1 = x0, y0, x1, y1
	r.area = float64((x1 - x0) * (y1 - y0))
	r.n, r.np = 0, np
	r.x, r.y, r.th, r.slots = r.x[:0], r.y[:0], r.th[:0], r.slots[:0]
	r.mapOK = false
	r.stats = [NumMoveTypes]MoveStats{}
}

func (r *region) add(x, y float64, th []float64) {
	r.x = append(r.x, x)
	r.y = append(r.y, y)
	r.th = append(r.th, th...)
	r.n++
}

// remove deletes source k by moving the last one into its place.
func (r *region) remove(k int) {
	last := r.n - 1
	r.x[k], r.y[k] = r.x[last], r.y[last]
	copy(r.th[k*r.np:(k+1)*r.np], r.th[last*r.np:])
	r.x, r.y, r.th = r.x[:last], r.y[:last], r.th[:last*r.np]
	r.n--
}

// pixelOf returns the pixel holding position v.
func pixelOf(v float64) int { return int(math.Floor(v + 0.5)) }

func (r *region) inside(x, y float64) bool {
	px, py := pixelOf(x), pixelOf(y)
	return px >= r.px0 && px < r.px1 && py >= r.py0 && py < r.py1
}

// worker holds the buffers of one goroutine making proposals in regions.
type worker struct {
	c   *Chain
	pcg *rand.PCG
	rng *rand.Rand
	// the reference band's model change δ, image-sized, and its box [bx0, bx1) × [by0, by1)
	bandWork
	extra  []bandWork // the other bands' δ
	t0, t1 []float64
	start  chan bool

	// the change a proposal makes: up to maxChanges sources added (sign +1) or removed (−1)
	nch       int
	chx       [maxChanges]float64
	chy       [maxChanges]float64
	chth      [maxChanges][]float64
	chs       [maxChanges]float64
	src       [maxChanges]render.Source // the change for the point-source kernels, merged by anchor pixel
	nsrc      int
	ks        []float32 // the kernels' scratch for overlapping stamps
	inBox     bool      // δ is rendered in scratch (else it is only in src)
	mapD      float64   // the map total's change under δ, when mapDKnown
	mapDKnown bool
	// with a stamp cache (Chain.stamps), the stamps drawn for the changes that are not point
	// sources, whether change k's came from the cache, and stamps to reuse
	stamps [maxChanges]*stamp
	cached [maxChanges]bool
	free   []*stamp
	rf     *refitScratch
}

func newWorker(c *Chain) *worker {
	w := &worker{c: c, pcg: rand.NewPCG(0, 0), bandWork: bandWork{scratch: make([]float32, c.w*c.h)}}
	for _, b := range c.bands[1:] {
		w.extra = append(w.extra, bandWork{scratch: make([]float32, b.w*b.h)})
	}
	w.rng = rand.New(w.pcg)
	w.t0 = make([]float64, c.nparam)
	w.t1 = make([]float64, c.nparam)
	if c.table != nil {
		side := c.size + 2*c.radius + 2
		w.ks = make([]float32, side*side)
	}
	return w
}

// runRegion makes Config.RegionProposals proposals in active region ri.
func (w *worker) runRegion(r *region, ri int) {
	c := w.c
	w.pcg.Seed(c.streamSeeds(c.passes, ri+1))
	wt := c.cfg.Weights
	sm, tr, rb, fg, rs := wt.SplitMerge, wt.Transfer, wt.Refit, wt.FluxGroup, wt.RefitSplitMerge
	if c.nparam > 1 && c.splittable == nil && c.multi == nil {
		sm, tr = 0, 0 // splits, merges and transfers act on sources described by their fluxes alone
	}
	if c.nparam > 1 || c.table == nil {
		rb, fg, rs = 0, 0, 0 // the refit moves, for point sources with a render table
	}
	rb0 := wt.Move + wt.BirthDeath + sm
	tot := rb0 + rb + fg + rs + tr
	for k := 0; k < c.cfg.RegionProposals; k++ {
		u := w.rng.Float64() * tot
		half := w.rng.IntN(2) == 0
		var t MoveType
		var ok bool
		switch {
		case u < wt.Move:
			t, ok = MoveStep, w.move(r)
		case u < wt.Move+wt.BirthDeath && half:
			t, ok = Birth, w.birth(r)
		case u < wt.Move+wt.BirthDeath:
			t, ok = Death, w.death(r)
		case u < wt.Move+wt.BirthDeath+sm && half:
			t, ok = Split, w.split(r, false)
		case u < wt.Move+wt.BirthDeath+sm:
			t, ok = Merge, w.merge(r, false)
		case u < rb0+rb && half:
			t, ok = RefitBirth, w.refitBirth(r)
		case u < rb0+rb:
			t, ok = RefitDeath, w.refitDeath(r)
		case u < rb0+rb+fg:
			t, ok = FluxGroup, w.fluxGroup(r)
		case u < rb0+rb+fg+rs && half:
			t, ok = RefitSplit, w.split(r, true)
		case u < rb0+rb+fg+rs:
			t, ok = RefitMerge, w.merge(r, true)
		case half:
			t, ok = Emit, w.emit(r)
		default:
			t, ok = Absorb, w.absorb(r)
		}
		r.stats[t].Proposed++
		if ok {
			r.stats[t].Accepted++
		}
	}
}

// accept is the Metropolis–Hastings test for log acceptance ratio la.
func (w *worker) accept(la float64) bool {
	return math.Log(w.rng.Float64()) < la
}

// begin starts a new change; add records a source added (sign +1) or removed (−1).
func (w *worker) begin() { w.nch, w.mapDKnown = 0, false }

func (w *worker) add(x, y float64, th []float64, sign float64) {
	w.chx[w.nch], w.chy[w.nch], w.chth[w.nch], w.chs[w.nch] = x, y, th, sign
	w.nch++
}

// eval returns the change of ln L that the recorded change would make, summed over the
// bands. In the reference band, with box true (or when a changed source is not a point
// source with a render table, Chain.isStar, or with exact model noise) it renders δ into
// scratch, as the birth map and the exact likelihood need; otherwise the point sources go
// straight to the fused kernel. The other bands
// render through the kind (evalBands).
func (w *worker) eval(box bool) float64 {
	d := w.evalRef(box)
	if len(w.c.bands) > 1 {
		d += w.evalBands()
	}
	return d
}

// evalRef is eval's change of ln L in the reference band.
func (w *worker) evalRef(box bool) float64 {
	c := w.c
	if c.table != nil && !box && !c.exact && w.allStars() {
		w.inBox = false
		for k := 0; k < w.nch; k++ {
			f := w.chth[k][0]
			w.src[k] = c.source(w.chx[k], w.chy[k], w.chs[k]*f, c.radiusFor(f))
		}
		w.nsrc = mergeSameStamp(w.src[:w.nch])
		if c.cfg.NoLikelihood {
			return 0
		}
		return render.DeltaLogLikeSources(c.resid, c.weight, c.w, c.w, c.h, c.table, w.src[:w.nsrc], w.ks)
	}
	w.inBox = true
	w.resetBox()
	for k := 0; k < w.nch; k++ {
		w.growBy(w.chx[k], w.chy[k], c.boxRadius(w.chth[k]))
	}
	w.clearBox()
	for k := 0; k < w.nch; k++ {
		if c.stamps != nil && !c.isStar(w.chth[k]) {
			// the box holds the stamp: both reach boxRadius around the anchor pixel
			w.stampOf(k).addTo(w.scratch, c.w, w.chs[k])
			continue
		}
		w.draw(w.chx[k], w.chy[k], w.chth[k], w.chs[k])
	}
	return w.deltaLL()
}

// allStars reports whether every source of the recorded change goes through the point-source
// kernels (Chain.isStar).
func (w *worker) allStars() bool {
	for k := 0; k < w.nch; k++ {
		if !w.c.isStar(w.chth[k]) {
			return false
		}
	}
	return true
}

// mergeSameStamp sums sources that share their anchor pixel, table piece and stamp radius (a
// move within one pixel then often costs one stamp), keeping the others apart so that each source is removed
// exactly as it was rendered; it returns the number of sources left at the front of src.
func mergeSameStamp(src []render.Source) int {
	n := 0
	for i := range src {
		j := 0
		for ; j < n; j++ {
			if src[j].X == src[i].X && src[j].Y == src[i].Y && src[j].R == src[i].R && src[j].Piece == src[i].Piece {
				for k := range src[j].W {
					src[j].W[k] += src[i].W[k]
				}
				break
			}
		}
		if j == n {
			src[n] = src[i]
			n++
		}
	}
	return n
}

// commit applies the evaluated change to the residuals, keeping the region's map total
// current (or marking it stale when δ was never rendered).
func (w *worker) commit(r *region) {
	c := w.c
	if len(c.bands) > 1 {
		w.commitBands()
	}
	if !w.inBox {
		r.mapOK = false
		render.Subtract(c.resid, c.w, c.w, c.h, c.table, w.src[:w.nsrc])
		return
	}
	w.apply(r)
	if c.stamps != nil {
		w.commitStamps()
	}
}

// boxRadius is the radius of the box a proposal changing a source with parameters th needs:
// the kind's RadiusOf when its stamps differ by source, else the chain's radius.
func (c *Chain) boxRadius(th []float64) int {
	if c.sized != nil {
		return c.sized.RadiusOf(th)
	}
	return c.radius
}

// resetBox empties the box of the reference band's δ.
func (w *worker) resetBox() { w.bandWork.reset(w.c.band) }

// growBy extends the box to hold the stamp of radius R of a source at (x, y).
func (w *worker) growBy(x, y float64, R int) { w.bandWork.grow(w.c.band, x, y, R) }

// clearBox zeroes δ over the box.
func (w *worker) clearBox() { w.bandWork.clear(w.c.band) }

// draw adds sign × the source into δ: through the point-source kernels for a star
// (Chain.isStar), else through the kind's Render.
func (w *worker) draw(x, y float64, th []float64, sign float64) {
	if w.bx0 >= w.bx1 || w.by0 >= w.by1 {
		return
	}
	W := w.c.w
	if c := w.c; c.isStar(th) {
		w.src[0] = c.source(x, y, sign*th[0], c.radiusFor(th[0]))
		render.Render(w.scratch, W, W, c.h, c.table, w.src[:1])
		return
	}
	b := model.Box{Pix: w.scratch[w.by0*W+w.bx0:], Stride: W, X0: w.bx0, Y0: w.by0, W: w.bx1 - w.bx0, H: w.by1 - w.by0}
	w.c.kind.Render(b, x, y, th, sign)
}

// deltaLL is the change of the reference band's ln L when its model grows by δ
// (band.deltaLL).
func (w *worker) deltaLL() float64 {
	if w.c.cfg.NoLikelihood {
		return 0
	}
	return w.c.band.deltaLL(w.scratch, w.bx0, w.by0, w.bx1, w.by1)
}

// unitSums returns Σ ψ w r and Σ ψ² w for the guess stamp ψ of a unit point source at
// (x, y): the numerator and denominator of its optimal flux on the current residual.
func (w *worker) unitSums(x, y float64) (spr, spp float64) {
	spr, spp, _ = w.unitSumsWith(x, y, 0)
	return spr, spp
}

// unitSumsWith is unitSums that also returns Σ ψ w ψ_f, where ψ_f is the unit light of a
// source of flux f as the model renders it (stamp truncated at radiusFor(f); f = 0 skips it).
// A stamp's pixels do not depend on its radius, which only cuts it, so ψ_f is ψ cut at the
// smaller of the two radii and Σ ψ w ψ_f is Σ ψ w ψ over that smaller stamp.
func (w *worker) unitSumsWith(x, y, f float64) (spr, spp, spq float64) {
	c := w.c
	W := c.w
	w.resetBox()
	w.growBy(x, y, c.guessRadius)
	w.clearBox()
	w.src[0] = c.source(x, y, 1, c.guessRadius)
	render.Render(w.scratch, W, W, c.h, c.table, w.src[:1])
	off := w.by0*W + w.bx0
	spr, spp = render.WeightedDots(w.scratch[off:], c.weight[off:], c.resid[off:], W, w.bx1-w.bx0, w.by1-w.by0)
	if f > 0 {
		spq = spp // ψ_f covers ψ's whole stamp
		if rf := c.radiusFor(f); rf < c.guessRadius {
			w.resetBox()
			w.growBy(x, y, rf)
			off = w.by0*W + w.bx0
			_, spq = render.WeightedDots(w.scratch[off:], c.weight[off:], w.scratch[off:], W, w.bx1-w.bx0, w.by1-w.by0)
		}
	}
	return spr, spp, spq
}

// mapValue is the birth map at a pixel: the squared positive signal-to-noise of the residual.
func mapValue(r, sw float32) float64 {
	v := r * sw
	if v <= 0 {
		return 0
	}
	return float64(v * v)
}

// ensureMap computes the region's birth-map total from the residual (render.PositiveSquares:
// the same bits on every kernel path).
func (w *worker) ensureMap(r *region) {
	if r.mapOK {
		return
	}
	c := w.c
	o := r.py0*c.w + r.px0
	r.mapSum = render.PositiveSquares(c.resid[o:], c.sqrtw[o:], c.w, r.px1-r.px0, r.py1-r.py0)
	r.mapOK = true
}

// mapDelta returns the change of the region's birth-map total if δ were applied.
func (w *worker) mapDelta(r *region) float64 {
	c := w.c
	x0, y0 := max(w.bx0, r.px0), max(w.by0, r.py0)
	x1, y1 := min(w.bx1, r.px1), min(w.by1, r.py1)
	if x0 >= x1 || y0 >= y1 {
		return 0
	}
	o := y0*c.w + x0
	return render.PositiveSquaresChange(c.resid[o:], w.scratch[o:], c.sqrtw[o:], c.w, x1-x0, y1-y0)
}

// apply subtracts δ from the residual (the model grows by δ), keeping the map total current
// (with the change computed for this δ by the proposal, when it did).
func (w *worker) apply(r *region) {
	c := w.c
	if r.mapOK {
		if w.mapDKnown {
			r.mapSum += w.mapD
		} else {
			r.mapSum += w.mapDelta(r)
		}
	}
	if w.bx0 < w.bx1 && w.by0 < w.by1 {
		off := w.by0*c.w + w.bx0
		render.Apply(c.resid[off:], w.scratch[off:], c.w, w.bx1-w.bx0, w.by1-w.by0)
	}
}

// lnBirthPos is the log density of the birth position proposal at a pixel whose map value is
// m when the region's map total is M: a mixture of uniform over the region (weight 1−ε) and
// piecewise uniform ∝ m (weight ε), b(x, y) = (1−ε)/A_r + ε·m/M; uniform when M = 0.
func (c *Chain) lnBirthPos(r *region, m, M float64) float64 {
	eps := c.cfg.ResidualBirths
	if eps == 0 || !(M > 0) {
		return -math.Log(r.area)
	}
	return math.Log((1-eps)/r.area + eps*m/M)
}

// fluxGuess returns the centre μ (log flux) and width τ of the lognormal birth-flux proposal
// at a position where the residual (without the source) gives Σψwr = spr and Σψ²w = spp:
// the optimal flux f̂ = spr/spp floored at f_min, and τ = 0.1 + σ_f̂/f̂ capped at 1.
func (c *Chain) fluxGuess(spr, spp float64) (mu, tau float64) {
	if !(spp > 0) {
		return math.Log(c.fmin), 1
	}
	m := math.Max(spr/spp, c.fmin)
	return math.Log(m), math.Min(1, 0.1+1/(math.Sqrt(spp)*m))
}

// lnBirthFlux is the log density of the point-source birth flux proposal: a mixture of the
// prior (log density lp, weight 1−η) and a lognormal(μ, τ) (weight η).
func (c *Chain) lnBirthFlux(f, lp, mu, tau float64) float64 {
	eta := c.cfg.ResidualFluxes
	z := (math.Log(f) - mu) / tau
	ln := -z*z/2 - math.Log(f*tau*math.Sqrt(2*math.Pi))
	a, b := math.Log(1-eta)+lp, math.Log(eta)+ln
	if eta == 0 {
		return lp
	}
	if eta == 1 {
		return ln
	}
	m := math.Max(a, b)
	return m + math.Log(math.Exp(a-m)+math.Exp(b-m))
}

// dLogCount returns ln P(N+d) − ln P(N) for the count prior (at the current density when it
// is sampled: the density only changes between passes), −Inf beyond MaxSources.
func (c *Chain) dLogCount(n, d int) float64 {
	if n+d > c.cfg.MaxSources || n+d < 0 {
		return math.Inf(-1)
	}
	return c.count.LogPrior(n+d, c.area) - c.count.LogPrior(n, c.area)
}

// move perturbs one source. Position: (x', y') = (x, y) + σ_x(f)·z, a Gaussian whose width
// σ_x depends on the flux, so the Hastings term is ln N₂(x | x', σ_x(f')) − ln N₂(x' | x, σ_x(f))
// = −2 ln σ_x(f') − d²/2σ_x(f')² + 2 ln σ_x(f) + d²/2σ_x(f)². Point-source flux:
// f' = f + σ_f(f)·z with the same kind of correction −ln σ_f(f') − Δf²/2σ_f(f')² + ln σ_f(f) +
// Δf²/2σ_f(f)²; a multi-band source steps every band's flux the same way with the band's own
// σ_f (multiMove, the sum of the bands' corrections); other kinds use SourceKind.Perturb,
// which returns its own correction. N and
// the labels do not change, so ln α = ΔlnL + ln p(θ') − ln p(θ) + Hastings terms. A move that
// leaves the region's interior is rejected (its reverse would be too).
func (w *worker) move(r *region) bool {
	if r.n == 0 {
		return false
	}
	c := w.c
	p := c.nparam
	k := w.rng.IntN(r.n)
	x, y := r.x[k], r.y[k]
	old := r.th[k*p : (k+1)*p]
	nw := w.t0[:p]
	f := old[0]
	sx := c.posSigma(f)
	x2 := x + sx*w.rng.NormFloat64()
	y2 := y + sx*w.rng.NormFloat64()
	var hastings float64
	if c.multi != nil {
		var ok bool
		if hastings, ok = w.multiMove(old, nw); !ok {
			return false
		}
	} else if c.point != nil {
		sf := c.fluxSigma(f)
		f2 := f + sf*w.rng.NormFloat64()
		if f2 < c.fmin {
			return false
		}
		nw[0] = f2
		sf2 := c.fluxSigma(f2)
		df := f2 - f
		hastings = -math.Log(sf2) - df*df/(2*sf2*sf2) + math.Log(sf) + df*df/(2*sf*sf)
	} else {
		hastings = c.kind.Perturb(w.rng, old, nw, 1)
	}
	if !r.inside(x2, y2) {
		return false
	}
	lp2 := c.kind.LogPrior(nw)
	if math.IsInf(lp2, -1) || math.IsNaN(lp2) {
		return false
	}
	sx2 := c.posSigma(nw[0])
	d2 := (x2-x)*(x2-x) + (y2-y)*(y2-y)
	hastings += -2*math.Log(sx2) - d2/(2*sx2*sx2) + 2*math.Log(sx) + d2/(2*sx*sx)
	w.begin()
	w.add(x, y, old, -1)
	w.add(x2, y2, nw, 1)
	la := w.eval(false) + lp2 - c.kind.LogPrior(old) + hastings
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	r.x[k], r.y[k] = x2, y2
	copy(old, nw)
	return true
}

// birth adds a source in the region. Position from b(x, y) (lnBirthPos: uniform/residual-map
// mixture on the residual of the current state), parameters from b(θ) (point sources:
// lnBirthFlux, the prior/residual-lognormal mixture; multi-band sources: that mixture in
// every band, the prior there being the band's colour prior given the reference flux,
// birthFluxes; other kinds: their prior). Labelled
// convention: the newcomer is inserted at one of N+1 slots (1/(N+1)); the reverse death picks
// it among the region's n+1 sources (1/(n+1)); birth and death are chosen equally often.
//
//	ln α = ΔlnL + ln P(N+1) − ln P(N) + ln p(θ) − ln A + ln(N+1) − ln(n+1) − ln b(x, y) − ln b(θ)
func (w *worker) birth(r *region) bool {
	c := w.c
	p := c.nparam
	N := r.nStart + r.n - r.n0
	if r.full() {
		return false
	}
	x, y, lnb, ok := w.birthPosition(r)
	if !ok {
		return false
	}
	eps := c.cfg.ResidualBirths
	th := w.t0[:p]
	var lp, lnbth float64
	if c.multi != nil {
		lnbth = w.birthFluxes(x, y, th)
		if lp = c.kind.LogPrior(th); math.IsInf(lp, -1) {
			return false
		}
	} else if c.starsOnly() {
		mu, tau := c.fluxGuess(w.unitSums(x, y))
		if w.rng.Float64() < c.cfg.ResidualFluxes {
			th[0] = math.Exp(mu + tau*w.rng.NormFloat64())
		} else {
			c.kind.SamplePrior(w.rng, th)
		}
		lp = c.kind.LogPrior(th)
		if math.IsInf(lp, -1) {
			return false
		}
		lnbth = c.lnBirthFlux(th[0], lp, mu, tau)
	} else {
		c.kind.SamplePrior(w.rng, th)
		lp = c.kind.LogPrior(th)
		lnbth = lp
	}
	w.begin()
	w.add(x, y, th, 1)
	la := w.eval(eps > 0) + c.dLogCount(N, 1) + lp - math.Log(c.area) +
		math.Log(float64(N+1)) - math.Log(float64(r.n+1)) - lnb - lnbth
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	r.add(x, y, th)
	return true
}

// birthPosition draws a birth position from b (lnBirthPos) on the current residual and
// returns it with ln b; ok is false when it falls outside the region.
func (w *worker) birthPosition(r *region) (x, y, lnb float64, ok bool) {
	c := w.c
	eps := c.cfg.ResidualBirths
	M := 0.0
	if eps > 0 {
		w.ensureMap(r)
		M = r.mapSum
	}
	if eps > 0 && M > 0 && w.rng.Float64() < eps {
		x, y = w.pickFromMap(r)
	} else {
		x = float64(r.px0) - 0.5 + w.rng.Float64()*float64(r.px1-r.px0)
		y = float64(r.py0) - 0.5 + w.rng.Float64()*float64(r.py1-r.py0)
	}
	if !r.inside(x, y) {
		return 0, 0, 0, false
	}
	m := 0.0
	if eps > 0 && M > 0 {
		i := pixelOf(y)*c.w + pixelOf(x)
		m = mapValue(c.resid[i], c.sqrtw[i])
	}
	return x, y, c.lnBirthPos(r, m, M), true
}

// deathPositionDensity returns ln b(x, y), the birth position density of a source at (x, y)
// evaluated on the state after the evaluated change δ (which must be rendered in scratch when
// ResidualBirths > 0): the reverse density of a death or absorb.
func (w *worker) deathPositionDensity(r *region, x, y float64) float64 {
	c := w.c
	if c.cfg.ResidualBirths == 0 {
		return -math.Log(r.area)
	}
	w.ensureMap(r)
	w.mapD, w.mapDKnown = w.mapDelta(r), true
	i := pixelOf(y)*c.w + pixelOf(x)
	return c.lnBirthPos(r, mapValue(c.resid[i]-w.scratch[i], c.sqrtw[i]), r.mapSum+w.mapD)
}

// pickFromMap draws a position from the residual-map component of the birth density: a pixel
// with probability m/M, then uniformly within it. When rounding leaves the draw beyond the
// fresh total, the last positive pixel takes it.
func (w *worker) pickFromMap(r *region) (x, y float64) {
	c := w.c
	u := w.rng.Float64() * r.mapSum
	s := 0.0
	px, py := r.px0, r.py0
scan:
	for yy := r.py0; yy < r.py1; yy++ {
		for xx := r.px0; xx < r.px1; xx++ {
			i := yy*c.w + xx
			if m := mapValue(c.resid[i], c.sqrtw[i]); m > 0 {
				px, py = xx, yy
				s += m
				if s > u {
					break scan
				}
			}
		}
	}
	return float64(px) - 0.5 + w.rng.Float64(), float64(py) - 0.5 + w.rng.Float64()
}

// death removes a source picked uniformly among the region's n; it is the reverse of birth,
// with the birth densities evaluated on the state without the source (residual r + its light):
//
//	ln α = ΔlnL + ln P(N−1) − ln P(N) − ln p(θ) + ln A − ln N + ln n + ln b(x, y) + ln b(θ)
func (w *worker) death(r *region) bool {
	if r.n == 0 {
		return false
	}
	c := w.c
	p := c.nparam
	N := r.nStart + r.n - r.n0
	k := w.rng.IntN(r.n)
	x, y := r.x[k], r.y[k]
	th := r.th[k*p : (k+1)*p]
	lp := c.kind.LogPrior(th)
	lnbth := lp
	if c.multi != nil {
		lnbth = w.birthFluxDensity(x, y, th)
	} else if c.starsOnly() {
		// the flux guess on the residual without the source: r + f·ψ, where ψ is the source's
		// light as the model renders it (truncated at radiusFor(f)) seen through the
		// guess's own stamp ψ_u, so Σψ_u w (r + fψ) = Σψ_u w r + f Σψ_u w ψ
		f := th[0]
		spr, spp, spq := w.unitSumsWith(x, y, f)
		mu, tau := c.fluxGuess(spr+f*spq, spp)
		lnbth = c.lnBirthFlux(f, lp, mu, tau)
	}
	w.begin()
	w.add(x, y, th, -1)
	dll := w.eval(c.cfg.ResidualBirths > 0)
	lnb := w.deathPositionDensity(r, x, y)
	la := dll + c.dLogCount(N, -1) - lp + math.Log(c.area) -
		math.Log(float64(N)) + math.Log(float64(r.n)) + lnb + lnbth
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	r.remove(k)
	return true
}

// fluxOnly reports whether a source with parameters th is one that splits, merges, emits and
// absorbs act on: every source of a kind whose only parameter is the flux, and those a
// model.Splittable kind says are described by their flux alone.
func (c *Chain) fluxOnly(th []float64) bool {
	return c.splittable == nil || c.splittable.FluxOnly(th)
}

// sameShape reports whether two sources have the same parameters beyond the flux: a merge or
// absorb joins only such sources, which a split or emit of either could have made. The
// parameters of multi-band sources are all fluxes, which a split divides: any two qualify.
func (c *Chain) sameShape(a, b []float64) bool {
	if c.multi != nil {
		return true
	}
	for k := 1; k < len(a); k++ {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// partnerWeight is the merge kernel exp(−d²/2σ²) between two positions.
func (c *Chain) partnerWeight(x1, y1, x2, y2 float64) float64 {
	s := c.cfg.SplitScale
	d2 := (x1-x2)*(x1-x2) + (y1-y2)*(y1-y2)
	return math.Exp(-d2 / (2 * s * s))
}

// split replaces a source (picked uniformly among the region's n, flux f > 2 f_min) by two:
// u ~ U(a, 1−a) with a = f_min/f, d = (dx, dy) ~ N(0, σ²I); children (x + (1−u)d, u f) and
// (x − u d, (1−u) f), which keep the flux-weighted centroid. Jacobian of (x, f, d, u) →
// (children) = f. The reverse merge picks child 1 among n+1 and child 2 as its partner with
// probability P(c₂|c₁) = g(c₁,c₂)/Σ_{k≠c₁} g(c₁,k), g = exp(−|Δ|²/2σ²). Labelled convention:
// child 1 keeps the parent's slot, child 2 is inserted at one of N+1 slots.
//
//	ln α = ΔlnL + ln P(N+1) − ln P(N) + ln p(f₁) + ln p(f₂) − ln p(f) − ln A
//	       + ln(N+1) + ln n − ln(n+1) + ln P(c₂|c₁) − ln N₂(d; σ) + ln f + ln(1−2a)
//
// With refit, the split also redraws its neighbours' fluxes and adds the terms of refitPair;
// its reverse is the merge with refit. A multi-band source's other fluxes split by their own
// vₖ ~ U(0, 1) (splitBands), adding Σₖ ln fₖ; u, and so the children's positions, belong to
// the reference band.
func (w *worker) split(r *region, refit bool) bool {
	if r.n == 0 {
		return false
	}
	c := w.c
	N := r.nStart + r.n - r.n0
	if r.full() {
		return false
	}
	p := c.nparam
	k := w.rng.IntN(r.n)
	th := r.th[k*p : (k+1)*p]
	f, x, y := th[0], r.x[k], r.y[k]
	if f <= 2*c.fmin || !c.fluxOnly(th) {
		return false
	}
	a := c.fmin / f
	u := a + (1-2*a)*w.rng.Float64()
	s := c.cfg.SplitScale
	dx, dy := s*w.rng.NormFloat64(), s*w.rng.NormFloat64()
	x1, y1 := x+(1-u)*dx, y+(1-u)*dy
	x2, y2 := x-u*dx, y-u*dy
	if !r.inside(x1, y1) || !r.inside(x2, y2) {
		return false
	}
	t0, t1 := w.t0[:p], w.t1[:p]
	copy(t0, th)
	copy(t1, th)
	t0[0], t1[0] = u*f, (1-u)*f
	lnJ := w.splitBands(th, t0, t1)
	lp1, lp2 := c.kind.LogPrior(t0), c.kind.LogPrior(t1)
	if math.IsInf(lp1+lp2, -1) {
		return false
	}
	g12 := c.partnerWeight(x1, y1, x2, y2)
	tot := g12
	for j := 0; j < r.n; j++ {
		if j != k {
			tot += c.partnerWeight(x1, y1, r.x[j], r.y[j])
		}
	}
	if !(g12 > 0) {
		return false
	}
	d2 := dx*dx + dy*dy
	lng := -math.Log(2*math.Pi*s*s) - d2/(2*s*s)
	w.begin()
	w.add(x, y, th, -1)
	w.add(x1, y1, t0, 1)
	w.add(x2, y2, t1, 1)
	dl, m := 0.0, 0
	if refit {
		var ok bool
		if dl, m, ok = w.refitPair(r, k, -1, x, y, f, [2]float64{x1, x2}, [2]float64{y1, y2}, [2]float64{t0[0], t1[0]}, true); !ok {
			return false
		}
	}
	la := w.eval(false) + c.dLogCount(N, 1) + lp1 + lp2 - c.kind.LogPrior(th) - math.Log(c.area) +
		math.Log(float64(N+1)) + math.Log(float64(r.n)) - math.Log(float64(r.n+1)) +
		math.Log(g12/tot) - lng + math.Log(f) + math.Log(1-2*a) + dl + lnJ
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	w.setRefits(r, m)
	r.x[k], r.y[k] = x1, y1
	copy(th, t0)
	r.add(x2, y2, t1)
	return true
}

// pickPartner chooses, for source i of the region, a partner j ≠ i with probability
// P(j|i) = g(i,j)/Σ_{k≠i} g(i,k), g being partnerWeight, and returns j and ln P(j|i); ok is
// false when no other source has a positive weight. Merge and absorb share it.
func (w *worker) pickPartner(r *region, i int) (j int, lnP float64, ok bool) {
	c := w.c
	tot := 0.0
	for k := 0; k < r.n; k++ {
		if k != i {
			tot += c.partnerWeight(r.x[i], r.y[i], r.x[k], r.y[k])
		}
	}
	u := w.rng.Float64() * tot
	if !(tot > 0) {
		return -1, 0, false
	}
	j, acc, gj := -1, 0.0, 0.0
	for k := 0; k < r.n; k++ {
		if k == i {
			continue
		}
		if g := c.partnerWeight(r.x[i], r.y[i], r.x[k], r.y[k]); g > 0 {
			j, gj = k, g
			acc += g
			if acc > u {
				break
			}
		}
	}
	return j, math.Log(gj / tot), true
}

// merge is the reverse of split: pick i uniformly among the region's n, then j ≠ i with
// probability g(i,j)/Σ_{k≠i} g(i,k); replace them by one source of flux f = f_i + f_j at their
// flux-weighted centroid, with u = f_i/f and d = x_i − x_j.
//
//	ln α = ΔlnL + ln P(N−1) − ln P(N) + ln p(f) − ln p(f_i) − ln p(f_j) + ln A
//	       − ln N − ln(n−1) + ln n − ln P(j|i) + ln N₂(d; σ) − ln f − ln(1−2a)
//
// With refit, the merge also redraws its neighbours' fluxes and adds the terms of refitPair;
// its reverse is the split with refit. A multi-band source's other fluxes add (joinBands),
// subtracting Σₖ ln fₖ of the merged fluxes.
func (w *worker) merge(r *region, refit bool) bool {
	if r.n < 2 {
		return false
	}
	c := w.c
	N := r.nStart + r.n - r.n0
	i := w.rng.IntN(r.n)
	j, lnP, ok := w.pickPartner(r, i)
	if !ok {
		return false
	}
	p := c.nparam
	thi, thj := r.th[i*p:(i+1)*p], r.th[j*p:(j+1)*p]
	if !c.fluxOnly(thi) || !c.sameShape(thi, thj) {
		return false
	}
	fi, fj := thi[0], thj[0]
	f := fi + fj
	x := (fi*r.x[i] + fj*r.x[j]) / f
	y := (fi*r.y[i] + fj*r.y[j]) / f
	a := c.fmin / f
	if 1-2*a <= 0 {
		return false
	}
	t0 := w.t0[:p]
	copy(t0, thi)
	t0[0] = f
	lnJ := c.joinBands(thi, thj, t0)
	lp := c.kind.LogPrior(t0)
	sc := c.cfg.SplitScale
	dx, dy := r.x[i]-r.x[j], r.y[i]-r.y[j]
	d2 := dx*dx + dy*dy
	lng := -math.Log(2*math.Pi*sc*sc) - d2/(2*sc*sc)
	w.begin()
	w.add(r.x[i], r.y[i], thi, -1)
	w.add(r.x[j], r.y[j], thj, -1)
	w.add(x, y, t0, 1)
	dl, m := 0.0, 0
	if refit {
		if dl, m, ok = w.refitPair(r, i, j, x, y, f, [2]float64{r.x[i], r.x[j]}, [2]float64{r.y[i], r.y[j]}, [2]float64{fi, fj}, false); !ok {
			return false
		}
	}
	la := w.eval(false) + c.dLogCount(N, -1) + lp - c.kind.LogPrior(thi) - c.kind.LogPrior(thj) +
		math.Log(c.area) - math.Log(float64(N)) - math.Log(float64(r.n-1)) + math.Log(float64(r.n)) -
		lnP + lng - math.Log(f) - math.Log(1-2*a) + dl + lnJ
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	w.setRefits(r, m)
	r.x[i], r.y[i] = x, y
	copy(thi, t0)
	r.remove(j)
	return true
}

// emit hands part of a donor's flux to a new source: donor j picked uniformly among the
// region's n (flux f > 2 f_min), u ~ U(a, 1−a) with a = f_min/f, the newcomer at s drawn from
// the birth position density b (lnBirthPos) with flux u f, the donor keeping (1−u) f where it
// is. Jacobian of (f, u) → (fluxes) = f. The reverse absorb picks the newcomer among n+1 and
// the donor as its recipient with probability P(j|s) = g(s,j)/Σ_{k≠s} g(s,k). Labelled
// convention as for birth.
//
//	ln α = ΔlnL + ln P(N+1) − ln P(N) + ln p(uf) + ln p((1−u)f) − ln p(f) − ln A
//	       + ln(N+1) + ln n − ln(n+1) + ln P(j|s) − ln b(s) + ln(1−2a) + ln f
//
// A multi-band donor hands each other band's flux by its own vₖ ~ U(0, 1) (splitBands,
// + Σₖ ln fₖ).
func (w *worker) emit(r *region) bool {
	if r.n == 0 {
		return false
	}
	c := w.c
	N := r.nStart + r.n - r.n0
	if r.full() {
		return false
	}
	p := c.nparam
	j := w.rng.IntN(r.n)
	thj := r.th[j*p : (j+1)*p]
	f := thj[0]
	if f <= 2*c.fmin || !c.fluxOnly(thj) {
		return false
	}
	a := c.fmin / f
	u := a + (1-2*a)*w.rng.Float64()
	x, y, lnb, ok := w.birthPosition(r)
	if !ok {
		return false
	}
	gj := c.partnerWeight(x, y, r.x[j], r.y[j])
	tot := 0.0
	for k := 0; k < r.n; k++ {
		tot += c.partnerWeight(x, y, r.x[k], r.y[k])
	}
	if !(gj > 0) {
		return false
	}
	t0, t1 := w.t0[:p], w.t1[:p]
	copy(t0, thj)
	copy(t1, thj)
	t0[0], t1[0] = u*f, (1-u)*f
	lnJ := w.splitBands(thj, t0, t1)
	lps, lpj := c.kind.LogPrior(t0), c.kind.LogPrior(t1)
	if math.IsInf(lps+lpj, -1) {
		return false
	}
	w.begin()
	w.add(r.x[j], r.y[j], thj, -1)
	w.add(r.x[j], r.y[j], t1, 1)
	w.add(x, y, t0, 1)
	la := w.eval(c.cfg.ResidualBirths > 0) + c.dLogCount(N, 1) + lps + lpj - c.kind.LogPrior(thj) - math.Log(c.area) +
		math.Log(float64(N+1)) + math.Log(float64(r.n)) - math.Log(float64(r.n+1)) +
		math.Log(gj/tot) - lnb + math.Log(1-2*a) + math.Log(f) + lnJ
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	copy(thj, t1)
	r.add(x, y, t0)
	return true
}

// absorb is the reverse of emit: a source s picked uniformly among the region's n gives all
// its flux to a neighbour j chosen with probability g(s,j)/Σ_{k≠s} g(s,k), which stays where
// it is, and disappears. With f = f_j + f_s and a = f_min/f, and b(s) evaluated on the state
// after the absorb:
//
//	ln α = ΔlnL + ln P(N−1) − ln P(N) + ln p(f) − ln p(f_s) − ln p(f_j) + ln A
//	       − ln N − ln(n−1) + ln n − ln P(j|s) + ln b(s) − ln(1−2a) − ln f
//
// A multi-band source's other fluxes add (joinBands, − Σₖ ln fₖ of the sums).
func (w *worker) absorb(r *region) bool {
	if r.n < 2 {
		return false
	}
	c := w.c
	N := r.nStart + r.n - r.n0
	s := w.rng.IntN(r.n)
	j, lnP, ok := w.pickPartner(r, s)
	if !ok {
		return false
	}
	p := c.nparam
	ths, thj := r.th[s*p:(s+1)*p], r.th[j*p:(j+1)*p]
	if !c.fluxOnly(ths) || !c.sameShape(ths, thj) {
		return false
	}
	fs, fj := ths[0], thj[0]
	f := fs + fj
	a := c.fmin / f
	if 1-2*a <= 0 {
		return false
	}
	t0 := w.t0[:p]
	copy(t0, thj)
	t0[0] = f
	lnJ := c.joinBands(ths, thj, t0)
	w.begin()
	w.add(r.x[s], r.y[s], ths, -1)
	w.add(r.x[j], r.y[j], thj, -1)
	w.add(r.x[j], r.y[j], t0, 1)
	dll := w.eval(c.cfg.ResidualBirths > 0)
	lnb := w.deathPositionDensity(r, r.x[s], r.y[s])
	la := dll + c.dLogCount(N, -1) + c.kind.LogPrior(t0) - c.kind.LogPrior(ths) - c.kind.LogPrior(thj) +
		math.Log(c.area) - math.Log(float64(N)) - math.Log(float64(r.n-1)) + math.Log(float64(r.n)) -
		lnP + lnb - math.Log(1-2*a) - math.Log(f) + lnJ
	if !w.accept(la) {
		return false
	}
	w.commit(r)
	copy(thj, t0)
	r.remove(s)
	return true
}
