# Stage 7: (c) KL reconstruction conventions. How much does the KL PSF vary over the frame; does evaluating the
# polynomial transposed (row<->col) or at other origins change the fits?  Compare with sdss-...-psf-r.fits.
import numpy as np, sys
from load import *; from fitlib import *
from astropy.io import fits
at, t = klpsf()
P = fits.getdata(D+'sdss-002583-2-0136-psf-r.fits').astype(float)
K = at(500, 600)[13:38, 13:38]
print('psf-r.fits vs KL at (x=500,y=600): max|diff|/peak = %.2e; peak %.4f sum %.4f' % (np.abs(P-K).max()/P.max(), P.max(), P.sum()))
c = at(1024, 744); c /= c.sum()
for (x, y) in [(0, 0), (2047, 0), (0, 1488), (2047, 1488), (1024, 0), (1024, 1488), (0, 744), (2047, 744)]:
    k = at(x, y); k /= k.sum()
    print('KL at (%4d,%4d) - KL at centre: max|diff| = %.2f %% of peak; peak %.4f' % (x, y, 100*np.abs(k-c).max()/c.max(), k.max()))
# eigen-image weights at the centre
_, tt = klpsf()
st = np.load('stars.npy'); d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
var = d['counts']/GAIN + DARKVAR
def chis(fn, r=5):
    out = []
    for x, y, pk in st:
        x, y = int(x), int(y)
        K = fn(x, y); K = K/K.sum()
        Pf = lambda dx, dy, K=K: stamp(fshift(K, dx, dy), 25, 25, r)
        out.append(fit_star(stamp(d['counts'], x, y, r), stamp(var, x, y, r), stamp(bad, x, y, r), Pf, x, y, r=r)['chi2pix'])
    return np.array(out)
base = chis(at)
ok = base < 100
for name, fn in [('transposed (x<->y)', lambda x, y: at(y, x)), ('frame centre for all', lambda x, y: at(1024, 744)),
                 ('mirrored x (2047-x)', lambda x, y: at(2047-x, y)), ('mirrored y (1488-y)', lambda x, y: at(x, 1488-y)),
                 ('KL image transposed', lambda x, y: at(x, y).T)]:
    c2 = chis(fn)
    print('%-22s median chi2/pix %.2f vs own-position %.2f; better for %d of %d stars; sum chi2 ratio %.3f' % (name, np.median(c2[ok]), np.median(base[ok]), (c2[ok] < base[ok]).sum(), ok.sum(), c2[ok].sum()/base[ok].sum()))
