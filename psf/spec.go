package psf

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Parse builds a PSF from a specification, as given on the command line:
//
//	gaussian:fwhm=2.2                          circular Gaussian, FWHM in pixels
//	doublegaussian:sigma1=0.88,sigma2=2.308,b=0.0588
//	                                           SDSS double Gaussian (b: ratio of central
//	                                           surface brightness, second to first)
//	moffat:fwhm=2.5,beta=3                     Moffat profile
//	PATH.txt                                   PCAT's oversampled text format (ReadPCATFile)
//	PATH.fits, .fit (also .gz, .bz2)           a FITS PSF image (ReadFITS)
//
// Analytic specifications accept size=N (odd) to fix the stamp side instead of choosing it
// from MaxTruncatedLight; the PSF is then normalised on that stamp (which FromEffective
// grows by 2 if the profile's light reaches its edge). A FITS path may end in
// options after '?', separated by '&': oversample=F (the image is F× oversampled; default
// 1, or the file's OVERSAMP card), size=N, centre=middle|peak|centroid|X,Y (0-based image
// pixels; default: see CentreAuto), hdu=N (0-based; default: the first image HDU, or the
// oversampled one written by WriteFITS). Errors name the specification and the problem.
func Parse(spec string) (*PSF, error) {
	p, err := parse(spec)
	if err != nil {
		return nil, fmt.Errorf("PSF %q: %w", spec, err)
	}
	return p, nil
}

func parse(spec string) (*PSF, error) {
	if kind, args, ok := strings.Cut(spec, ":"); ok && isAnalytic(kind) {
		params, err := keyValues(args, ",")
		if err != nil {
			return nil, err
		}
		return analytic(strings.ToLower(kind), params)
	}
	path, opts := spec, ""
	if i := strings.LastIndexByte(spec, '?'); i >= 0 {
		if _, err := os.Stat(spec); err != nil { // a '?' that is not part of the file name
			path, opts = spec[:i], spec[i+1:]
		}
	}
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".txt"):
		if opts != "" {
			return nil, fmt.Errorf("PCAT text PSFs take no options, got %q", opts)
		}
		return ReadPCATFile(path)
	case strings.HasSuffix(lower, ".fits"), strings.HasSuffix(lower, ".fit"),
		strings.HasSuffix(lower, ".fits.gz"), strings.HasSuffix(lower, ".fit.gz"),
		strings.HasSuffix(lower, ".fits.bz2"), strings.HasSuffix(lower, ".fit.bz2"):
		params, err := keyValues(opts, "&")
		if err != nil {
			return nil, err
		}
		return parseFITS(path, params)
	}
	return nil, fmt.Errorf("not a PSF specification: want gaussian:, doublegaussian: or moffat: with parameters, or a .txt (PCAT) or .fits file")
}

func isAnalytic(kind string) bool {
	switch strings.ToLower(kind) {
	case "gaussian", "doublegaussian", "moffat":
		return true
	}
	return false
}

// params holds key=value options and remembers which were used.
type params map[string]string

func keyValues(s, sep string) (params, error) {
	p := params{}
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	for _, kv := range strings.Split(s, sep) {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return nil, fmt.Errorf("option %q is not key=value", kv)
		}
		if _, dup := p[k]; dup {
			return nil, fmt.Errorf("option %s given twice", k)
		}
		p[k] = strings.TrimSpace(v)
	}
	return p, nil
}

// float removes and returns a required finite number.
func (p params) float(key string) (float64, error) {
	s, ok := p[key]
	if !ok {
		return 0, fmt.Errorf("missing %s=", key)
	}
	delete(p, key)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s=%q is not a finite number", key, s)
	}
	return v, nil
}

// int removes and returns an optional integer (def when absent).
func (p params) int(key string, def int) (int, error) {
	s, ok := p[key]
	if !ok {
		return def, nil
	}
	delete(p, key)
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not an integer", key, s)
	}
	return v, nil
}

// done fails if options remain unused.
func (p params) done() error {
	for k := range p {
		return fmt.Errorf("unknown option %s", k)
	}
	return nil
}

func analytic(kind string, p params) (*PSF, error) {
	_, given := p["size"]
	size, err := p.int("size", 0)
	if err == nil && given && (size < 1 || size%2 == 0) {
		err = fmt.Errorf("size=%d must be odd and positive", size)
	}
	get := func(key string) float64 {
		v, e := p.float(key)
		if err == nil {
			err = e
		}
		return v
	}
	var build func() (*PSF, error)
	switch kind {
	case "gaussian":
		fwhm := get("fwhm")
		build = func() (*PSF, error) { return gaussian(fwhm, size) }
	case "doublegaussian":
		s1, s2, b := get("sigma1"), get("sigma2"), get("b")
		build = func() (*PSF, error) { return doubleGaussian(s1, s2, b, size) }
	case "moffat":
		fwhm, beta := get("fwhm"), get("beta")
		build = func() (*PSF, error) { return moffat(fwhm, beta, size) }
	}
	if err == nil {
		err = p.done()
	}
	if err != nil {
		return nil, err
	}
	return build()
}
