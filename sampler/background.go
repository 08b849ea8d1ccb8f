package sampler

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/probcat/probcat/model"
)

// MaxBackgroundOrder bounds Config.BackgroundOrder: a smooth sky needs a low order, and a
// high one would start to fit the light of stars and clusters of them.
const MaxBackgroundOrder = 6

// skyModel is the smooth background of a chain with Config.BackgroundOrder ≥ 1:
// b(x, y) = Σ_k a_k B_k(x, y) on a model.SkyBasis over the image, whose constant term's
// coefficient a_0 is Chain.bg and whose other coefficients are coef[1:]. The coefficients have
// a flat prior; the likelihood makes their posterior proper, since the terms are linearly
// independent over the image's weighted pixels (NewChain checks it).
//
// The basis is separable, B_k(x, y) = P_i(u(x))·P_j(v(y)), so that sums over the pixels go
// row by row: a sum Σ_x P_i(u) q over each row for every degree i in u (order + 1 of them),
// then Σ_y P_j(v) of those for every term; a Gram matrix sums P_i P_i′ q per pixel for every
// pair i ≤ i′. That keeps an update near (order + 1) operations per pixel instead of one per
// term (or per pair of terms).
type skyModel struct {
	basis  *model.SkyBasis
	n, deg int       // terms; degrees in u, order + 1
	ij     [][2]int  // every term's degrees in u and v
	pair   []int     // pair[k*n+l]: the index of the u-degree pair (i_k, i_l) in pu2
	pu     []float64 // P_i(u(x)) at x*deg + i
	pu2    []float64 // P_i(u(x))·P_i′(u(x)) at x*npair + pair(i, i′), i ≤ i′
	pv     []float64 // P_j(v(y)) at y*deg + j
	npair  int
	coef   []float64 // the coefficients; coef[0] is set from Chain.bg when used
	means  []float64 // every term's mean over the image
	pix    []float64 // skyMap's background at every pixel
	row    []float64 // scratch: a background (change) along one row

	// the Gram matrix Σ w B Bᵀ under the current weights and its Cholesky factor, valid while
	// gramOK (computeWeights and restored weights clear it)
	gram, gramL []float64
	gramOK      bool

	// scratch
	ru, rm, cu       []float64
	g, h, l, g2, h2  []float64
	l2, mu, e, delta []float64
}

// newSky sets up the chain's background of order cfg.BackgroundOrder ≥ 1 at the constant
// Chain.bg. Its shortest scale, the image's smaller side over the order, must be at least
// the width of a source's stamp, so that no term can fit a star.
func (c *Chain) newSky() error {
	k := c.cfg.BackgroundOrder
	if side := 2*c.radius + 1; min(c.w, c.h) < k*side {
		return fmt.Errorf("background order %d is too high for an image of %d×%d pixels: its terms would vary on scales below the PSF stamp's %d pixels (the order may be at most %d here)",
			k, c.w, c.h, side, min(c.w, c.h)/side)
	}
	b, err := model.NewSkyBasis(k, c.w, c.h)
	if err != nil {
		return err
	}
	s := &skyModel{basis: b, n: b.Len(), deg: k + 1, npair: (k + 1) * (k + 2) / 2}
	s.ij = make([][2]int, s.n)
	for t := range s.ij {
		i, j := b.Degrees(t)
		s.ij[t] = [2]int{i, j}
	}
	pidx := func(i, i2 int) int { // index of (min, max) among the pairs i ≤ i′ in row-major order
		if i > i2 {
			i, i2 = i2, i
		}
		return i*s.deg - i*(i-1)/2 + (i2 - i)
	}
	s.pair = make([]int, s.n*s.n)
	for t := range s.n {
		for u := range s.n {
			s.pair[t*s.n+u] = pidx(s.ij[t][0], s.ij[u][0])
		}
	}
	s.pu = make([]float64, c.w*s.deg)
	s.pu2 = make([]float64, c.w*s.npair)
	for x := 0; x < c.w; x++ {
		for i := 0; i < s.deg; i++ {
			s.pu[x*s.deg+i] = b.PU(i)[x]
			for i2 := i; i2 < s.deg; i2++ {
				s.pu2[x*s.npair+pidx(i, i2)] = b.PU(i)[x] * b.PU(i2)[x]
			}
		}
	}
	s.pv = make([]float64, c.h*s.deg)
	for y := 0; y < c.h; y++ {
		for j := 0; j < s.deg; j++ {
			s.pv[y*s.deg+j] = b.PV(j)[y]
		}
	}
	s.coef = make([]float64, s.n)
	s.pix, s.row = make([]float64, c.w*c.h), make([]float64, c.w)
	s.means = b.Means()
	vec := func(m int) []float64 { return make([]float64, m) }
	s.gram, s.gramL = vec(s.n*s.n), vec(s.n*s.n)
	s.ru, s.rm, s.cu = vec(s.deg), vec(s.npair), vec(s.deg)
	s.g, s.h, s.l, s.g2, s.h2 = vec(s.n), vec(s.n*s.n), vec(s.n*s.n), vec(s.n), vec(s.n*s.n)
	s.l2, s.mu, s.e, s.delta = vec(s.n*s.n), vec(s.n), vec(s.n), vec(s.n)
	c.sky = s
	return nil
}

