#!/usr/bin/python3
"""Deep reference for experiments/hst (issue 15 item 5): a catalogue of the deep F110W image.

Usage: deep_catalogue.py DEEP SHALLOW X0,Y0,W,H THRESHOLD_SIGMA OUT.csv

DEEP is nic2_drz.fits (SCI in counts/s), SHALLOW the F160W n8q624e8q_cal.fits, X0,Y0,W,H the
shallow image's 0-based cutout. The deep image's pixels under the cutout (through the two
WCS, plus 8 px) are catalogued by photutils: a Background2D sky map (16x16-pixel boxes,
MMMBackground), DAOStarFinder at THRESHOLD_SIGMA times the pixel noise (MAD of first
differences over sqrt 2) with the FWHM of the brightest stars, and aperture photometry in a
2-px radius on the sky-subtracted image. Magnitudes are F110W AB, from PHOTFLAM and PHOTPLAM,
without an aperture correction (the fitted colour term absorbs it). OUT.csv has ra, dec, mag,
x, y (x, y: the star's position mapped into the shallow image's pixels); only stars that map
inside the cutout are kept. Prints, for the brightest isolated stars, the shallow image's
centroid minus the mapped position: the check of the mapping.
"""
import sys

import numpy as np
from astropy.io import fits
from astropy.stats import SigmaClip
from astropy.wcs import WCS
from photutils.aperture import CircularAperture, aperture_photometry
from photutils.background import Background2D, MMMBackground
from photutils.centroids import centroid_com
from photutils.detection import DAOStarFinder


def noise(a):
    """Pixel noise from first differences, robust to stars and gradients."""
    d = (a[:, 1:] - a[:, :-1]).ravel()
    d = d[np.isfinite(d)]
    return 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.split("\n\n")[1])
    deep_path, shallow_path, box, thresh, out = sys.argv[1:]
    x0, y0, w, h = (int(v) for v in box.split(","))
    with fits.open(deep_path) as hd, fits.open(shallow_path) as hs:
        deep, dh, ph = hd["SCI"].data.astype(float), hd["SCI"].header, hd[0].header
        shallow, sh = hs["SCI"].data.astype(float), hs["SCI"].header
    wd, ws = WCS(dh), WCS(sh)
    zp = -2.5 * np.log10(ph["PHOTFLAM"]) - 5 * np.log10(ph["PHOTPLAM"]) - 2.408

    cx = np.array([x0, x0 + w - 1, x0, x0 + w - 1], float)
    cy = np.array([y0, y0, y0 + h - 1, y0 + h - 1], float)
    dx, dy = wd.all_world2pix(*ws.all_pix2world(cx, cy, 0), 0)
    bx0, by0 = max(int(np.floor(dx.min())) - 8, 0), max(int(np.floor(dy.min())) - 8, 0)
    bx1 = min(int(np.ceil(dx.max())) + 9, deep.shape[1])
    by1 = min(int(np.ceil(dy.max())) + 9, deep.shape[0])
    sub = deep[by0:by1, bx0:bx1]
    mask = ~np.isfinite(sub) | (sub == 0)
    bkg = Background2D(sub, (16, 16), filter_size=(3, 3), mask=mask,
                       sigma_clip=SigmaClip(sigma=3.0), bkg_estimator=MMMBackground())
    img = np.where(mask, 0.0, sub - bkg.background)
    sigma = noise(np.where(mask, np.nan, img))

    # FWHM: the half-maximum area of the 10 brightest peaks, median.
    first = DAOStarFinder(threshold=50 * sigma, fwhm=1.5).find_stars(img)
    first.sort("peak", reverse=True)
    areas = []
    for r in first[:10]:
        i, j = int(round(r["ycentroid"])), int(round(r["xcentroid"]))
        cut = img[max(i - 4, 0):i + 5, max(j - 4, 0):j + 5]
        areas.append(np.count_nonzero(cut >= cut.max() / 2))
    fwhm = 2 * np.sqrt(np.median(areas) / np.pi)

    stars = DAOStarFinder(threshold=float(thresh) * sigma, fwhm=fwhm).find_stars(img, mask=mask)
    pos = np.transpose([stars["xcentroid"], stars["ycentroid"]])
    flux = aperture_photometry(img, CircularAperture(pos, r=2.0))["aperture_sum"].data
    ra, dec = wd.all_pix2world(pos[:, 0] + bx0, pos[:, 1] + by0, 0)
    sx, sy = ws.all_world2pix(ra, dec, 0)
    keep = (flux > 0) & (sx >= x0 - 0.5) & (sx < x0 + w - 0.5) & (sy >= y0 - 0.5) & (sy < y0 + h - 0.5)
    mag = zp - 2.5 * np.log10(np.where(flux > 0, flux, np.nan))
    with open(out, "w") as f:
        f.write("ra,dec,mag,x,y\n")
        for k in np.flatnonzero(keep):
            f.write("%.8f,%.8f,%.4f,%.3f,%.3f\n" % (ra[k], dec[k], mag[k], sx[k], sy[k]))
    print("deep: %d stars in the cutout's footprint (of %d found; sigma %.4g counts/s, fwhm %.2f px, "
          "threshold %s sigma, ZP_AB(F110W) %.4f)" % (keep.sum(), len(stars), sigma, fwhm, thresh, zp),
          file=sys.stderr)

    # Mapping check: the 8 brightest deep stars with no other deep star within 4 px.
    order = [k for k in np.argsort(mag) if keep[k]]
    checked = 0
    print("mapping check (shallow centroid − mapped position, px):", file=sys.stderr)
    for k in order:
        d = np.hypot(pos[:, 0] - pos[k, 0], pos[:, 1] - pos[k, 1])
        if np.count_nonzero(d < 4) > 1:
            continue
        i, j = int(round(sy[k])), int(round(sx[k]))
        if i < 3 or j < 3 or i + 4 > shallow.shape[0] or j + 4 > shallow.shape[1]:
            continue
        cut = shallow[i - 3:i + 4, j - 3:j + 4]
        cut = np.clip(cut - np.median(cut), 0, None)
        ccx, ccy = centroid_com(cut)
        print("  F110W %.2f at shallow (%.2f, %.2f): %+.2f %+.2f" % (mag[k], sx[k], sy[k], ccx + j - 3 - sx[k], ccy + i - 3 - sy[k]),
              file=sys.stderr)
        checked += 1
        if checked == 8:
            break


if __name__ == "__main__":
    main()
