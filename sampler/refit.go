package sampler

import (
	"math"

	"github.com/probcat/probcat/render"
)

// Births, deaths, splits, merges and flux updates that refit the fluxes of a group of
// overlapping sources.
//
// With the positions of a group of point sources fixed and the pixel weights w fixed, ln L is
// quadratic in the group's fluxes f: with ψ_j the unit stamp of member j (its PSF stamp, cut
// where a source of flux f_min is, Chain.radiusFor) and R₀ the residual without the group's
// light (the residual plus the members' light as the model renders it), ln L = −½ (f − μ)ᵀ G (f − μ) + const, with the Gram matrix
// G_jk = Σ ψ_j w ψ_k, b_j = Σ ψ_j w R₀ and μ = G⁻¹ b. The moves below draw fluxes from that
// Gaussian, widened by Config.RefitScale s (covariance s² G⁻¹), and use it only as a proposal:
// the acceptance ratio takes ΔlnL from worker.eval and the flux prior exactly, so the chain
// stays exact whatever the truncation of faint stamps or a noise model whose weights follow
// the model. R₀, G and b are functions of the group's positions and of the residual without
// the group, which a move and its reverse share: the forward move evaluates the reverse
// proposal density from the same R₀ (to the float32 rounding of the residual, see Arithmetic
// in the package comment).
//
// The group of a source at (x, y) is the (at most Config.RefitNeighbours) region sources
// nearest to it within Config.RefitRadius pixels, other than itself (and, for a split or
// merge, other than the parent or the children). It depends on the neighbours' positions
// only, which none of these moves changes, so a move and its reverse refit the same group.

// maxRefit bounds Config.RefitNeighbours.
const maxRefit = 4

// maxMembers is the most members of a least-squares system: the neighbours plus a split's
// parent and two children.
const maxMembers = maxRefit + 3

// maxChanges is the most sources one proposal adds or removes (worker.add): a refit split's
// parent and children and the old and new light of each neighbour.
const maxChanges = 3 + 2*maxRefit

// refitScratch holds a worker's buffers for the refit moves. The system has n members,
// indexed 0…n−1: the m neighbours first, then the sources the move is about (the source born
// or dying, the source whose group it is, or a split's parent and children).
type refitScratch struct {
	idx  [maxRefit]int     // region indices of the neighbours, nearest first
	dist [maxRefit]float64 // their squared distances
	x, y [maxMembers]float64
	f    [maxMembers]float64 // fluxes now (0 for a source not in the model)
	g    [maxMembers * maxMembers]float64
	l    [maxMembers * maxMembers]float64 // Cholesky factor of g's leading block, lower triangle
	b    [maxMembers]float64
	fix  [maxMembers]float64 // the fluxes condMean holds fixed
	mu   [maxMembers]float64 // a conditional mean (of the first n members)
	mu2  [maxMembers]float64 // the other direction's conditional mean
	v    [maxMembers]float64 // scratch vector
	nf   [maxMembers]float64 // proposed fluxes
	r0   []float64           // R₀ over the box
	psi  []float32           // the unit stamps over the box, one after another
}

// refitBuf returns the worker's refit buffers, allocating them on first use.
func (w *worker) refitBuf() *refitScratch {
	if w.rf == nil {
		w.rf = &refitScratch{}
	}
	return w.rf
}

// neighbours finds the group of a source at (x, y): the region sources other than skip and
// skip2 within Config.RefitRadius, at most Config.RefitNeighbours of them, nearest first. It
// fills rf.idx and rf.x, rf.y, rf.f for them and returns their number m.
func (w *worker) neighbours(r *region, x, y float64, skip, skip2 int) int {
	c, rf := w.c, w.refitBuf()
	K := c.cfg.RefitNeighbours
	d2max := c.cfg.RefitRadius * c.cfg.RefitRadius
	m := 0
	for i := 0; i < r.n; i++ {
		if i == skip || i == skip2 {
			continue
		}
		d2 := (r.x[i]-x)*(r.x[i]-x) + (r.y[i]-y)*(r.y[i]-y)
		if d2 >= d2max || (m == K && d2 >= rf.dist[m-1]) {
			continue
		}
		// insert, keeping the list sorted by distance (the last one drops off when full)
		j := min(m, K-1)
		for ; j > 0 && rf.dist[j-1] > d2; j-- {
			rf.dist[j], rf.idx[j] = rf.dist[j-1], rf.idx[j-1]
		}
		rf.dist[j], rf.idx[j] = d2, i
		m = min(m+1, K)
	}
	for k := 0; k < m; k++ {
		i := rf.idx[k]
		rf.x[k], rf.y[k], rf.f[k] = r.x[i], r.y[i], r.th[i]
	}
	return m
}

