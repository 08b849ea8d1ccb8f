package sampler

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/psf"
	"gonum.org/v1/gonum/mat"
)

// RefineConfig sets up the refinement of the PSF from the image (RefinePSF).
type RefineConfig struct {
	// Rounds is the largest number of PSF updates; before each, a pilot chain runs
	// FirstSamples samples (the first round) or Samples samples (later rounds) of
	// Config.Proposals passes. The updates stop early once two in a row each change the PSF's
	// stamp by less than Tolerance of its peak (one small step alone stopped some runs 1 % of
	// the peak from the truth on the simulated misfit field; two at 5·10⁻⁴ end within
	// 0.25–0.53 % over 5 seeds and both kernel paths).
	Rounds, FirstSamples, Samples int
	Tolerance                     float64
	// MinSNR and MaxSNR select the stars the PSF is fitted to: isolated signal-to-noise
	// f/sqrt(σ_F² + f/gain) at least MinSNR and below MaxSNR (0, the default: no upper
	// limit). On the SDSS frame of M2 a correction fitted with the brightest stars (S/N ≥ 300)
	// splits the fainter bright stars more, as if their PSF differed, and one fitted without
	// them does not (experiments/bright-stars); on
	// fields whose bright stars share the PSF an upper limit only throws information away.
	MinSNR, MaxSNR float64
	// MergeRadius is the distance in pixels within which sources of at most half its flux
	// are taken to be fragments of a star of S/N ≥ MergeSNR, and joined to it before the
	// fit (a misfit PSF breaks only bright stars; a real neighbour the pilot joins comes
	// back in the next round's samples).
	MergeRadius, MergeSNR float64
	// Isolation is the radius in pixels within which a star fitted must have no other source
	// of more than a tenth of its flux: neighbours' light the pilot has not separated would
	// otherwise go into the correction (0 fits every star).
	Isolation float64
	// MinStars is the fewest selected stars a refinement needs; with fewer the PSF is kept.
	// MaxStars caps them: the brightest MaxStars are fitted (they carry most of the
	// information, and the fit's cost grows with the pixels they cover).
	MinStars, MaxStars int
	// Fit tunes the least-squares correction.
	Fit psf.RefineOptions
}

// DefaultRefineConfig returns the settings probcat uses: up to ten updates, after 40 pilot
// samples and then every 15, until one changes the stamp by less than 0.1 % of its peak,
// fitted to those of the 300 brightest stars of isolated S/N ≥ 30 that have no source of a
// tenth of their flux within 4 px (at least 5 of them), with fragments within 1.5 px of stars
// of S/N ≥ 100 joined.
func DefaultRefineConfig() RefineConfig {
	return RefineConfig{Rounds: 10, FirstSamples: 40, Samples: 15, Tolerance: 5e-4, MinSNR: 30, MergeRadius: 1.5, MergeSNR: 100, Isolation: 4, MinStars: 5, MaxStars: 300}
}

// Validate reports the first setting that makes a refinement impossible.
func (r RefineConfig) Validate() error {
	switch {
	case r.Rounds < 1:
		return fmt.Errorf("PSF refinement rounds must be at least 1, got %d", r.Rounds)
	case !(r.Tolerance >= 0):
		return fmt.Errorf("PSF refinement tolerance must not be negative, got %g", r.Tolerance)
	case r.FirstSamples < 1 || r.Samples < 1:
		return fmt.Errorf("PSF refinement samples per round must be at least 1, got %d and %d", r.FirstSamples, r.Samples)
	case r.MaxStars < max(r.MinStars, 1):
		return fmt.Errorf("PSF refinement needs room for at least %d stars, got a cap of %d", max(r.MinStars, 1), r.MaxStars)
	case !(r.MaxSNR == 0 || r.MaxSNR > r.MinSNR):
		return fmt.Errorf("PSF refinement S/N range [%g, %g) is empty", r.MinSNR, r.MaxSNR)
	case !(r.MinSNR > 0):
		return fmt.Errorf("PSF refinement S/N threshold must be positive, got %g", r.MinSNR)
	case !(r.MergeSNR > 0):
		return fmt.Errorf("PSF refinement merge S/N threshold must be positive, got %g", r.MergeSNR)
	case !(r.Isolation >= 0):
		return fmt.Errorf("PSF refinement isolation radius must not be negative, got %g", r.Isolation)
	case !(r.MergeRadius >= 0):
		return fmt.Errorf("PSF refinement merge radius must not be negative, got %g", r.MergeRadius)
	}
	return nil
}

