package pipeline

import (
	"math"

	"github.com/probcat/probcat/model"
)

// BackgroundHDU names model.fits' fourth extension, the posterior-mean background in counts
// above the bias, written when the background varies (sampler.Config.BackgroundOrder ≥ 1).
const BackgroundHDU = "BACKGROUND"

// BackgroundOrderCard is the header card of model.fits' MODEL and BACKGROUND extensions that
// gives the background's order when it varies.
const BackgroundOrderCard = "BKGORDER"

// skyPosterior summarises the kept samples' background: for a scalar one (order 0) its level,
// otherwise its coefficients on a model.SkyBasis over the image and its mean map.
type skyPosterior struct {
	basis     *model.SkyBasis
	mean, sd  float64   // the sky level (its mean over the image when it varies)
	coef, csd []float64 // every coefficient's posterior mean and standard deviation
	pix       []float64 // the posterior-mean background at every pixel; nil for order 0
	n         int       // kept samples
}

// at returns the posterior-mean background at pixel i.
func (s *skyPosterior) at(i int) float64 {
	if s.pix != nil {
		return s.pix[i]
	}
	return s.mean
}

// newSkyPosterior summarises the background of the kept samples recs.
func newSkyPosterior(job *Job, recs [][]record) *skyPosterior {
	im := job.Image
	order := job.Config.BackgroundOrder
	basis, err := model.NewSkyBasis(order, im.Width, im.Height)
	if err != nil { // the chains ran with this order, so the image admits it
		panic(err)
	}
	s := &skyPosterior{basis: basis, coef: make([]float64, basis.Len()), csd: make([]float64, basis.Len())}
	coefs := func(r *record) []float64 {
		if order == 0 {
			return []float64{r.Background}
		}
		return r.Sky
	}
	for _, rs := range recs {
		for i := range rs {
			s.mean += rs[i].Background
			for k, a := range coefs(&rs[i]) {
				s.coef[k] += a
			}
			s.n++
		}
	}
	if s.n == 0 {
		return s
	}
	s.mean /= float64(s.n)
	for k := range s.coef {
		s.coef[k] /= float64(s.n)
	}
	for _, rs := range recs {
		for i := range rs {
			d := rs[i].Background - s.mean
			s.sd += d * d
			for k, a := range coefs(&rs[i]) {
				s.csd[k] += (a - s.coef[k]) * (a - s.coef[k])
			}
		}
	}
	if s.n > 1 {
		s.sd = math.Sqrt(s.sd / float64(s.n-1))
		for k := range s.csd {
			s.csd[k] = math.Sqrt(s.csd[k] / float64(s.n-1))
		}
	} else {
		s.sd = 0
		clear(s.csd)
	}
	if order > 0 {
		s.pix = basis.Map(s.coef)
	}
	return s
}

// weightModel returns the source model to give Image.InverseVariance for the posterior-mean
// model's σ: mean itself for a scalar background (the variance then takes the image's sky
// level), and with a background that varies mean + (background − Image.Background), so that
// model noise sees the sky at every pixel.
func (s *skyPosterior) weightModel(im *model.Image, mean []float32) []float32 {
	if s.pix == nil || im.Noise != model.NoiseFromModel {
		return mean
	}
	out := make([]float32, len(mean))
	for i, m := range mean {
		out[i] = m + float32(s.pix[i]-im.Background)
	}
	return out
}

// record is run.json's "background": whether it was sampled, its order and basis, the
// posterior mean and standard deviation of every coefficient and of the sky level (the mean
// over the image of a background that varies).
func (s *skyPosterior) record(sampled bool) map[string]any {
	terms := make([]map[string]any, s.basis.Len())
	for k := range terms {
		terms[k] = map[string]any{"term": s.basis.Name(k), "mean": s.coef[k], "sd": s.csd[k]}
	}
	rec := map[string]any{"sampled": sampled, "order": s.basis.Order, "kept": s.n,
		"level": map[string]any{"mean": s.mean, "sd": s.sd}, "coefficients": terms}
	if s.basis.Order > 0 {
		rec["basis"] = "b(x, y) = sum of coefficient × term, counts above the bias; terms are products of Legendre polynomials " +
			"P_i(u) P_j(v) with i + j ≤ order, u = 2x/(width − 1) − 1 and v = 2y/(height − 1) − 1 over the sampled image's pixel centres " +
			"(x, y 0-based in it, before the frame offset x0, y0); level is the background's mean over the image"
	}
	return rec
}
