# Stage 13: per-star PSF width (stretch s of the global ePSF, fitted with flux, x, y, sky) against colour
# (aperture g-r and r-i from the g and i frames through each frame's WCS), frame position and flux.
import numpy as np, sys, io, bz2
from astropy.io import fits; from astropy.wcs import WCS
from scipy.optimize import least_squares
from load import *; from fitlib import *; from epsf import *
r = 5; O = 4
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_c_r5.npy'); theta = np.load('theta_c_r5.npy'); theta = theta/(theta.sum()/O**2)
E = EPSF(O=O, H=r+1.5); yy, xx = np.mgrid[-r:r+1, -r:r+1]
def load_band(b):
    h = fits.open(io.BytesIO(bz2.open(D+'frame-%s-002583-2-0136.fits.bz2' % b).read()))
    return h[0].data.astype(float), WCS(h[0].header)
hr = fits.open(io.BytesIO(bz2.open(D+'frame-r-002583-2-0136.fits.bz2').read())); wr = WCS(hr[0].header)
bands = {b: load_band(b) for b in 'gi'}
def aper(img, x, y, R=5):
    xi, yi = int(round(x)), int(round(y))
    if xi < 12 or yi < 12 or xi >= img.shape[1]-12 or yi >= img.shape[0]-12: return np.nan
    st = img[yi-12:yi+13, xi-12:xi+13]; Y, X = np.mgrid[-12:13, -12:13]
    rr = np.hypot(X-(x-xi), Y-(y-yi))
    sky = np.median(st[(rr > 8) & (rr < 12)])
    return (st[rr < R]-sky).sum()
rows = []
for x0, y0, pk, F, dx, dy, kc, ins, c in cv:
    x0, y0 = int(x0), int(y0)
    D_ = stamp(d['counts'], x0, y0, r); V = stamp(var, x0, y0, r); B = stamp(bad, x0, y0, r); w = 1/np.sqrt(V)
    def model(p):
        F, dx, dy, sky, s = p
        return F*E.eval(theta, ((xx-dx)/s).ravel().astype(float), ((yy-dy)/s).ravel().astype(float)).reshape(xx.shape)/s**2 + sky
    res = lambda p: ((D_-model(p))*w)[~B]
    f0 = least_squares(lambda p: res(list(p)+[1.]), [F, dx, dy, 150.], method='lm')
    f1 = least_squares(res, list(f0.x)+[1.], method='lm')
    n = (~B).sum()
    # colours (nanomaggies aperture) through WCS
    ra, dec = wr.all_pix2world([[x0+f1.x[1], y0+f1.x[2]]], 0)[0]
    fl = {'r': aper(hr[0].data.astype(float), x0+f1.x[1], y0+f1.x[2])}
    for b, (img, wcs) in bands.items():
        xb, yb = wcs.all_world2pix([[ra, dec]], 0)[0]; fl[b] = aper(img, xb, yb)
    gr = -2.5*np.log10(fl['g']/fl['r']); ri = -2.5*np.log10(fl['r']/fl['i'])
    rows.append((x0, y0, pk, f1.x[0], f1.x[4], (f0.fun**2).sum()/(n-4), (f1.fun**2).sum()/(n-5), gr, ri, 22.5-2.5*np.log10(fl['r'])))
a = np.array(rows); np.save('width_colour.npy', a)
print(' x0   y0   peak   r_ap   g-r    r-i   stretch  chi2(ePSF)  chi2(+stretch)')
for q in a[np.argsort(-a[:, 2])]: print('%5d %5d %6.0f %6.2f %+.2f %+.2f  %.4f   %6.2f   %6.2f' % (q[0], q[1], q[2], q[9], q[7], q[8], q[4], q[5], q[6]))
from scipy.stats import spearmanr
m = np.isfinite(a[:, 7]) & np.isfinite(a[:, 8])
for name, col in [('g-r', 7), ('r-i', 8), ('x', 0), ('y', 1), ('log peak', 2)]:
    v = np.log(a[m, col]) if col == 2 else a[m, col]
    rho, p = spearmanr(v, a[m, 4]); print('stretch vs %-8s Spearman rho %+.2f (p=%.1e)' % (name, rho, p))
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
    mm = (a[:, 2] >= lo) & (a[:, 2] < hi)
    print('peak %5d-%5d n=%2d: median stretch %.4f (IQR %.4f-%.4f), median chi2 ePSF %.2f -> with stretch %.2f, median g-r %.2f' % (lo, hi, mm.sum(), np.median(a[mm, 4]), *np.percentile(a[mm, 4], [25, 75]), np.median(a[mm, 5]), np.median(a[mm, 6]), np.nanmedian(a[mm, 7])))
