#!/usr/bin/python3
"""Classical baseline for experiments/hst: photutils iterative PSF photometry.

Usage: photutils_baseline.py IMAGE PSF OUT X0,Y0,W,H THRESHOLD_SIGMA

IMAGE is the FITS file probcat inject wrote, read as probcat reads it: for an HST file the SCI
extension, times EXPTIME when BUNIT is a rate, with pixels masked where DQ has any bit but
NICMOS's benign 1024 and 2048 (3072, probcat's default); for a plain file the first image
HDU. The image's fluxes are thus counts, as probcat reports them. PSF is a FITS file written by probcat's
psf.WriteFITS: its OVERSAMPLED extension is the same effective PSF probcat samples with
(OVERSAMP times finer than the pixels, centred on sample (PSFSIZE//2)*OVERSAMP). The box
X0,Y0,W,H (0-based) is fitted; fits that wander off it are dropped; OUT is a text file of x y flux rows in the image's 0-based
pixel frame, which probcat score reads.

Settings (photutils 1.6 API, IterativelySubtractedPSFPhotometry):
- background: a local sky map, Background2D with 16x16-pixel boxes, 3x3 median filter,
  MMMBackground, sigma-clipped at 3 sigma; subtracted before detection and fitting.
- noise: the pixel noise, 1.4826 MAD of first differences along x over sqrt 2 (one sigma for
  the box; MADStdBackgroundRMS of the pixels themselves measures the crowding, 260 counts on
  the NICMOS cutout against about 20 from differences, and would detect far fewer stars).
- finder: DAOStarFinder, threshold THRESHOLD_SIGMA * sigma, FWHM from the PSF's
  half-maximum area, sharpness 0.2-1.0, roundness -1..1 (photutils defaults otherwise).
- PSF: FittableImageModel of the oversampled effective PSF, flux, x_0, y_0 free.
- grouping: DAOGroup with crit_separation 2.5 FWHM; fitter LevMarLSQFitter; fitshape 7x7
  (NICMOS, PHAT: the PSF's core); 3 iterations of find, fit, subtract.
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.modeling.fitting import LevMarLSQFitter
from astropy.stats import SigmaClip
from photutils.background import Background2D, MMMBackground
from photutils.detection import DAOStarFinder
from photutils.psf import DAOGroup, FittableImageModel, IterativelySubtractedPSFPhotometry


def read_counts(path):
    """Returns the image in counts and its mask of bad pixels (True: masked)."""
    with fits.open(path) as hdul:
        names = [hdu.name for hdu in hdul]
        if "SCI" not in names:
            data = next(h.data for h in hdul if h.data is not None).astype(float)
            return data, ~np.isfinite(data)
        sci = hdul["SCI"]
        data = sci.data.astype(float)
        unit = str(sci.header.get("BUNIT", hdul[0].header.get("BUNIT", ""))).upper()
        if unit.endswith("/S"):
            data = data * float(sci.header.get("EXPTIME", hdul[0].header.get("EXPTIME")))
        mask = ~np.isfinite(data)
        if "DQ" in names:
            mask |= (hdul["DQ"].data.astype(int) & ~3072) != 0
        return data, mask


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.split("\n\n")[1])
    image_path, psf_path, out_path, box, thresh = sys.argv[1:]
    x0, y0, w, h = (int(v) for v in box.split(","))
    data, mask = read_counts(image_path)
    data, mask = data[y0:y0 + h, x0:x0 + w], mask[y0:y0 + h, x0:x0 + w]

    with fits.open(psf_path) as hdul:
        fine = hdul["OVERSAMPLED"].data.astype(float)
        factor = int(hdul["OVERSAMPLED"].header["OVERSAMP"])
        size = int(hdul["OVERSAMPLED"].header["PSFSIZE"])
    c = (size // 2) * factor
    # Each sub-pixel phase of the fine grid sums to 1 over the native pixels already; photutils
    # normalize=True would divide the whole grid, factor² phases, to 1.
    psf = FittableImageModel(fine, oversampling=factor, origin=(c, c), normalize=False)
    # FWHM from the area above half the peak of the native-sampled centred PSF.
    native = fine[::factor, ::factor]
    fwhm = 2 * np.sqrt(np.count_nonzero(native >= native.max() / 2) / np.pi)

    bkg = Background2D(data, (16, 16), filter_size=(3, 3), mask=mask,
                       sigma_clip=SigmaClip(sigma=3.0), bkg_estimator=MMMBackground())
    sub = data - bkg.background
    sub[mask] = 0.0
    diff = np.where(mask[:, 1:] | mask[:, :-1], np.nan, sub[:, 1:] - sub[:, :-1]).ravel()
    diff = diff[np.isfinite(diff)]
    sigma = 1.4826 * np.median(np.abs(diff - np.median(diff))) / np.sqrt(2)
    finder = DAOStarFinder(threshold=float(thresh) * sigma, fwhm=fwhm)
    phot = IterativelySubtractedPSFPhotometry(
        group_maker=DAOGroup(2.5 * fwhm), bkg_estimator=None, psf_model=psf,
        fitshape=(7, 7), finder=finder, fitter=LevMarLSQFitter(), niters=3,
        aperture_radius=fwhm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = phot(image=sub)
    with open(out_path, "w") as f:
        f.write("# x y flux (0-based image pixels, counts): photutils %s, fwhm %.2f, sigma %.4g, "
                "threshold %s sigma\n" % (__import__("photutils").__version__, fwhm, sigma, thresh))
        if res is None:
            return
        for r in res:
            x, y, fl = float(r["x_fit"]) + x0, float(r["y_fit"]) + y0, float(r["flux_fit"])
            inside = x0 - 0.5 <= x < x0 + w - 0.5 and y0 - 0.5 <= y < y0 + h - 0.5
            if inside and np.isfinite(fl) and fl > 0:
                f.write("%.4f %.4f %.6g\n" % (x, y, fl))
    print("photutils: %d sources (fwhm %.2f px, sigma %.4g, threshold %s sigma)"
          % (0 if res is None else len(res), fwhm, sigma, thresh), file=sys.stderr)


if __name__ == "__main__":
    main()
