package sampler

import (
	"errors"
	"math"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
)

// Band is one image of a multi-band chain (NewBandChain): the image, in its own pixels,
// and the map from the reference band's pixels to them (ignored for the reference band).
type Band struct {
	Image *model.Image
	Map   model.AffineMap
}

// band holds everything a chain keeps per image: the data and its weights, the residual and
// the model, the noise model, the background level and the step constants. The chain embeds
// its reference band (bands[0]); a chain of one image is the one-band case.
type band struct {
	k       int // the band's index, 0 for the reference band
	img     *model.Image
	w, h    int
	mapping model.AffineMap // reference pixels → this band's pixels
	stamp   int             // the kind's stamp radius in this band

	data, weight, sqrtw, resid, modelImg []float32
	// exact is true for NoiseFromModel images (without WeightsFromBackground): the
	// likelihood is then −½ Σ (r²/σ² + ln σ²) with σ² from the current model in every
	// proposal, and weight/sqrtw serve only the proposals (birth map, flux guesses, the refit
	// moves' Gram matrices) and mask the background steps, which may use any weights fixed
	// while samples are kept
	exact bool
	vm    model.VarianceModel // the image's variances, for the exact likelihood
	bg    float64             // the sky level; with a sky model, the coefficient of its constant term

	// step sizes (see Chain.stepConstants)
	sigF2, posFac float64
}

// init allocates the band's arrays and reads its data (bias removed, bad and masked pixels 0).
func (b *band) init(fromBackground bool) error {
	img := b.img
	b.bg = img.Background
	n := b.w * b.h
	b.data = make([]float32, n)
	b.resid = make([]float32, n)
	b.modelImg = make([]float32, n)
	b.sqrtw = make([]float32, n)
	good := false
	for i, v := range img.Pix {
		bad := math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || (img.Mask != nil && img.Mask[i])
		if !bad {
			b.data[i] = float32(float64(v) - img.Bias)
			good = true
		}
	}
	if !good {
		return errors.New("image has no usable pixel")
	}
	b.exact = img.Noise == model.NoiseFromModel && !fromBackground
	if b.exact {
		b.vm = img.VarianceModel()
	}
	return nil
}

// computeWeights sets the inverse variance and its square root from the image's noise model
// and, for NoiseFromModel, the current source model (sky, when not nil, is the background
// map that replaces the level bg). With model noise they are the weights of the proposals
// only (see band.exact), refreshed after every burn-in sample and frozen when burn-in ends;
// masked pixels get weight 0, every other pixel a positive one.
func (b *band) computeWeights(sky []float64, fromBackground bool) {
	im := b.img
	if b.weight == nil {
		b.weight = make([]float32, len(b.data))
	}
	if im.Noise != model.NoiseFromModel {
		b.weight = im.InverseVariance(nil)
		return
	}
	for i, d := range im.Pix {
		if (im.Mask != nil && im.Mask[i]) || math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
			b.weight[i] = 0
			continue
		}
		m := b.bg
		if sky != nil {
			m = sky[i]
		}
		if !fromBackground {
			m += float64(b.modelImg[i])
		}
		b.weight[i] = float32(1 / im.Variance(i, m))
	}
}

// weightsChanged sets the weights' square roots.
func (b *band) weightsChanged() {
	for i, w := range b.weight {
		b.sqrtw[i] = float32(math.Sqrt(float64(w)))
	}
}

// residual sets the residual from the data, the scalar background and the model.
func (b *band) residual() {
	bg := float32(b.bg)
	for i, d := range b.data {
		b.resid[i] = d - bg - b.modelImg[i]
	}
}