// RefineRound reports one PSF update.
type RefineRound struct {
	// Sources is the number of sources of the pilot chain's last sample, Merged how many of
	// them were joined to a brighter star as its fragments, Stars how many stars the PSF was
	// fitted to.
	Sources, Merged, Stars int
	// Chi2Before and Chi2After are those of psf.RefineStats; MaxChange is the update's
	// largest change of the stamp (psf.PSF.MaxChange).
	Chi2Before, Chi2After, MaxChange float64
}

// RefineReport is what RefinePSF did.
type RefineReport struct {
	// Refined is false when the PSF was kept as given, and Reason says why.
	Refined bool
	Reason  string
	Rounds  []RefineRound
}

// RefinePSF fits the point-source PSF p to the image before sampling, as DAOPHOT, StarNet's
// wake phase and crowdsource learn theirs from the image: a pilot chain samples the catalogue
// with the current PSF; its last sample's bright stars (isolated S/N ≥ MinSNR), each joined
// with the fainter sources within MergeRadius (the pieces a misfit PSF breaks a bright star
// into: their fluxes add, at the flux-weighted centre), give the residual the PSF is fitted to
// (psf.PSF.FitCorrection, fitted with the field's centre cell and applied to every cell);
// the pilot continues from the joined catalogue with the new PSF, and so on
// for Rounds updates. The sampler's chains then run with the refined PSF, which is fixed: the
// posterior they sample is conditional on it (an empirical-Bayes estimate of the PSF).
//
// The pilot chain's randomness derives from cfg.Seed only (not from the thread count). When
// fewer than MinStars stars qualify, or a fit fails, RefinePSF returns p unchanged with
// Refined false and the reason; only a cancelled ctx or an invalid setting is an error.
func RefinePSF(ctx context.Context, img *model.Image, p *psf.Field, flux model.FluxPrior, cfg Config, rc RefineConfig) (*psf.Field, RefineReport, error) {
	var rep RefineReport
	if err := rc.Validate(); err != nil {
		return nil, rep, err
	}
	pcfg := cfg
	pcfg.Seed = mix(cfg.Seed ^ 0x7073662d72656669)           // "psf-refi": a stream of its own
	pcfg.BurnIn = rc.FirstSamples + (rc.Rounds-1)*rc.Samples // every pilot sample burns in
	pcfg.MaxBurnIn = 0
	pcfg.Samples = 1
	pcfg.Chains = 1
	cur := p
	var cat *model.Catalogue
	var sky []float64 // the background's coefficients from the previous round
	calm := 0         // consecutive rounds that changed the PSF by less than the tolerance
	for round := 0; round < rc.Rounds; round++ {
		kind := &model.PointSource{PSF: cur, Flux: flux}
		ch, err := NewChain(img, kind, pcfg, round)
		if err != nil {
			return nil, rep, err
		}
		if cat != nil {
			ch.setSky(sky)
			if err := ch.SetCatalogue(cat); err != nil {
				return nil, rep, err
			}
		}
		n := rc.Samples
		if round == 0 {
			n = rc.FirstSamples
		}
		var s Sample
		for range n {
			if s, err = ch.Next(ctx); err != nil {
				return nil, rep, err
			}
		}
		sky = ch.skyState()
		snr := ch.snrFunc()
		joined, merged := joinFragments(s.Catalogue, snr, rc.MergeSNR, rc.MergeRadius)
		if err := ch.SetCatalogue(joined); err != nil {
			return nil, rep, err
		}
		if ch.storesWeights() {
			ch.computeWeights()
		}
		var idx []int
		for i := range joined.Len() {
			if v := snr(joined.Flux[i]); v >= rc.MinSNR && (rc.MaxSNR == 0 || v < rc.MaxSNR) {
				idx = append(idx, i)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(joined.Flux[b], joined.Flux[a]) })
		if len(idx) > rc.MaxStars {
			idx = idx[:rc.MaxStars]
		}
		// the stars' fluxes and positions as the current PSF fits them best, whatever the
		// sample's noise and fragments made of them; then the residual of that catalogue
		ch.refitStars(cur, joined, idx)
		if err := ch.SetCatalogue(joined); err != nil {
			return nil, rep, err
		}
		var stars []psf.Star
		for _, i := range idx {
			if !isolated(joined, i, rc.Isolation) {
				continue
			}
			stars = append(stars, psf.Star{X: joined.X[i], Y: joined.Y[i], Flux: joined.Flux[i]})
		}
		rr := RefineRound{Sources: s.Catalogue.Len(), Merged: merged, Stars: len(stars)}
		cat = joined
		if len(stars) < rc.MinStars {
			rep.Rounds = append(rep.Rounds, rr)
			rep.Reason = fmt.Sprintf("only %d isolated stars with S/N ≥ %g (need %d)", len(stars), rc.MinSNR, rc.MinStars)
			break
		}
		corr, st, err := cur.Centre().FitCorrection(ch.resid, ch.weight, ch.w, ch.h, stars, rc.Fit)
		var next *psf.Field
		if err == nil {
			next, err = cur.Corrected(corr)
		}
		if err != nil {
			rep.Rounds = append(rep.Rounds, rr)
			rep.Reason = err.Error()
			break
		}
		rr.Chi2Before, rr.Chi2After = st.Chi2Before, st.Chi2After
		rr.MaxChange = cur.Centre().MaxChange(next.Centre())
		rep.Rounds = append(rep.Rounds, rr)
		cur = next
		rep.Refined = true
		if rr.MaxChange < rc.Tolerance {
			if calm++; calm == 2 {
				break
			}
		} else {
			calm = 0
		}
	}
	if !rep.Refined {
		if rep.Reason == "" {
			rep.Reason = "no update was made"
		}
		return p, rep, nil
	}
	return cur, rep, nil
}