// checkSky reports a background whose terms are not linearly independent over the pixels of
// positive weight (a mask that leaves too little of the image), where the coefficients'
// posterior under their flat prior would be improper: a Cholesky pivot of the Gram matrix
// below 1e−9 of its diagonal element counts as zero.
func (c *Chain) checkSky() error {
	s := c.sky
	ok := s.factorGram(c.weight)
	for k := 0; ok && k < s.n; k++ { // a pivot lost to rounding is a dependent term too
		l := s.gramL[k*s.n+k]
		ok = l*l > 1e-9*s.gram[k*s.n+k]
	}
	if !ok {
		return fmt.Errorf("background order %d cannot be fitted: the image's usable pixels do not pin its %d terms down (a mask covers too much)", c.cfg.BackgroundOrder, c.sky.n)
	}
	return nil
}

// skyCoefs returns the current coefficients, a_0 = Chain.bg first (the skyModel's own slice).
func (c *Chain) skyCoefs() []float64 {
	c.sky.coef[0] = c.bg
	return c.sky.coef
}

// skyRow writes into dst (length W) the background Σ_k a_k B_k along row y.
func (s *skyModel) skyRow(a []float64, y int, dst []float64) {
	clear(s.cu)
	pv := s.pv[y*s.deg : (y+1)*s.deg]
	for k, t := range s.ij {
		s.cu[t[0]] += a[k] * pv[t[1]]
	}
	for x := range dst {
		pu := s.pu[x*s.deg : (x+1)*s.deg]
		v := 0.0
		for i, cu := range s.cu {
			v += cu * pu[i]
		}
		dst[x] = v
	}
}

// skyMap returns the background at every pixel, row-major (the skyModel's own slice).
func (c *Chain) skyMap() []float64 {
	a := c.skyCoefs()
	for y := 0; y < c.h; y++ {
		c.sky.skyRow(a, y, c.sky.pix[y*c.w:(y+1)*c.w])
	}
	return c.sky.pix
}

// skyResidual sets the residual to data − background − source model (refresh's last step).
func (c *Chain) skyResidual() {
	for i, b := range c.skyMap() {
		c.resid[i] = c.data[i] - float32(b) - c.modelImg[i]
	}
}

// meanSky returns the background's mean over the image (Chain.bg for a scalar one).
func (c *Chain) meanSky() float64 {
	if c.sky == nil {
		return c.bg
	}
	m := 0.0
	for k, a := range c.skyCoefs() {
		m += a * c.sky.means[k]
	}
	return m
}

// sampleSky returns a copy of the coefficients for a Sample (nil for a scalar background).
func (c *Chain) sampleSky() []float64 {
	if c.sky == nil {
		return nil
	}
	return c.skyState()
}

// skyState returns a copy of the background's coefficients, a_0 = Chain.bg first (the one
// coefficient of a scalar background), for setSky.
func (c *Chain) skyState() []float64 {
	if c.sky == nil {
		return []float64{c.bg}
	}
	return append([]float64(nil), c.skyCoefs()...)
}

