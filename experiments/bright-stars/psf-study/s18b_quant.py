# Stage 18b: quantisation step of frame values (SDSS bit-trimming) as a function of pixel brightness, vs noise
import numpy as np, sys, io, bz2
from astropy.io import fits
from load import *
d = frame(); img = fits.open(io.BytesIO(bz2.open(D+'frame-r-002583-2-0136.fits.bz2').read()))[0].data.astype(np.float64)
for lo, hi in [(0.05, 0.1), (1, 2), (10, 20), (50, 100), (100, 300)]:
    m = (img > lo) & (img < hi); v = img[m]
    q = None
    for k in range(-12, 6):
        step = 2.0**k
        if np.all(np.mod(v/step, 1) == 0): q = step
    cnt = np.median(d['counts'][m])
    print('frame value %6.2f-%6.2f nmgy (n=%7d): all values are multiples of %s nmgy = %.3g counts; quantisation sigma %.3g counts vs Poisson sigma %.1f' % (lo, hi, m.sum(), q, (q or 0)/0.0054, (q or 0)/0.0054/np.sqrt(12), np.sqrt(cnt/GAIN)))