// refitStars fits the flux and position of the sources idx of cat (brightest first) to the
// chain's current residual plus their own light, each in turn (so that a star's fit sees its
// neighbours' latest models), by three Gauss–Newton steps on the pixels within 4 px of it,
// with the PSF p; it updates cat and the chain's residual. The sampler's sample has each star
// where one posterior draw put it, fragments joined at their flux-weighted centre: a PSF fitted
// to those positions learns their scatter and offsets.
func (c *Chain) refitStars(p *psf.Field, cat *model.Catalogue, idx []int) {
	const R, h = 4, 0.01
	side := 2*R + 1
	m := make([]float32, side*side)
	mx1, mx2 := make([]float32, side*side), make([]float32, side*side)
	my1, my2 := make([]float32, side*side), make([]float32, side*side)
	d := make([]float64, side*side)
	render := func(dst []float32, x0, y0 int, x, y, f float64) {
		clear(dst)
		p.AddTo(model.Box{Pix: dst, Stride: side, X0: x0, Y0: y0, W: side, H: side}, x, y, f)
	}
	for _, i := range idx {
		x, y, f := cat.X[i], cat.Y[i], cat.Flux[i]
		cx, cy := int(math.Round(x)), int(math.Round(y))
		if cx-R < 0 || cy-R < 0 || cx+R >= c.w || cy+R >= c.h {
			continue
		}
		x0, y0 := cx-R, cy-R
		render(m, x0, y0, x, y, f)
		for v := range side {
			for u := range side {
				k := (y0+v)*c.w + x0 + u
				d[v*side+u] = float64(c.resid[k]) + float64(m[v*side+u])
			}
		}
		nx, ny, nf := x, y, f
		for range 3 {
			render(m, x0, y0, nx, ny, 1)
			render(mx1, x0, y0, nx+h, ny, 1)
			render(mx2, x0, y0, nx-h, ny, 1)
			render(my1, x0, y0, nx, ny+h, 1)
			render(my2, x0, y0, nx, ny-h, 1)
			a := mat.NewSymDense(3, nil)
			b := mat.NewVecDense(3, nil)
			for v := range side {
				for u := range side {
					q := v*side + u
					w := float64(c.weight[(y0+v)*c.w+x0+u])
					j := [3]float64{float64(m[q]), nf * float64(mx1[q]-mx2[q]) / (2 * h), nf * float64(my1[q]-my2[q]) / (2 * h)}
					r := d[q] - nf*float64(m[q])
					for k := range 3 {
						b.SetVec(k, b.AtVec(k)+w*j[k]*r)
						for l := k; l < 3; l++ {
							a.SetSym(k, l, a.At(k, l)+w*j[k]*j[l])
						}
					}
				}
			}
			var chol mat.Cholesky
			var step mat.VecDense
			if !chol.Factorize(a) || chol.SolveVecTo(&step, b) != nil {
				break
			}
			nf += step.AtVec(0)
			nx += math.Max(-0.5, math.Min(0.5, step.AtVec(1)))
			ny += math.Max(-0.5, math.Min(0.5, step.AtVec(2)))
		}
		if !(nf > c.fmin) || math.Abs(nx-x) > 1 || math.Abs(ny-y) > 1 || nx < -0.5 || ny < -0.5 || nx >= float64(c.w)-0.5 || ny >= float64(c.h)-0.5 {
			continue // keep the sample's values where the fit wanders off
		}
		render(m, x0, y0, nx, ny, nf)
		for v := range side {
			for u := range side {
				c.resid[(y0+v)*c.w+x0+u] = float32(d[v*side+u] - float64(m[v*side+u]))
			}
		}
		cat.X[i], cat.Y[i], cat.Flux[i] = nx, ny, nf
	}
}