// logLike returns −½ Σ w r² over the band's image, or with exact model noise
// −½ Σ (r²/σ² + ln σ²) with σ² from the current model (the constant −½ ln 2π per pixel
// left out either way).
func (b *band) logLike() float64 {
	if b.exact {
		ll := 0.0
		for i, w := range b.weight {
			if w > 0 {
				r := float64(b.resid[i])
				ll += b.pixelLogLike(i, r, float64(b.data[i])-r)
			}
		}
		return ll
	}
	return render.LogLike(b.resid, b.weight, b.w, b.w, b.h)
}

// pixelLogLike is pixel i's term of the exact model-noise likelihood, −½ (r²/σ² + ln σ²),
// when its residual is r and its expected counts m.
func (b *band) pixelLogLike(i int, r, m float64) float64 {
	v := b.vm.At(i, m)
	return -0.5 * (r*r/v + math.Log(v))
}

// deltaLL is the change of the band's ln L when its model grows by δ, held in d over the box
// [x0, x1) × [y0, y1) (d has the image's layout). With exact model noise each pixel that δ
// touches changes its variance as well as its residual: pixel i with residual r and expected
// counts m goes from −½ (r²/σ²(m) + ln σ²(m)) to −½ ((r−δ)²/σ²(m+δ) + ln σ²(m+δ)).
func (b *band) deltaLL(d []float32, x0, y0, x1, y1 int) float64 {
	if x0 >= x1 || y0 >= y1 {
		return 0
	}
	if b.exact {
		ds := deltaSum{prod: 1}
		for y := y0; y < y1; y++ {
			for i := y*b.w + x0; i < y*b.w+x1; i++ {
				dl := float64(d[i])
				if dl == 0 || b.weight[i] == 0 {
					continue
				}
				r := float64(b.resid[i])
				m := float64(b.data[i]) - r
				ds.add(r, dl, b.vm.At(i, m), b.vm.At(i, m+dl))
			}
		}
		return ds.value()
	}
	off := y0*b.w + x0
	return render.DeltaLogLike(b.resid[off:], d[off:], b.weight[off:], b.w, x1-x0, y1-y0)
}

// renderBand adds sign × the source with parameters th at (x, y), in band k's pixels, into
// box: through the kind's Render for the reference band, its RenderBand for the others.
func (c *Chain) renderBand(k int, box model.Box, x, y float64, th []float64, sign float64) {
	if k == 0 {
		c.kind.Render(box, x, y, th, sign)
		return
	}
	c.multi.RenderBand(k, box, x, y, th, sign)
}

// refreshBand recomputes the model and the residual of band b (not the reference band)
// from scratch.
func (c *Chain) refreshBand(b *band) {
	clear(b.modelImg)
	p := c.nparam
	box := model.Box{Pix: b.modelImg, Stride: b.w, W: b.w, H: b.h}
	for i := range c.xs {
		u, v := b.mapping.Apply(c.xs[i], c.ys[i])
		c.renderBand(b.k, box, u, v, c.th[i*p:(i+1)*p], 1)
	}
	b.residual()
}

// bandWork is a worker's buffer of one band's model change δ: image-sized, only the box
// [bx0, bx1) × [by0, by1) is used.
type bandWork struct {
	scratch            []float32
	bx0, by0, bx1, by1 int
}

// reset empties the box.
func (bw *bandWork) reset(b *band) { bw.bx0, bw.by0, bw.bx1, bw.by1 = b.w, b.h, 0, 0 }

// grow extends the box to hold the stamp of radius R of a source at (x, y) of band b.
func (bw *bandWork) grow(b *band, x, y float64, R int) {
	ix, _ := render.Place(x)
	iy, _ := render.Place(y)
	bw.bx0 = min(bw.bx0, max(ix-R, 0))
	bw.by0 = min(bw.by0, max(iy-R, 0))
	bw.bx1 = max(bw.bx1, min(ix+R+1, b.w))
	bw.by1 = max(bw.by1, min(iy+R+1, b.h))
}

// empty reports whether the box holds no pixel.
func (bw *bandWork) empty() bool { return bw.bx0 >= bw.bx1 || bw.by0 >= bw.by1 }