// system computes G and b for the n members in rf.x, rf.y, rf.f (members of flux 0 are absent
// from the model) and factorises the leading nfac×nfac block of G; it returns false when that
// block is not positive definite (a member whose stamp falls on zero-weight pixels only),
// which depends on positions only.
func (w *worker) system(n, nfac int) bool {
	c, rf := w.c, w.refitBuf()
	W := c.w
	// the box of the stamps ψ, cut where a source of flux f_min is (ψ only has to be the same
	// function of the positions in a move and its reverse: a smaller stamp is cheaper)
	R := c.radiusFor(c.fmin)
	w.resetBox()
	for k := 0; k < n; k++ {
		w.growBy(rf.x[k], rf.y[k], R)
	}
	bw := w.bx1 - w.bx0
	area := bw * (w.by1 - w.by0)
	if area <= 0 {
		return false
	}
	if cap(rf.r0) < area {
		rf.r0 = make([]float64, area)
	}
	if cap(rf.psi) < n*area {
		rf.psi = make([]float32, maxMembers*area)
	}
	r0, psi := rf.r0[:area], rf.psi[:n*area]
	// R₀ = residual + the present members' light as the model renders it
	w.clearBox()
	ns := 0
	for k := 0; k < n; k++ {
		if f := rf.f[k]; f != 0 {
			w.src[ns] = c.source(rf.x[k], rf.y[k], f, c.radiusFor(f))
			ns++
		}
	}
	render.Render(w.scratch, W, W, c.h, c.table, w.src[:ns])
	for y := w.by0; y < w.by1; y++ {
		o := (y - w.by0) * bw
		for i := y*W + w.bx0; i < y*W+w.bx1; i++ {
			r0[o] = float64(c.resid[i]) + float64(w.scratch[i])
			o++
		}
	}
	// the unit stamps, each over the whole box
	for k := 0; k < n; k++ {
		w.clearBox()
		w.src[0] = c.source(rf.x[k], rf.y[k], 1, R)
		render.Render(w.scratch, W, W, c.h, c.table, w.src[:1])
		p := psi[k*area : (k+1)*area]
		for y := w.by0; y < w.by1; y++ {
			copy(p[(y-w.by0)*bw:(y-w.by0+1)*bw], w.scratch[y*W+w.bx0:y*W+w.bx1])
		}
	}
	for j := 0; j < n; j++ {
		pj := psi[j*area : (j+1)*area]
		for k := 0; k <= j; k++ {
			pk := psi[k*area : (k+1)*area]
			s, sb := 0.0, 0.0
			o := 0
			for y := w.by0; y < w.by1; y++ {
				wt := c.weight[y*W+w.bx0 : y*W+w.bx1]
				for i, wi := range wt {
					pw := float64(pj[o+i]) * float64(wi)
					s += pw * float64(pk[o+i])
					if k == 0 {
						sb += pw * r0[o+i]
					}
				}
				o += bw
			}
			rf.g[j*n+k], rf.g[k*n+j] = s, s
			if k == 0 {
				rf.b[j] = sb
			}
		}
	}
	return cholesky(rf.g[:n*n], rf.l[:n*n], n, nfac)
}

// cholesky factorises the leading nfac×nfac block of the n×n symmetric matrix a (row-major,
// row pitch n) as L Lᵀ, writing L's lower triangle into l (same pitch); it returns false when
// that block is not positive definite. The systems have at most maxMembers members, so a
// hand-written loop on fixed arrays keeps the proposals free of allocations.
func cholesky(a, l []float64, n, nfac int) bool {
	clear(l)
	for j := 0; j < nfac; j++ {
		d := a[j*n+j]
		for k := 0; k < j; k++ {
			d -= l[j*n+k] * l[j*n+k]
		}
		if !(d > 0) {
			return false
		}
		d = math.Sqrt(d)
		l[j*n+j] = d
		for i := j + 1; i < nfac; i++ {
			s := a[i*n+j]
			for k := 0; k < j; k++ {
				s -= l[i*n+k] * l[j*n+k]
			}
			l[i*n+j] = s / d
		}
	}
	return true
}

