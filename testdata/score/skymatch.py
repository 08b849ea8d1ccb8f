"""Independent sky matching with astropy, for score's tests.

usage: skymatch.py REF.csv EST.csv RADIUS_ARCSEC MAG_TOL

Both CSV files have ra, dec (degrees) and mag columns. Candidate pairs are astropy's
search_around_sky pairs within the radius (and with |mag_est - mag_ref| < MAG_TOL when it is
positive); they are assigned one-to-one greedily in order of increasing separation (ties by
reference then estimate index). The script checks that every pair of mutual nearest neighbours
within the radius by SkyCoord.match_to_catalog_sky is assigned, and prints JSON:
{"pairs": [[ref, est, sep_arcsec], ...], "mutual": n}.
"""
import json
import sys

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord, search_around_sky


def load(path):
    d = np.genfromtxt(path, delimiter=",", names=True, dtype=float)
    d = np.atleast_1d(d)
    return SkyCoord(d["ra"] * u.deg, d["dec"] * u.deg), d["mag"]


ref, rmag = load(sys.argv[1])
est, emag = load(sys.argv[2])
radius = float(sys.argv[3]) * u.arcsec
tol = float(sys.argv[4])

iest, iref, sep, _ = search_around_sky(est, ref, radius)
sep = sep.to_value(u.arcsec)
if tol > 0:
    ok = np.abs(emag[iest] - rmag[iref]) < tol
    iest, iref, sep = iest[ok], iref[ok], sep[ok]
order = np.lexsort((iest, iref, sep))
used_ref, used_est, pairs = set(), set(), []
for k in order:
    r, e = int(iref[k]), int(iest[k])
    if r in used_ref or e in used_est:
        continue
    used_ref.add(r)
    used_est.add(e)
    pairs.append([r, e, float(sep[k])])

# Mutual nearest neighbours (positions only; only meaningful without a magnitude condition).
mutual = 0
if tol == 0 and len(ref) > 1 and len(est) > 1:
    j, d, _ = est.match_to_catalog_sky(ref)
    i, _, _ = ref.match_to_catalog_sky(est)
    assigned = {(p[0], p[1]) for p in pairs}
    for e in range(len(est)):
        if d[e] <= radius and i[j[e]] == e:
            mutual += 1
            assert (int(j[e]), e) in assigned, (int(j[e]), e)
print(json.dumps({"pairs": pairs, "mutual": mutual}))