// isolated reports whether source i of cat has no other source of more than a tenth of its
// flux within radius pixels.
func isolated(cat *model.Catalogue, i int, radius float64) bool {
	for j := range cat.Len() {
		if j != i && cat.Flux[j] > 0.1*cat.Flux[i] && math.Abs(cat.X[j]-cat.X[i]) <= radius && math.Abs(cat.Y[j]-cat.Y[i]) <= radius && math.Hypot(cat.X[j]-cat.X[i], cat.Y[j]-cat.Y[i]) <= radius {
			return false
		}
	}
	return true
}

// snrFunc returns the isolated signal-to-noise of a point source as a function of its flux:
// f / sqrt(σ_F² + f/gain), with σ_F² the background-limited flux variance of stepConstants.
func (c *Chain) snrFunc() func(f float64) float64 {
	sig, gain := c.sigF2, c.img.Gain
	return func(f float64) float64 {
		if !(f > 0) {
			return 0
		}
		return f / math.Sqrt(sig+f/gain)
	}
}

// joinFragments returns a copy of cat in which every source of at most half the flux of a
// star of S/N ≥ minSNR and within radius of it is joined to the brightest such star (fluxes add; the position is
// the flux-weighted mean), and the number of sources joined. Stars are visited from the
// brightest, so a fragment joins the brightest star near it.
func joinFragments(cat *model.Catalogue, snr func(float64) float64, minSNR, radius float64) (*model.Catalogue, int) {
	n := cat.Len()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(cat.Flux[b], cat.Flux[a]) })
	gone := make([]bool, n)
	x := slices.Clone(cat.X)
	y := slices.Clone(cat.Y)
	f := slices.Clone(cat.Flux)
	// a grid of cells of side radius for the neighbour search
	cell := math.Max(radius, 1)
	grid := make(map[[2]int][]int)
	key := func(x, y float64) [2]int { return [2]int{int(math.Floor(x / cell)), int(math.Floor(y / cell))} }
	for i := range n {
		k := key(cat.X[i], cat.Y[i])
		grid[k] = append(grid[k], i)
	}
	merged := 0
	for _, i := range idx {
		if gone[i] || snr(cat.Flux[i]) < minSNR {
			continue
		}
		k := key(cat.X[i], cat.Y[i])
		sx, sy, sf := cat.X[i]*cat.Flux[i], cat.Y[i]*cat.Flux[i], cat.Flux[i]
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				for _, j := range grid[[2]int{k[0] + dx, k[1] + dy}] {
					if j == i || gone[j] || cat.Flux[j] > 0.5*cat.Flux[i] {
						continue
					}
					if math.Hypot(cat.X[j]-cat.X[i], cat.Y[j]-cat.Y[i]) > radius {
						continue
					}
					gone[j] = true
					merged++
					sx += cat.X[j] * cat.Flux[j]
					sy += cat.Y[j] * cat.Flux[j]
					sf += cat.Flux[j]
				}
			}
		}
		x[i], y[i], f[i] = sx/sf, sy/sf, sf
	}
	out := &model.Catalogue{}
	for i := range n {
		if gone[i] {
			continue
		}
		out.X = append(out.X, x[i])
		out.Y = append(out.Y, y[i])
		out.Flux = append(out.Flux, f[i])
	}
	return out, merged
}