// clear zeroes δ over the box.
func (bw *bandWork) clear(b *band) {
	for y := bw.by0; y < bw.by1; y++ {
		clear(bw.scratch[y*b.w+bw.bx0 : y*b.w+bw.bx1])
	}
}

// box returns the box as a model.Box over δ.
func (bw *bandWork) box(b *band) model.Box {
	return model.Box{Pix: bw.scratch[bw.by0*b.w+bw.bx0:], Stride: b.w, X0: bw.bx0, Y0: bw.by0, W: bw.bx1 - bw.bx0, H: bw.by1 - bw.by0}
}

// work returns band k's buffer of the worker: the reference band's is the worker's own.
func (w *worker) work(k int) *bandWork {
	if k == 0 {
		return &w.bandWork
	}
	return &w.extra[k-1]
}

// evalBands renders the recorded change into every band after the reference one, each at
// the positions the band's map gives, and returns the change of their ln L.
func (w *worker) evalBands() float64 {
	c := w.c
	dl := 0.0
	for _, b := range c.bands[1:] {
		bw := w.work(b.k)
		bw.reset(b)
		for j := 0; j < w.nch; j++ {
			u, v := b.mapping.Apply(w.chx[j], w.chy[j])
			bw.grow(b, u, v, b.stamp)
		}
		if bw.empty() {
			continue
		}
		bw.clear(b)
		box := bw.box(b)
		for j := 0; j < w.nch; j++ {
			u, v := b.mapping.Apply(w.chx[j], w.chy[j])
			c.multi.RenderBand(b.k, box, u, v, w.chth[j], w.chs[j])
		}
		if !c.cfg.NoLikelihood {
			dl += b.deltaLL(bw.scratch, bw.bx0, bw.by0, bw.bx1, bw.by1)
		}
	}
	return dl
}

// commitBands applies the change evalBands rendered to the residuals of the bands after the
// reference one.
func (w *worker) commitBands() {
	for _, b := range w.c.bands[1:] {
		bw := w.work(b.k)
		if bw.bx0 < bw.bx1 && bw.by0 < bw.by1 {
			off := bw.by0*b.w + bw.bx0
			render.Apply(b.resid[off:], bw.scratch[off:], b.w, bw.bx1-bw.bx0, bw.by1-bw.by0)
		}
	}
}

// bandUnitSums returns, in band k, Σ ψ w r and Σ ψ² w for the stamp ψ of a unit source at
// the reference position (x, y) on the current residual: the numerator and denominator of
// its optimal flux there (both 0 when the source falls outside the band's image).
func (w *worker) bandUnitSums(k int, x, y float64) (spr, spp float64) {
	c := w.c
	b := c.bands[k]
	bw := w.work(k)
	u, v := b.mapping.Apply(x, y)
	bw.reset(b)
	bw.grow(b, u, v, b.stamp)
	if bw.empty() {
		return 0, 0
	}
	bw.clear(b)
	unit := w.t1[:c.nparam]
	for j := range unit {
		unit[j] = 1
	}
	c.renderBand(k, bw.box(b), u, v, unit, 1)
	off := bw.by0*b.w + bw.bx0
	return render.WeightedDots(bw.scratch[off:], b.weight[off:], b.resid[off:], b.w, bw.bx1-bw.bx0, bw.by1-bw.by0)
}

// birthFluxes draws a multi-band birth's fluxes into th, band by band: the reference flux
// from the mixture of its prior and the residual's lognormal (lnBirthFlux), each other
// band's flux from the mixture of its colour prior given the reference flux and the
// lognormal its own residual suggests at the mapped position. It returns the log density of
// the draw, Σₖ ln b(fₖ | f₀), which birthFluxDensity gives for the reverse death.
func (w *worker) birthFluxes(x, y float64, th []float64) float64 {
	c := w.c
	eta := c.cfg.ResidualFluxes
	lnb := 0.0
	for k := 0; k < c.fluxes; k++ {
		mu, tau := c.fluxGuess(w.bandUnitSums(k, x, y))
		residual := w.rng.Float64() < eta
		switch {
		case residual:
			th[k] = math.Exp(mu + tau*w.rng.NormFloat64())
		case k == 0:
			c.kind.SamplePrior(w.rng, th)
		default:
			c.multi.SampleBand(w.rng, k, th)
		}
		lnb += c.lnBirthFlux(th[k], c.bandLogPrior(k, th), mu, tau)
	}
	return lnb
}

