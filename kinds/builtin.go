package kinds

import (
	"github.com/probcat/probcat/galaxy"
	"github.com/probcat/probcat/model"
)

// galaxyPSFComponents is the number of Gaussians fitted to the PSF for galaxies: three fit an
// SDSS PSF to below 1 % of its peak (galaxy.FitPSF's tests).
const galaxyPSFComponents = 3

func init() {
	star := func(env Env) (model.SourceKind, error) {
		return &model.PointSource{PSF: env.PSF, Flux: env.Flux}, nil
	}
	Register("star", star)
	Register("point", star)
	Register("galaxy", galaxyOf(galaxy.Exp))
	Register("galaxy-exp", galaxyOf(galaxy.Exp))
	Register("galaxy-dev", galaxyOf(galaxy.Dev))
}

// galaxyOf returns the constructor of galaxies of a profile, seen through a Gaussian-mixture
// fit of the PSF of the image's centre cell.
func galaxyOf(p galaxy.Profile) Constructor {
	return func(env Env) (model.SourceKind, error) {
		fit, err := galaxy.FitPSF(env.PSF.Centre(), galaxyPSFComponents)
		if err != nil {
			return nil, err
		}
		return galaxy.NewKind(p, fit.Mixture, env.Flux, env.ReMin, env.ReMax)
	}
}