// setSky sets the background's coefficients (a_0 first) and nothing else: the caller
// refreshes the residual. The terms a lacks are set to 0.
func (c *Chain) setSky(a []float64) {
	if c.sky == nil {
		if len(a) > 0 {
			c.bg = a[0]
		}
		return
	}
	clear(c.sky.coef)
	copy(c.sky.coef, a)
	c.bg = c.sky.coef[0]
}

// accumulate adds into g (length n, when not nil) Σ B_k q and into the upper triangle of h
// (n×n row-major, when not nil) Σ B_k B_l p over one row y, given the row's sums
// ru[i] = Σ_x P_i(u) q and rm[pair(i, i′)] = Σ_x P_i P_i′ p.
func (s *skyModel) accumulate(y int, g, h []float64) {
	pv := s.pv[y*s.deg : (y+1)*s.deg]
	if g != nil {
		for k, t := range s.ij {
			g[k] += s.ru[t[0]] * pv[t[1]]
		}
	}
	if h != nil {
		for k, t := range s.ij {
			for l := k; l < s.n; l++ {
				h[k*s.n+l] += s.rm[s.pair[k*s.n+l]] * pv[t[1]] * pv[s.ij[l][1]]
			}
		}
	}
}

// symmetrise copies the upper triangle of the n×n matrix h into its lower one.
func (s *skyModel) symmetrise(h []float64) {
	for k := 0; k < s.n; k++ {
		for l := k + 1; l < s.n; l++ {
			h[l*s.n+k] = h[k*s.n+l]
		}
	}
}

// factorGram computes the Gram matrix Σ w B Bᵀ of the weights w and its Cholesky factor; it
// returns false when the matrix is not positive definite.
func (s *skyModel) factorGram(w []float32) bool {
	clear(s.gram)
	W := s.basis.Width
	for y := 0; y < s.basis.Height; y++ {
		clear(s.rm)
		for x, wv := range w[y*W : (y+1)*W] {
			if wv == 0 {
				continue
			}
			p := float64(wv)
			pu2 := s.pu2[x*s.npair : (x+1)*s.npair]
			for q, v := range pu2 {
				s.rm[q] += v * p
			}
		}
		s.accumulate(y, nil, s.gram)
	}
	s.symmetrise(s.gram)
	s.gramOK = cholesky(s.gram, s.gramL, s.n, s.n)
	return s.gramOK
}

