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
inside the cutout are kept. Prints the check of the mapping: the median offset between the
shallow image's IRAF apphot positions (n8q624e8q.phot beside SHALLOW) and the nearest mapped
deep star.
"""
import os
import sys

import numpy as np
from astropy.io import fits
from astropy.stats import SigmaClip
from astropy.wcs import WCS
from photutils.aperture import CircularAperture, aperture_photometry
from photutils.background import Background2D, MMMBackground
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

    # Mapping check: IRAF apphot's centred positions of the shallow image (the .phot file beside
    # it, 1-based), each matched to the nearest mapped deep star within 1.5 px.
    phot = os.path.join(os.path.dirname(shallow_path),
                        os.path.basename(shallow_path).split("_")[0] + ".phot")
    px, py = read_phot(phot)
    inbox = (px >= x0) & (px < x0 + w) & (py >= y0) & (py < y0 + h)
    dxs, dys = [], []
    for x, y in zip(px[inbox], py[inbox]):
        d = np.hypot(sx[keep] - x, sy[keep] - y)
        if len(d) and d.min() < 1.5:
            k = np.argmin(d)
            dxs.append(x - sx[keep][k])
            dys.append(y - sy[keep][k])
    print("mapping check: %d of %d apphot positions on the cutout within 1.5 px of a mapped deep star; "
          "apphot − mapped: median dx %+.3f, dy %+.3f px (MAD %.3f, %.3f)"
          % (len(dxs), inbox.sum(), np.median(dxs), np.median(dys),
             np.median(np.abs(dxs - np.median(dxs))), np.median(np.abs(dys - np.median(dys)))),
          file=sys.stderr)


def read_phot(path):
    """XCENTER, YCENTER (0-based) of a DAOPHOT-format apphot file's well-centred records."""
    lines = [ln for ln in open(path) if not ln.startswith("#")]
    xs, ys = [], []
    for i in range(0, len(lines) - 4, 5):
        f = lines[i + 1].split()
        if f[6] == "0":  # CIER: centring without error
            xs.append(float(f[0]) - 1)
            ys.append(float(f[1]) - 1)
    return np.array(xs), np.array(ys)

if __name__ == "__main__":
    main()
