"""Classical baselines for the M2 benchmark: photutils' iterative PSF photometry and SEP.

Run by `go run ./experiments/m2` with Debian's python3 (python3-photutils, python3-sep):

    /usr/bin/python3 experiments/m2/baselines.py {photutils|sep} CTS PIX PSF OUT

CTS, PIX and PSF are PCAT's text inputs (image in ADU with bias, calibration "W H flag / bias
gain", 5x oversampled PSF with a "size factor" header line). OUT receives one "x y flux" row per
detected star: 0-based cutout pixels (x = column, y = row, centres at integers) and flux in ADU
above the background, the same frame and units as PCAT's sdss.0921_tru.txt.
"""

import os
import sys
import warnings

import numpy as np


def read_inputs(cts, pix, psf):
    img = np.loadtxt(cts)
    with open(pix) as f:
        f.readline()
        bias, gain = (float(v) for v in f.readline().split()[:2])
    with open(psf) as f:
        size, factor = (int(v) for v in f.readline().split()[:2])
        fine = np.loadtxt(f)
    return img - bias, gain, fine, size, factor


def native(fine, factor):
    """The PSF at native sampling through its central phase (peak at the stamp centre), sum 1."""
    c = fine.shape[0] // 2
    p = fine[c % factor::factor, c % factor::factor]
    return p / p.sum()


def fwhm_of(p):
    """FWHM in pixels of the (native) PSF stamp from its effective area, as for a Gaussian."""
    # For a Gaussian, sum(p^2) = 1 / (4 pi sigma^2).
    sigma = np.sqrt(1.0 / (4 * np.pi * (p**2).sum()))
    return 2 * np.sqrt(2 * np.log(2)) * sigma


def write(path, x, y, flux):
    tmp = path + ".tmp"  # written whole, then renamed
    with open(tmp, "w") as f:
        for xi, yi, fi in zip(x, y, flux):
            f.write(f"{xi:.4f} {yi:.4f} {fi:.3f}\n")
    os.replace(tmp, path)


def run_photutils(img, gain, fine, factor):
    from astropy.modeling.fitting import LevMarLSQFitter
    from astropy.stats import SigmaClip
    from photutils.background import MMMBackground
    from photutils.detection import DAOStarFinder
    from photutils.psf import DAOGroup, FittableImageModel, IterativelySubtractedPSFPhotometry

    # The sky: MMM (DAOPHOT's mode estimator) over the whole cutout, subtracted by the
    # photometry class before the first detection; in a crowded field it sits above PCAT's
    # fixed 179 ADU because of the unresolved stars.
    bkg = MMMBackground(sigma_clip=SigmaClip(sigma=3.0))
    sky = bkg(img)
    sigma = np.sqrt(sky / gain)
    p = native(fine, factor)
    fwhm = fwhm_of(p)
    # The PCAT PSF at its full 5x sampling; photutils evaluates it at sub-pixel offsets. Each
    # of the factor² sub-pixel phases of the grid sums to 1, so that the model sampled at
    # native pixels sums to 1 (photutils' own normalisation would make the whole fine grid
    # sum to 1 and the fluxes factor² too large).
    model = FittableImageModel(fine * factor**2 / fine.sum(), oversampling=factor, normalize=False)
    finder = DAOStarFinder(threshold=3.0 * sigma, fwhm=fwhm, roundlo=-1, roundhi=1, sharplo=0.2, sharphi=1.0)
    phot = IterativelySubtractedPSFPhotometry(
        finder=finder, group_maker=DAOGroup(1.5 * fwhm), bkg_estimator=bkg, psf_model=model,
        fitter=LevMarLSQFitter(), niters=3, fitshape=(7, 7), aperture_radius=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = phot(img)
    print(f"photutils: sky {sky:.1f} ADU, PSF FWHM {fwhm:.2f} px, {len(t)} stars", file=sys.stderr)
    ok = np.isfinite(t["flux_fit"]) & (t["flux_fit"] > 0)
    return t["x_fit"][ok], t["y_fit"][ok], t["flux_fit"][ok]


def run_sep(img, gain, fine, factor):
    import sep

    data = np.ascontiguousarray(img, dtype=np.float64)
    # The sky: SEP's mesh background (25 px meshes, 3x3 median filter), which follows the
    # unresolved light of the cluster.
    bkg = sep.Background(data, bw=25, bh=25, fw=3, fh=3)
    sub = data - bkg.back()
    sky = float(np.median(bkg.back()))
    sigma = np.sqrt(sky / gain)  # the sky's own noise
    p = native(fine, factor)
    c = p.shape[0] // 2
    # Fine deblending (many thresholds, a tiny contrast) at 5 sigma of the sky noise, with no
    # smoothing: in this field any matched filter merges the cluster into a few huge blobs.
    sep.set_sub_object_limit(4096)
    objs = sep.extract(sub, 5.0 * sigma, minarea=2, filter_kernel=None,
                       deblend_nthresh=64, deblend_cont=1e-6)
    # Flux: aperture photometry in a 1.5 px radius, corrected to total with the PSF's own
    # encircled energy in that aperture.
    r = 1.5
    ap, _, _ = sep.sum_circle(sub, objs["x"], objs["y"], r, subpix=5)
    ee, _, _ = sep.sum_circle(np.ascontiguousarray(p), [float(c)], [float(c)], r, subpix=5)
    flux = ap / ee[0]
    print(f"sep: sky median {sky:.1f} ADU, {len(objs)} objects, EE({r}) {ee[0]:.3f}", file=sys.stderr)
    ok = np.isfinite(flux) & (flux > 0)
    return objs["x"][ok], objs["y"][ok], flux[ok]


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("photutils", "sep"):
        sys.exit("usage: baselines.py {photutils|sep} CTS PIX PSF OUT")
    img, gain, fine, _, factor = read_inputs(*sys.argv[2:5])
    fn = run_photutils if sys.argv[1] == "photutils" else run_sep
    x, y, flux = fn(img, gain, fine, factor)
    write(sys.argv[5], x, y, flux)


if __name__ == "__main__":
    main()