// skyStep updates the background's coefficients: backgroundStep's two updates, generalised
// from the scalar level to the vector a of coefficients. Given the catalogue and fixed
// weights W, adding δ·B to the model changes ln L by δᵀBᵀWr − ½ δᵀGδ with G = BᵀWB the
// basis' Gram matrix, so under the flat prior the conditional of a is exactly Gaussian with
// mean a + G⁻¹BᵀWr and covariance G⁻¹: a Gibbs draw, δ = G⁻¹BᵀWr + L⁻ᵀz with G = LLᵀ and z
// standard normal (always accepted). With the likelihood switched off it is the random walk
// δ = StepScale·L⁻ᵀz, always accepted.
//
// With exact model noise it is the Fisher-scoring Metropolis–Hastings step, δ = H⁻¹g + L⁻ᵀz
// with g the gradient of the exact ln L in a and H = LLᵀ its Fisher information
// Σ B Bᵀ (1/σ² + ½ (σ²)′²/σ⁴), and ln α = ΔlnL + ln N(−δ; H′⁻¹g′, H′⁻¹) − ln N(δ; H⁻¹g, H⁻¹)
// with g′, H′ at the proposed coefficients; held, like the scalar level, for the first half
// of burn-in (see backgroundStep for why).
func (c *Chain) skyStep(rng *rand.Rand) {
	c.stats[BackgroundStep].Proposed++
	s := c.sky
	d := s.delta
	if c.exact && !c.cfg.NoLikelihood {
		if c.backgroundHeld() {
			return
		}
		clear(d)
		c.skyScore(d, s.g, s.h)
		if !cholesky(s.h, s.l, s.n, s.n) {
			return
		}
		copy(s.mu, s.g) // H⁻¹g
		solveLower(s.l, s.n, s.n, s.mu)
		solveUpper(s.l, s.n, s.n, s.mu)
		zz := 0.0
		for k := range s.e {
			z := rng.NormFloat64()
			s.e[k] = z
			zz += z * z
		}
		solveUpper(s.l, s.n, s.n, s.e)
		for k := range d {
			d[k] = s.mu[k] + s.e[k]
		}
		dll := c.skyScore(d, s.g2, s.h2)
		if !cholesky(s.h2, s.l2, s.n, s.n) {
			return
		}
		// e′ = −δ − H′⁻¹g′, and e′ᵀH′e′ = |L′ᵀe′|²
		copy(s.mu, s.g2)
		solveLower(s.l2, s.n, s.n, s.mu)
		solveUpper(s.l2, s.n, s.n, s.mu)
		q2 := 0.0
		for k := 0; k < s.n; k++ {
			v := 0.0
			for m := k; m < s.n; m++ {
				v += s.l2[m*s.n+k] * (-d[m] - s.mu[m])
			}
			q2 += v * v
		}
		la := dll - 0.5*q2 + 0.5*zz
		for k := 0; k < s.n; k++ {
			la += math.Log(s.l2[k*s.n+k]) - math.Log(s.l[k*s.n+k])
		}
		if !(math.Log(rng.Float64()) < la) {
			return
		}
	} else {
		if !s.gramOK && !s.factorGram(c.weight) {
			return
		}
		for k := range d {
			d[k] = rng.NormFloat64()
		}
		solveUpper(s.gramL, s.n, s.n, d) // L⁻ᵀz ~ N(0, G⁻¹)
		if c.cfg.NoLikelihood {
			for k := range d {
				d[k] *= c.cfg.StepScale
			}
		} else {
			// + G⁻¹BᵀWr
			clear(s.g)
			W := c.w
			for y := 0; y < c.h; y++ {
				clear(s.ru)
				for x := 0; x < W; x++ {
					q := float64(c.weight[y*W+x]) * float64(c.resid[y*W+x])
					if q == 0 {
						continue
					}
					pu := s.pu[x*s.deg : (x+1)*s.deg]
					for i, v := range pu {
						s.ru[i] += v * q
					}
				}
				s.accumulate(y, s.g, nil)
			}
			solveLower(s.gramL, s.n, s.n, s.g)
			solveUpper(s.gramL, s.n, s.n, s.g)
			for k := range d {
				d[k] += s.g[k]
			}
		}
	}
	row := s.row
	for y := 0; y < c.h; y++ {
		s.skyRow(d, y, row)
		r := c.resid[y*c.w : (y+1)*c.w]
		for x, v := range row {
			r[x] -= float32(v)
		}
	}
	c.bg += d[0]
	for k := 1; k < s.n; k++ {
		s.coef[k] += d[k]
	}
	c.stats[BackgroundStep].Accepted++
}

// skyScore returns, for the exact model-noise likelihood with the coefficients moved by d,
// its gradient g in the coefficients and Fisher information h (n×n), and (for d ≠ 0) the
// change of ln L from the current state: backgroundScore's per-pixel terms (see there),
// weighted by B and B Bᵀ.
func (c *Chain) skyScore(d, g, h []float64) (dll float64) {
	s := c.sky
	clear(g)
	clear(h)
	moved := false
	for _, v := range d {
		moved = moved || v != 0
	}
	ds := deltaSum{prod: 1}
	row := s.row
	clear(row)
	W := c.w
	for y := 0; y < c.h; y++ {
		if moved {
			s.skyRow(d, y, row)
		}
		clear(s.ru)
		clear(s.rm)
		for x := 0; x < W; x++ {
			i := y*W + x
			if c.weight[i] == 0 {
				continue
			}
			gi, hi := c.pixelScore(i, row[x], &ds)
			for k, p := range s.pu[x*s.deg : (x+1)*s.deg] {
				s.ru[k] += p * gi
			}
			for k, p := range s.pu2[x*s.npair : (x+1)*s.npair] {
				s.rm[k] += p * hi
			}
		}
		s.accumulate(y, g, h)
	}
	s.symmetrise(h)
	if moved {
		dll = ds.value()
	}
	return dll
}
