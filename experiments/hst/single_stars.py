"""Issue 15's goal "a star injected with a PSF and fitted with the same PSF: flux within 0.5 %,
position within 0.01 px", on an ACS/WFC-like image.

Usage (from the module root, probcat built as ./probcat, data from $PROBCAT_DATA):
    /usr/bin/python3 experiments/hst/single_stars.py ./probcat WORKDIR SEED [SEED ...]

For each seed: 16 stars of 3·10⁵ DN on a 4×4 grid 20 px apart, each at a random sub-pixel
position, rendered by `probcat simulate --truth` with Anderson's STDPSF F606W grid at its own
detector position (chip 1, image pixel (0, 0) at detector (1000, 1000); 96×96 px, gain 2,
sky 15 DN, read noise 2 DN), then `probcat sample --psf` the same grid with default flags;
each true star is compared with the nearest source of catalogue.fits.
"""
import os, subprocess, sys
import numpy as np
from astropy.table import Table

probcat, work, seeds = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
data = os.environ.get("PROBCAT_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
grid = os.path.join(data, "hst-stdpsf-acswfc", "STDPSF_ACSWFC_F606W_SM4.fits")
os.makedirs(work, exist_ok=True)
worst = np.zeros(3)
for s in seeds:
    rng = np.random.default_rng(s)
    cat = os.path.join(work, "cat-%d.txt" % s)
    np.savetxt(cat, [(1012 + 20 * i + rng.uniform(-0.5, 0.5), 1012 + 20 * j + rng.uniform(-0.5, 0.5), 3e5)
                     for i in range(4) for j in range(4)], fmt="%.6f")
    sim, run = os.path.join(work, "sim-%d" % s), os.path.join(work, "run-%d" % s)
    subprocess.run([probcat, "simulate", "--out", sim, "--truth", cat, "--psf", grid, "--chip", "1", "--origin", "1000,1000",
                    "--width", "96", "--height", "96", "--gain", "2", "--background", "15", "--read-noise", "2",
                    "--seed", str(s)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([probcat, "sample", os.path.join(sim, "image.fits"), "--psf", grid, "--out", run, "--seed", str(s),
                    "--quiet"], check=True)
    t, tr = Table.read(os.path.join(run, "catalogue.fits")), Table.read(os.path.join(sim, "truth.fits"))
    x, y, f = (np.asarray(t[c], float) for c in ("x", "y", "flux"))
    d = []
    for a, b, c in zip(tr["x"], tr["y"], tr["flux"]):
        k = np.argmin(np.hypot(x - a, y - b))
        d.append((x[k] - a, y[k] - b, f[k] / c - 1))
    d = np.array(d)
    worst = np.maximum(worst, abs(d).max(axis=0))
    print("seed %d: %d sources for %d stars; max |dx| %.4f px, max |dy| %.4f px, max |dflux| %.3f %%, mean dflux %+.3f %%, "
          "median flux_err %.3f %%" % (s, len(t), len(tr), *abs(d[:, :2]).max(axis=0), 100 * abs(d[:, 2]).max(),
                                       100 * d[:, 2].mean(), 100 * np.median(np.asarray(t["flux_err"]) / f)))
print("all seeds: max |dx| %.4f px, max |dy| %.4f px, max |dflux| %.3f %%" % (worst[0], worst[1], 100 * worst[2]))
