"""Colour-magnitude diagram of an r+i run on M2 beside HST's (issue 14, item 3).

Usage: /usr/bin/python3 experiments/m2-multiband/cmd.py RUN/catalogue.fits OUT.png
(data from $PROBCAT_DATA, default ../shared/data). Draws r against r - i of the condensed
catalogue (prevalence >= 0.5, at least 5 px inside the cutout, as StarNet's rule scores) beside the
HST truth's on the same area, and prints how the colours of the matched stars brighter than
r = 20 compare: a source matches a true star within 0.5 px in x and y and 0.5 mag in r
(StarNet's rule), the nearest in r when several do.
"""
import os, sys
import numpy as np
from astropy.table import Table
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

data = os.environ.get("PROBCAT_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
z = np.load(os.path.join(data, "m2-sdss-2583-2-136", "true_hubble_m2.npy"))
per = float(np.ravel(z["nelec_per_nmgy"])[0])
tx, ty = 99 * z["true_locs"][:, 1] + 310, 99 * z["true_locs"][:, 0] + 630
tr = 22.5 - 2.5 * np.log10(z["true_fluxes"][:, 0] / per)
ti = 22.5 - 2.5 * np.log10(z["true_fluxes"][:, 1] / per)

t = Table.read(sys.argv[1])
x, y, mr, mi = (np.asarray(t[c], float) for c in ("x", "y", "mag_r", "mag_i"))
inside = lambda u, v: (u >= 315) & (u < 405) & (v >= 635) & (v < 725)
keep = inside(x, y) & np.isfinite(mr) & np.isfinite(mi)
tin = inside(tx, ty)

dcol = []
for k in np.nonzero(keep & (mr < 20))[0]:
    j = np.nonzero((abs(tx - x[k]) < 0.5) & (abs(ty - y[k]) < 0.5) & (abs(tr - mr[k]) < 0.5))[0]
    if len(j):
        j = j[np.argmin(abs(tr[j] - mr[k]))]
        dcol.append((mr[k] - mi[k]) - (tr[j] - ti[j]))
dcol = np.array(dcol)
print("%d of %d sources brighter than r = 20 match an HST star; r - i (probcat - HST): median %+.3f, "
      "median |difference| %.3f, 16-84 %% %+.3f to %+.3f" % (len(dcol), np.sum(keep & (mr < 20)), np.median(dcol),
      np.median(abs(dcol)), *np.percentile(dcol, [16, 84])))

fig, ax = plt.subplots(1, 2, figsize=(9, 6), sharex=True, sharey=True)
ax[0].scatter(tr[tin] - ti[tin], tr[tin], s=2, c="k")
ax[0].set_title("HST truth (%d stars)" % tin.sum())
ax[1].scatter(mr[keep] - mi[keep], mr[keep], s=2, c="C0")
ax[1].set_title("probcat r+i, prevalence >= 0.5 (%d)" % keep.sum())
for a in ax:
    a.set_xlabel("r - i")
    a.set_xlim(-1.5, 1.5)
ax[0].set_ylabel("r")
ax[0].set_ylim(23, 14)
fig.suptitle("M2, SDSS run 2583 camcol 2 field 136, cutout 310,630,100,100")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
