package psf

import "errors"

func parseFITS(path string, p params) (*PSF, error) {
	return nil, errors.New("FITS PSFs are not readable yet")
}
