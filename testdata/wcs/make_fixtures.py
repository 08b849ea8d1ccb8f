#!/usr/bin/python3
"""Writes <case>.json files: WCS header cards and astropy's pixel <-> sky transforms for them.

Run from this folder with Debian's python3 (python3-astropy):
    /usr/bin/python3 make_fixtures.py [path/to/frame-r-002583-2-0136.fits.bz2]
The frame path defaults to ../../../shared/data/m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2.
Pixels are 0-based (origin=0): x = column, y = row. The Go tests in wcs/ read the JSON.
"""
import json
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

warnings.simplefilter("ignore", FITSFixedWarning)
rng = np.random.default_rng(20261125)
frame = sys.argv[1] if len(sys.argv) > 1 else \
    "../../../shared/data/m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2"

WCS_KEYS = ("CTYPE", "CUNIT", "CRPIX", "CRVAL", "CD", "PC", "CDELT", "CROTA", "LONPOLE", "LATPOLE",
            "A_", "B_", "AP_", "BP_", "RADESYS", "RADECSYS", "EQUINOX", "WCSAXES", "NAXIS")


def grid(width, height, nx, ny, margin):
    """Jittered grid over the image and beyond its edges by margin (a fraction of the size)."""
    xs = np.linspace(-margin * width, (1 + margin) * width, nx)
    ys = np.linspace(-margin * height, (1 + margin) * height, ny)
    x, y = np.meshgrid(xs, ys)
    x = x.ravel() + rng.uniform(-0.5, 0.5, x.size)
    y = y.ravel() + rng.uniform(-0.5, 0.5, y.size)
    return x, y


def case(name, header, width, height, nx=20, ny=16, margin=0.1):
    cards = [[k, header[k]] for k in header if k.startswith(WCS_KEYS)]
    w = WCS(header)
    x, y = grid(width, height, nx, ny, margin)
    # World coordinates come in header axis order; lng/lat say which is RA.
    lng, lat = w.wcs.lng, w.wcs.lat
    world = w.all_pix2world(x, y, 0)
    ra, dec = world[lng], world[lat]
    # The inverse to astropy's tightest tolerance (its default, 1e-4 px, is too loose to test).
    xb, yb = w.all_world2pix(world[0], world[1], 0, tolerance=1e-12, maxiter=500)
    return {"name": name, "width": width, "height": height, "cards": cards,
            "x": x.tolist(), "y": y.tolist(), "ra": ra.tolist(), "dec": dec.tolist(),
            "x_back": xb.tolist(), "y_back": yb.tolist()}


def sip_header(h, a, b, order, ap=None, bp=None):
    h["A_ORDER"] = order
    h["B_ORDER"] = order
    for (p, q), v in a.items():
        h["A_%d_%d" % (p, q)] = v
    for (p, q), v in b.items():
        h["B_%d_%d" % (p, q)] = v
    if ap is not None:
        h["AP_ORDER"] = order
        h["BP_ORDER"] = order
        for (p, q), v in ap.items():
            h["AP_%d_%d" % (p, q)] = v
        for (p, q), v in bp.items():
            h["BP_%d_%d" % (p, q)] = v


def fit_inverse(a, b, order, crpix, width, height):
    """Least-squares AP/BP (order `order`) that invert A/B over the image, as SIP fitters do."""
    u, v = np.meshgrid(np.linspace(0, width, 60) - crpix[0], np.linspace(0, height, 40) - crpix[1])
    u, v = u.ravel(), v.ravel()
    fu = u + sum(c * u**p * v**q for (p, q), c in a.items())
    fv = v + sum(c * u**p * v**q for (p, q), c in b.items())
    terms = [(p, q) for p in range(order + 1) for q in range(order + 1 - p) if p + q >= 1]
    m = np.stack([fu**p * fv**q for p, q in terms], axis=1)
    cu, *_ = np.linalg.lstsq(m, u - fu, rcond=None)
    cv, *_ = np.linalg.lstsq(m, v - fv, rcond=None)
    return dict(zip(terms, cu.tolist())), dict(zip(terms, cv.tolist()))


cases = []

# 1. The real SDSS r frame of M2 (TAN, CD matrix with swapped axes).
cases.append(case("sdss-r-2583-2-136-astropy", fits.getheader(frame, 0), 2048, 1489))

# 2. HST ACS/WFC-like SIP of order 3 with a fitted AP/BP inverse (M31, 0.05"/px, rotated 37 deg).
h = fits.Header()
h["CTYPE1"], h["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
h["CRPIX1"], h["CRPIX2"] = 2048.5, 1024.25
h["CRVAL1"], h["CRVAL2"] = 10.68470833, 41.26875
s, c = np.sin(np.radians(37.0)), np.cos(np.radians(37.0))
scale = 0.05 / 3600
h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = -scale * c, scale * s, scale * s, scale * c
a = {(2, 0): 8.6e-6, (1, 1): -5.3e-6, (0, 2): 2.1e-6, (3, 0): -3.5e-11, (2, 1): 1.4e-10,
     (1, 2): -2.9e-11, (0, 3): 7.7e-11}
b = {(2, 0): -4.1e-6, (1, 1): 7.0e-6, (0, 2): -3.3e-6, (3, 0): 5.5e-11, (2, 1): -8.1e-11,
     (1, 2): 1.9e-10, (0, 3): -4.4e-11}
ap, bp = fit_inverse(a, b, 3, (2048.5, 1024.25), 4096, 2048)
sip_header(h, a, b, 3, ap, bp)
cases.append(case("sip-acs-like-with-inverse", h, 4096, 2048))

# 3. SIP of order 2 without AP/BP, PC + CDELT, next to the celestial pole and across RA = 0.
h = fits.Header()
h["CTYPE1"], h["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
h["CRPIX1"], h["CRPIX2"] = 500.0, 400.0
h["CRVAL1"], h["CRVAL2"] = 359.99, 89.9
h["CDELT1"], h["CDELT2"] = -2.0e-4, 2.0e-4
h["PC1_1"], h["PC1_2"], h["PC2_1"], h["PC2_2"] = 0.96, -0.28, 0.28, 0.96
sip_header(h, {(2, 0): 2.0e-5, (1, 1): -1.0e-5, (0, 2): 6.0e-6},
           {(2, 0): -7.0e-6, (1, 1): 1.5e-5, (0, 2): -9.0e-6}, 2)
cases.append(case("sip-no-inverse-pc-near-pole", h, 1000, 800))

# 4. CDELT + CROTA2 across RA = 0, southern sky.
h = fits.Header()
h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
h["CRPIX1"], h["CRPIX2"] = 100.0, 80.0
h["CRVAL1"], h["CRVAL2"] = 0.001, -30.0
h["CDELT1"], h["CDELT2"] = -1.0e-3, 1.0e-3
h["CROTA2"] = 30.0
cases.append(case("crota2-across-ra-zero", h, 200, 160))

# 5. Declination first (CTYPE1 = DEC--TAN), CD matrix.
h = fits.Header()
h["CTYPE1"], h["CTYPE2"] = "DEC--TAN", "RA---TAN"
h["CRPIX1"], h["CRPIX2"] = 256.0, 256.0
h["CRVAL1"], h["CRVAL2"] = -45.0, 180.0
h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = 1.0e-4, 1.0e-5, -2.0e-5, -1.1e-4
cases.append(case("latitude-first", h, 512, 512))

for c in cases:
    with open(c["name"] + ".json", "w") as f:
        json.dump(c, f)
        f.write("\n")
