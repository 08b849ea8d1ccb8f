package galaxy

import (
	"errors"
	"fmt"
	"math"

	"github.com/probcat/probcat/psf"
	"gonum.org/v1/gonum/mat"
)

// PSFFit is a Gaussian-mixture fit to an effective PSF.
type PSFFit struct {
	// Mixture is the fitted PSF with its amplitudes rescaled to sum to 1, so that a galaxy
	// rendered through it has the same total light as a point source of the same flux.
	Mixture Mixture
	// Light is the sum of the fitted amplitudes before that rescaling: the light the fit
	// holds against the PSF's 1 (below 1 when the PSF has wings the mixture leaves out).
	Light float64
	// MaxResidual is the largest |mixture − PSF| over the PSF's oversampled samples, and
	// RMSResidual the root mean square, both as fractions of the largest sample.
	MaxResidual, RMSResidual float64
}

// MaxPSFComponents is the largest number of components FitPSF fits.
const MaxPSFComponents = 8

// FitPSF fits a mixture of k Gaussians, each with its own amplitude, mean and full
// covariance, to the oversampled samples of an effective PSF (psf.PSF.Fine: sample (a, b) is
// the light of a pixel whose centre lies at (b/Factor − Size/2, a/Factor − Size/2) from the
// source). Because those samples are pixel-integrated, the mixture is a pixel-convolved PSF
// in the sense of Renderer. The fit minimises the sum of squared residuals over all samples
// by Levenberg–Marquardt, from a start made by 30 expectation–maximisation steps on the
// positive samples; amplitudes are kept positive. Four components fit the SDSS r PSF of
// field 2583-2-136 within 0.9 % of the peak at the worst sample (0.08 % rms), three SDSS's
// pixel-integrated double Gaussian within 0.05 % (TestFitPSFReal).
func FitPSF(p *psf.PSF, k int) (PSFFit, error) {
	if p == nil {
		return PSFFit{}, errors.New("galaxy: FitPSF needs a PSF")
	}
	if k < 1 || k > MaxPSFComponents {
		return PSFFit{}, fmt.Errorf("galaxy: PSF mixture needs 1 to %d components, got %d", MaxPSFComponents, k)
	}
	n := p.Size * p.Factor
	if len(p.Fine) != n*n {
		return PSFFit{}, fmt.Errorf("galaxy: PSF has %d samples, want %d×%d", len(p.Fine), n, n)
	}
	s := samples{x: make([]float64, n*n), y: make([]float64, n*n), v: p.Fine}
	c := float64(p.Size / 2)
	f := float64(p.Factor)
	peak := 0.0
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			s.x[a*n+b] = float64(b)/f - c
			s.y[a*n+b] = float64(a)/f - c
			peak = math.Max(peak, p.Fine[a*n+b])
		}
	}
	if !(peak > 0) {
		return PSFFit{}, errors.New("galaxy: PSF has no positive sample")
	}
	m := s.em(k, 30, f*f)
	m = s.levenbergMarquardt(m)
	if m.Validate() != nil {
		return PSFFit{}, errors.New("galaxy: PSF mixture fit failed")
	}
	fit := PSFFit{Light: m.Light()}
	for i := range m {
		m[i].Amp /= fit.Light
	}
	fit.Mixture = m
	ss := 0.0
	for i, v := range s.v {
		r := math.Abs(m.At(s.x[i], s.y[i]) - v)
		fit.MaxResidual = math.Max(fit.MaxResidual, r)
		ss += r * r
	}
	fit.MaxResidual /= peak
	fit.RMSResidual = math.Sqrt(ss/float64(len(s.v))) / peak
	return fit, nil
}

// samples are the values v of a function at points (x, y).
type samples struct {
	x, y, v []float64
}

// em fits k Gaussians to the positive samples, taken as weights, by expectation–maximisation
// from concentric components at the weighted centroid with covariances 0.3, 0.6, 1.2, … times
// the weighted second moments. The amplitudes are the fractions of the weight each holds
// divided by density (samples per unit area), so that they are the components' light.
func (s samples) em(k, iterations int, density float64) Mixture {
	var sw, mx, my float64
	for i, v := range s.v {
		if v > 0 {
			sw += v
			mx += v * s.x[i]
			my += v * s.y[i]
		}
	}
	mx, my = mx/sw, my/sw
	var xx, xy, yy float64
	for i, v := range s.v {
		if v > 0 {
			dx, dy := s.x[i]-mx, s.y[i]-my
			xx += v * dx * dx
			xy += v * dx * dy
			yy += v * dy * dy
		}
	}
	xx, xy, yy = xx/sw, xy/sw, yy/sw
	m := make(Mixture, k)
	for j := range m {
		f := 0.3 * math.Pow(2, float64(j))
		m[j] = Gaussian{Amp: 1 / float64(k), MX: mx, MY: my, XX: f * xx, XY: f * xy, YY: f * yy}
	}
	resp := make([]float64, k)
	acc := make([][6]float64, k) // Σw, Σw·x, Σw·y, Σw·x², Σw·xy, Σw·y²
	for it := 0; it < iterations; it++ {
		clear(acc)
		for i, v := range s.v {
			if !(v > 0) {
				continue
			}
			tot := 0.0
			for j, g := range m {
				resp[j] = g.at(s.x[i], s.y[i])
				tot += resp[j]
			}
			if !(tot > 0) {
				continue
			}
			for j := range m {
				w := v * resp[j] / tot
				acc[j][0] += w
				acc[j][1] += w * s.x[i]
				acc[j][2] += w * s.y[i]
				acc[j][3] += w * s.x[i] * s.x[i]
				acc[j][4] += w * s.x[i] * s.y[i]
				acc[j][5] += w * s.y[i] * s.y[i]
			}
		}
		for j := range m {
			a := acc[j]
			if !(a[0] > 0) {
				continue // an empty component keeps its place
			}
			g := Gaussian{Amp: a[0] / density, MX: a[1] / a[0], MY: a[2] / a[0]}
			// a floor of 1e−4 px² keeps the covariance positive definite
			g.XX = a[3]/a[0] - g.MX*g.MX + 1e-4
			g.XY = a[4]/a[0] - g.MX*g.MY
			g.YY = a[5]/a[0] - g.MY*g.MY + 1e-4
			m[j] = g
		}
	}
	return m
}