// birthFluxDensity is the log density with which birthFluxes would draw th at (x, y) on the
// residual without the source, r + f_k ψ_k in band k (the death's reverse birth).
func (w *worker) birthFluxDensity(x, y float64, th []float64) float64 {
	c := w.c
	lnb := 0.0
	for k := 0; k < c.fluxes; k++ {
		spr, spp := w.bandUnitSums(k, x, y)
		mu, tau := c.fluxGuess(spr+th[k]*spp, spp)
		lnb += c.lnBirthFlux(th[k], c.bandLogPrior(k, th), mu, tau)
	}
	return lnb
}

// bandLogPrior is the factor of a multi-band source's prior that belongs to band k: the
// reference flux prior for band 0, the band's prior given the reference flux for the others.
func (c *Chain) bandLogPrior(k int, th []float64) float64 {
	if k == 0 {
		return c.multi.LogFluxPrior(th[0])
	}
	return c.multi.LogBandPrior(k, th)
}

// splitBands splits every flux after the reference one of a source with fluxes th into
// children t0, t1: vₖ ~ U(0, 1), t0[k] = vₖ th[k], t1[k] = (1 − vₖ) th[k]. The draw has
// density 1 and the map (fₖ, vₖ) → (vₖ fₖ, (1 − vₖ) fₖ) Jacobian fₖ, so it returns
// Σₖ ln fₖ, the term the split's ratio gains (and the merge's loses). Nothing for one band.
func (w *worker) splitBands(th, t0, t1 []float64) float64 {
	lnJ := 0.0
	for k := 1; k < w.c.fluxes; k++ {
		v := w.rng.Float64()
		t0[k], t1[k] = v*th[k], (1-v)*th[k]
		lnJ += math.Log(th[k])
	}
	return lnJ
}

// joinBands is the reverse of splitBands: t[k] = a[k] + b[k] for every flux after the
// reference one; it returns −Σₖ ln t[k].
func (c *Chain) joinBands(a, b, t []float64) float64 {
	lnJ := 0.0
	for k := 1; k < c.fluxes; k++ {
		t[k] = a[k] + b[k]
		lnJ -= math.Log(t[k])
	}
	return lnJ
}

// multiMove proposes new fluxes for a multi-band move: fₖ' = fₖ + σₖ(fₖ)·z in every band,
// σₖ being the band's Fisher flux step (bandFluxSigma), so the Hastings term is
// Σₖ [−ln σₖ(fₖ') − Δfₖ²/2σₖ(fₖ')² + ln σₖ(fₖ) + Δfₖ²/2σₖ(fₖ)²]. ok is false when the
// reference flux falls below f_min or another band's below 0 (outside the prior).
func (w *worker) multiMove(old, nw []float64) (hastings float64, ok bool) {
	c := w.c
	for k, b := range c.bands {
		f := old[k]
		sf := c.bandFluxSigma(b, f)
		f2 := f + sf*w.rng.NormFloat64()
		if (k == 0 && f2 < c.fmin) || !(f2 > 0) {
			return 0, false
		}
		nw[k] = f2
		sf2 := c.bandFluxSigma(b, f2)
		df := f2 - f
		hastings += -math.Log(sf2) - df*df/(2*sf2*sf2) + math.Log(sf) + df*df/(2*sf*sf)
	}
	return hastings, true
}