// The leading n×n block of the factor of an N×N matrix (row pitch N) is the factor of the
// leading block of the matrix, so one factorisation of the whole group serves its conditionals.

// solveLower solves L v = v in place for the leading n×n block of the factor l (row pitch N).
func solveLower(l []float64, N, n int, v []float64) {
	for i := 0; i < n; i++ {
		s := v[i]
		for k := 0; k < i; k++ {
			s -= l[i*N+k] * v[k]
		}
		v[i] = s / l[i*N+i]
	}
}

// solveUpper solves Lᵀ v = v in place for the leading n×n block of the factor l (row pitch N).
func solveUpper(l []float64, N, n int, v []float64) {
	for i := n - 1; i >= 0; i-- {
		s := v[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*N+i] * v[k]
		}
		v[i] = s / l[i*N+i]
	}
}

// condMean writes into mu the mean of the first n of the N members given that members n…N−1
// have the fluxes rf.fix[0:N−n]: G_nn⁻¹ (b_n − Σ_e fix_e G_{n,e}), the least-squares fluxes of
// the first n on R₀ − Σ_e fix_e ψ_e.
func (rf *refitScratch) condMean(N, n int, mu []float64) {
	for j := 0; j < n; j++ {
		mu[j] = rf.b[j]
		for e := n; e < N; e++ {
			mu[j] -= rf.fix[e-n] * rf.g[j*N+e]
		}
	}
	solveLower(rf.l[:], N, n, mu)
	solveUpper(rf.l[:], N, n, mu)
}

// quad returns (f − μ)ᵀ G_nn (f − μ) = |L_nnᵀ (f − μ)|² for the first n members.
func (rf *refitScratch) quad(N, n int, f, mu []float64) float64 {
	q := 0.0
	for i := 0; i < n; i++ {
		s := 0.0
		for k := i; k < n; k++ {
			s += rf.l[k*N+i] * (f[k] - mu[k])
		}
		q += s * s
	}
	return q
}

// drawFluxes writes into rf.nf a draw of the first n members' fluxes from N(μ, s² G_nn⁻¹):
// μ + s L_nn⁻ᵀ z with z standard normal. It returns false when a flux falls below f_min,
// where the prior vanishes.
func (w *worker) drawFluxes(N, n int, mu []float64) bool {
	c, rf := w.c, w.refitBuf()
	v := rf.v[:n]
	for i := range v {
		v[i] = w.rng.NormFloat64()
	}
	solveUpper(rf.l[:], N, n, v)
	s := c.cfg.RefitScale
	ok := true
	for i := range v {
		rf.nf[i] = mu[i] + s*v[i]
		ok = ok && rf.nf[i] >= c.fmin
	}
	return ok
}

// lastMarginal returns the least-squares precision-weighted flux and precision of the last of
// the n members with the others free, as fluxGuess takes them (Σψwr, Σψ²w for one source):
// with L the factor of G, the marginal precision of the last flux is L_nn² and its mean the
// last entry of G⁻¹ b.
func (rf *refitScratch) lastMarginal(n int) (spr, spp float64) {
	v := rf.v[:n]
	copy(v, rf.b[:n])
	solveLower(rf.l[:], n, n, v)
	solveUpper(rf.l[:], n, n, v)
	p := rf.l[(n-1)*n+n-1] * rf.l[(n-1)*n+n-1]
	return v[n-1] * p, p
}

// logPriorFlux is the flux prior's log density of one flux (refit moves run for point
// sources only).
func (w *worker) logPriorFlux(f float64) float64 { return w.c.point.Flux.LogDensity(f) }

// refitGroup finds the group of a source at (x, y) with flux f (0 for one not yet born): the
// region's neighbours other than skip as members 0…m−1, the source as member m; it builds the
// group's least-squares system and returns m, with ok false when G is singular.
func (w *worker) refitGroup(r *region, x, y float64, skip int, f float64) (m int, ok bool) {
	rf := w.refitBuf()
	m = w.neighbours(r, x, y, skip, -1)
	rf.x[m], rf.y[m], rf.f[m] = x, y, f
	return m, w.system(m+1, m+1)
}