// Parameters of a component in the least-squares fit: ln amplitude, mean, and the Cholesky
// factor L = [[e^l1, 0], [c, e^l2]] of the covariance LLᵀ.
const (
	pLnAmp = iota
	pMX
	pMY
	pL1
	pL2
	pC
	nPar
)

func toParams(m Mixture) []float64 {
	th := make([]float64, nPar*len(m))
	for j, g := range m {
		t := th[j*nPar:]
		l11 := math.Sqrt(g.XX)
		c := g.XY / l11
		t[pLnAmp] = math.Log(math.Max(g.Amp, 1e-12))
		t[pMX], t[pMY] = g.MX, g.MY
		t[pL1] = math.Log(l11)
		t[pL2] = 0.5 * math.Log(g.YY-c*c)
		t[pC] = c
	}
	return th
}

func fromParams(th []float64) Mixture {
	m := make(Mixture, len(th)/nPar)
	for j := range m {
		t := th[j*nPar:]
		l11, l22, c := math.Exp(t[pL1]), math.Exp(t[pL2]), t[pC]
		m[j] = Gaussian{Amp: math.Exp(t[pLnAmp]), MX: t[pMX], MY: t[pMY],
			XX: l11 * l11, XY: c * l11, YY: c*c + l22*l22}
	}
	return m
}

// gradient writes into d the derivatives of the component with parameters t at (x, y) with
// respect to its parameters, and returns its value. With u = L⁻¹(x − m), the component is
// g = e^lnA/(2π e^(l1+l2)) · exp(−|u|²/2).
func gradient(t []float64, x, y float64, d []float64) float64 {
	e1, e2, c := math.Exp(-t[pL1]), math.Exp(-t[pL2]), t[pC]
	u1 := (x - t[pMX]) * e1
	u2 := (y - t[pMY] - c*u1) * e2
	g := math.Exp(t[pLnAmp]-t[pL1]-t[pL2]-(u1*u1+u2*u2)/2) / (2 * math.Pi)
	d[pLnAmp] = g
	d[pMX] = g * (u1*e1 - c*u2*e1*e2)
	d[pMY] = g * u2 * e2
	d[pL1] = g * (u1*u1 - 1 - c*u1*u2*e2)
	d[pL2] = g * (u2*u2 - 1)
	d[pC] = g * u1 * u2 * e2
	return g
}

// normal returns ½Σr², JᵀJ and Jᵀr for the residuals r = model − v at parameters th.
func (s samples) normal(th []float64) (cost float64, jtj *mat.SymDense, jtr []float64) {
	np := len(th)
	jtj = mat.NewSymDense(np, nil)
	jtr = make([]float64, np)
	row := make([]float64, np)
	raw := jtj.RawSymmetric()
	for i, v := range s.v {
		model := 0.0
		for j := 0; j < np; j += nPar {
			model += gradient(th[j:j+nPar], s.x[i], s.y[i], row[j:j+nPar])
		}
		r := model - v
		cost += r * r / 2
		for a := 0; a < np; a++ {
			if row[a] == 0 {
				continue
			}
			jtr[a] += row[a] * r
			ra := raw.Data[a*raw.Stride:]
			for b := a; b < np; b++ {
				ra[b] += row[a] * row[b]
			}
		}
	}
	return cost, jtj, jtr
}

// cost returns ½Σr² at parameters th.
func (s samples) cost(th []float64) float64 {
	m := fromParams(th)
	c := 0.0
	for i, v := range s.v {
		r := m.At(s.x[i], s.y[i]) - v
		c += r * r / 2
	}
	return c
}

// levenbergMarquardt refines the mixture by damped Gauss–Newton steps on the squared
// residuals (Marquardt's scaling of the damping by the diagonal of JᵀJ) until a step lowers
// the cost by less than 1e−6 of it, or 300 steps.
func (s samples) levenbergMarquardt(m Mixture) Mixture {
	th := toParams(m)
	np := len(th)
	lambda := 1e-3
	cost, jtj, jtr := s.normal(th)
	trial := make([]float64, np)
	a := mat.NewSymDense(np, nil)
	var ch mat.Cholesky
	var step mat.VecDense
	for it := 0; it < 300 && lambda < 1e12; it++ {
		a.CopySym(jtj)
		for i := 0; i < np; i++ {
			a.SetSym(i, i, jtj.At(i, i)*(1+lambda)+1e-300)
		}
		if !ch.Factorize(a) {
			lambda *= 10
			continue
		}
		if err := ch.SolveVecTo(&step, mat.NewVecDense(np, jtr)); err != nil {
			lambda *= 10
			continue
		}
		for i := range th {
			trial[i] = th[i] - step.AtVec(i)
		}
		c := s.cost(trial)
		if !(c < cost) {
			lambda *= 4
			continue
		}
		copy(th, trial)
		lambda = math.Max(lambda/3, 1e-12)
		done := cost-c < 1e-6*cost
		cost, jtj, jtr = s.normal(th)
		if done {
			break
		}
	}
	return fromParams(th)
}