// addRefits records the change of the m neighbours' fluxes from rf.f to rf.nf and returns
// Σ_k [ln p(f'_k) − ln p(f_k)].
func (w *worker) addRefits(r *region, m int) float64 {
	rf := w.refitBuf()
	dlp := 0.0
	for k := 0; k < m; k++ {
		i := rf.idx[k]
		dlp += w.logPriorFlux(rf.nf[k]) - w.logPriorFlux(rf.f[k])
		w.add(r.x[i], r.y[i], r.th[i:i+1], -1)
		w.add(r.x[i], r.y[i], rf.nf[k:k+1], 1)
	}
	return dlp
}

// setRefits writes the neighbours' new fluxes into the region.
func (w *worker) setRefits(r *region, m int) {
	rf := w.refitBuf()
	for k := 0; k < m; k++ {
		r.th[rf.idx[k]] = rf.nf[k]
	}
}

// refitBirth is a birth that redraws the fluxes of the newborn's group. The position comes
// from b(x, y) on the current residual (as birth); with the group's m neighbours and the
// newborn as member m, G and b are computed on R₀ (the residual without the neighbours'
// light), the newborn's flux f from b(f) (lnBirthFlux around the least-squares flux of the
// newborn with the neighbours free, lastMarginal), and the neighbours' fluxes f' from
// q_b = N(μ_b, s² G_mm⁻¹) with μ_b their least-squares fluxes given f. The reverse refit
// death, from the new state, sees the same group and the same R₀. Its acceptance ratio is
// refitBirthRatio's.
func (w *worker) refitBirth(r *region) bool {
	c := w.c
	if r.full() {
		return false
	}
	x, y, lnb, ok := w.birthPosition(r)
	if !ok {
		return false
	}
	rf := w.refitBuf()
	m, ok := w.refitGroup(r, x, y, -1, 0)
	if !ok {
		return false
	}
	n := m + 1
	mu, tau := c.fluxGuess(rf.lastMarginal(n))
	th := w.t0[:1]
	if w.rng.Float64() < c.cfg.ResidualFluxes {
		th[0] = math.Exp(mu + tau*w.rng.NormFloat64())
	} else {
		c.kind.SamplePrior(w.rng, th)
	}
	if math.IsInf(c.kind.LogPrior(th), -1) {
		return false
	}
	rf.fix[0] = th[0]
	rf.condMean(n, m, rf.mu[:]) // μ_b
	if !w.drawFluxes(n, m, rf.mu[:]) {
		return false
	}
	if !w.accept(w.refitBirthRatio(r, m, x, y, lnb, th)) {
		return false
	}
	w.commit(r)
	w.setRefits(r, m)
	r.add(x, y, th)
	return true
}

// refitBirthRatio returns ln α of the refit birth of a source of flux th[0] at (x, y), whose
// birth position density is ln b(x, y) = lnb, with the neighbours' new fluxes f' in rf.nf
// (after refitGroup), and records the change for commit. The reverse refit death evaluates
// b(f) on the same R₀ and proposes the neighbours' old fluxes f from q_d = N(μ_d, s² G_mm⁻¹),
// μ_d their least-squares fluxes without the newborn. Labelled convention as birth. With
// Δ ln q = ln q_d(f) − ln q_b(f') = −½ Q(f, μ_d)/s² + ½ Q(f', μ_b)/s², Q(v, μ) = (v−μ)ᵀ G (v−μ)
// (the normalisations are the same and cancel):
//
//	ln α = ΔlnL + ln P(N+1) − ln P(N) + ln p(f) − ln A + ln(N+1) − ln(n+1) − ln b(x, y) − ln b(f)
//	       + Σ_k [ln p(f'_k) − ln p(f_k)] + Δ ln q
func (w *worker) refitBirthRatio(r *region, m int, x, y, lnb float64, th []float64) float64 {
	c, rf := w.c, w.refitBuf()
	N := r.nStart + r.n - r.n0
	n := m + 1
	f := th[0]
	lp := c.kind.LogPrior(th)
	mu, tau := c.fluxGuess(rf.lastMarginal(n))
	lnbth := c.lnBirthFlux(f, lp, mu, tau)
	rf.fix[0] = f
	rf.condMean(n, m, rf.mu[:]) // μ_b
	rf.fix[0] = 0
	rf.condMean(n, m, rf.mu2[:]) // μ_d
	s2 := c.cfg.RefitScale * c.cfg.RefitScale
	dlq := (-rf.quad(n, m, rf.f[:], rf.mu2[:]) + rf.quad(n, m, rf.nf[:], rf.mu[:])) / (2 * s2)
	w.begin()
	dlp := w.addRefits(r, m)
	w.add(x, y, th, 1)
	return w.eval(c.cfg.ResidualBirths > 0) + c.dLogCount(N, 1) + lp - math.Log(c.area) +
		math.Log(float64(N+1)) - math.Log(float64(r.n+1)) - lnb - lnbth + dlp + dlq
}

// refitDeath is the reverse of refitBirth: it removes a source picked uniformly among the
// region's n and redraws its group's fluxes f' from q_d (their least-squares fluxes without
// it). Its acceptance ratio is refitDeathRatio's.
func (w *worker) refitDeath(r *region) bool {
	if r.n == 0 {
		return false
	}
	rf := w.refitBuf()
	d := w.rng.IntN(r.n)
	m, ok := w.refitGroup(r, r.x[d], r.y[d], d, r.th[d])
	if !ok {
		return false
	}
	rf.fix[0] = 0
	rf.condMean(m+1, m, rf.mu[:]) // μ_d
	if !w.drawFluxes(m+1, m, rf.mu[:]) {
		return false
	}
	if !w.accept(w.refitDeathRatio(r, d, m)) {
		return false
	}
	w.commit(r)
	w.setRefits(r, m)
	r.remove(d)
	return true
}

// refitDeathRatio returns ln α of the refit death of source d of the region with the
// neighbours' new fluxes f' in rf.nf (after refitGroup), and records the change for commit.
// It evaluates b(f) on the shared R₀, q_b at the neighbours' old fluxes f, and b(x, y) on the
// state after the death (as death):
//
//	ln α = ΔlnL + ln P(N−1) − ln P(N) − ln p(f) + ln A − ln N + ln n + ln b(x, y) + ln b(f)
//	       + Σ_k [ln p(f'_k) − ln p(f_k)] + ln q_b(f) − ln q_d(f')
func (w *worker) refitDeathRatio(r *region, d, m int) float64 {
	c, rf := w.c, w.refitBuf()
	N := r.nStart + r.n - r.n0
	n := m + 1
	x, y, f := r.x[d], r.y[d], r.th[d]
	lp := c.kind.LogPrior(r.th[d : d+1])
	mu, tau := c.fluxGuess(rf.lastMarginal(n))
	lnbth := c.lnBirthFlux(f, lp, mu, tau)
	rf.fix[0] = 0
	rf.condMean(n, m, rf.mu[:]) // μ_d
	rf.fix[0] = f
	rf.condMean(n, m, rf.mu2[:]) // μ_b
	s2 := c.cfg.RefitScale * c.cfg.RefitScale
	dlq := (-rf.quad(n, m, rf.f[:], rf.mu2[:]) + rf.quad(n, m, rf.nf[:], rf.mu[:])) / (2 * s2)
	w.begin()
	dlp := w.addRefits(r, m)
	w.add(x, y, r.th[d:d+1], -1)
	dll := w.eval(c.cfg.ResidualBirths > 0)
	lnb := w.deathPositionDensity(r, x, y)
	return dll + c.dLogCount(N, -1) - lp + math.Log(c.area) -
		math.Log(float64(N)) + math.Log(float64(r.n)) + lnb + lnbth + dlp + dlq
}

// fluxGroup redraws the fluxes of a source (picked uniformly among the region's n) and its
// group together, an independence proposal from q = N(μ, s² G⁻¹) with μ = G⁻¹ b the group's
// least-squares fluxes on R₀. Its acceptance ratio is fluxGroupRatio's.
func (w *worker) fluxGroup(r *region) bool {
	if r.n == 0 {
		return false
	}
	rf := w.refitBuf()
	k := w.rng.IntN(r.n)
	m, ok := w.refitGroup(r, r.x[k], r.y[k], k, r.th[k])
	if !ok {
		return false
	}
	rf.condMean(m+1, m+1, rf.mu[:])
	if !w.drawFluxes(m+1, m+1, rf.mu[:]) {
		return false
	}
	if !w.accept(w.fluxGroupRatio(r, k, m)) {
		return false
	}
	w.commit(r)
	w.setRefits(r, m)
	r.th[k] = rf.nf[m]
	return true
}

// fluxGroupRatio returns ln α of the flux-group update of source k and its m neighbours to the
// fluxes f' in rf.nf (after refitGroup), and records the change for commit. Positions and N do
// not change; the reverse picks the same source and group and sees the same R₀, so with Q as
// for refitBirthRatio
//
//	ln α = ΔlnL + Σ_k [ln p(f'_k) − ln p(f_k)] − ½ Q(f, μ)/s² + ½ Q(f', μ)/s²
func (w *worker) fluxGroupRatio(r *region, k, m int) float64 {
	c, rf := w.c, w.refitBuf()
	n := m + 1
	rf.condMean(n, n, rf.mu[:])
	s2 := c.cfg.RefitScale * c.cfg.RefitScale
	dlq := (-rf.quad(n, n, rf.f[:], rf.mu[:]) + rf.quad(n, n, rf.nf[:], rf.mu[:])) / (2 * s2)
	w.begin()
	dlp := w.addRefits(r, m)
	dlp += w.logPriorFlux(rf.nf[m]) - w.logPriorFlux(rf.f[m])
	w.add(r.x[k], r.y[k], r.th[k:k+1], -1)
	w.add(r.x[k], r.y[k], rf.nf[m:m+1], 1)
	return w.eval(false) + dlp + dlq
}

// refitPair is the neighbour refit of a refit split (split true) or refit merge: between a
// parent (x, y) of flux f and two children at (cx[i], cy[i]) of fluxes cf[i], the children
// keeping the parent's flux-weighted centroid (x, y). The group is the neighbours of (x, y)
// other than the region sources skip and skip2 (the parent, or the two children), none of
// which moves, so a split and the merge that undoes it see the same group. The system's
// members are the m neighbours, the parent (member m) and the children (m+1, m+2); R₀ is the
// residual without the neighbours and without the parent (split) or the children (merge), the
// same in both states. With μ_p and μ_c the neighbours' least-squares fluxes given the parent
// and given the children, a split draws the neighbours' new fluxes f' from q_c = N(μ_c,
// s² G_mm⁻¹) and its reverse merge would propose their old fluxes f from q_p = N(μ_p,
// s² G_mm⁻¹); a merge the other way round. It records the neighbours' change and returns m
// and the terms they add to the split's or merge's ln α:
//
//	Σ_k [ln p(f'_k) − ln p(f_k)] + ln q_rev(f) − ln q_fwd(f'), with ln q(v) = −½ Q(v, μ)/s²
//
// (Q as for refitBirthRatio; the normalisations cancel); ok is false when G_mm is singular or
// a new flux falls below f_min.
func (w *worker) refitPair(r *region, skip, skip2 int, x, y, f float64, cx, cy, cf [2]float64, split bool) (dl float64, m int, ok bool) {
	c, rf := w.c, w.refitBuf()
	m = w.neighbours(r, x, y, skip, skip2)
	if m == 0 {
		return 0, 0, true
	}
	n := m + 3
	rf.x[m], rf.y[m], rf.f[m] = x, y, 0
	for i := 0; i < 2; i++ {
		rf.x[m+1+i], rf.y[m+1+i], rf.f[m+1+i] = cx[i], cy[i], 0
	}
	if split {
		rf.f[m] = f
	} else {
		rf.f[m+1], rf.f[m+2] = cf[0], cf[1]
	}
	if !w.system(n, m) {
		return 0, 0, false
	}
	rf.fix[0], rf.fix[1], rf.fix[2] = f, 0, 0
	rf.condMean(n, m, rf.mu[:]) // μ_p
	rf.fix[0], rf.fix[1], rf.fix[2] = 0, cf[0], cf[1]
	rf.condMean(n, m, rf.mu2[:]) // μ_c
	fwd, rev := rf.mu2[:], rf.mu[:]
	if !split {
		fwd, rev = rev, fwd
	}
	if !w.drawFluxes(n, m, fwd) {
		return 0, 0, false
	}
	s2 := c.cfg.RefitScale * c.cfg.RefitScale
	dl = (-rf.quad(n, m, rf.f[:], rev) + rf.quad(n, m, rf.nf[:], fwd)) / (2 * s2)
	return dl + w.addRefits(r, m), m, true
}
