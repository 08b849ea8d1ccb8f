# Stage 14: (i) the measured width gradient vs the KL PSF's own: stretch of each star (s13) regressed on x, y;
# KL at (x, 744) and (1024, y) fitted by the stretched ePSF at integer phase (no interpolation of KL needed).
# (ii) ePSF with a width field: P_star(u) = theta(u/s)/s^2, s = 1 + a (x-1024)/1000 + b (y-744)/1000
# (a, b from the regression), 5-fold CV as s9.
import numpy as np, sys
import scipy.sparse as sp, scipy.sparse.linalg as spl
from scipy.optimize import least_squares
from load import *; from fitlib import *; from epsf import *
r = 5; O = 4; lam = 1e-2
wc = np.load('width_colour.npy'); ok = np.isfinite(wc[:, 4])
Xr = np.c_[np.ones(ok.sum()), (wc[ok, 0]-1024)/1000, (wc[ok, 1]-744)/1000]
coef, *_ = np.linalg.lstsq(Xr, wc[ok, 4], rcond=None)
resid = wc[ok, 4] - Xr@coef
print('measured stretch = %.4f %+.4f (x-1024)/1000 %+.4f (y-744)/1000 ; scatter about it %.4f (raw scatter %.4f)' % (*coef, resid.std(), wc[ok, 4].std()))
at, _ = klpsf(); theta = np.load('theta_c_r5.npy'); theta /= theta.sum()/O**2
E = EPSF(O=O, H=r+1.5); yy, xx = np.mgrid[-r:r+1, -r:r+1]
def klstretch(x, y):
    K = at(x, y); K = K/K.sum(); K = K[25-r:26+r, 25-r:26+r]
    res = lambda p: (p[0]*E.eval(theta, ((xx-p[1])/p[3]).ravel().astype(float), ((yy-p[2])/p[3]).ravel().astype(float)).reshape(xx.shape)/p[3]**2 - K).ravel()
    return least_squares(res, [1, 0, 0, 1]).x[3]
sx = [klstretch(x, 744) for x in (0, 1024, 2047)]; sy = [klstretch(1024, y) for y in (0, 744, 1488)]
print('KL PSF stretch (relative to the global ePSF): x=0,1024,2047 at y=744: %.4f %.4f %.4f (slope per 1000 px %+.4f);  y=0,744,1488 at x=1024: %.4f %.4f %.4f (slope %+.4f)' % (*sx, (sx[2]-sx[0])/2.047, *sy, (sy[2]-sy[0])/1.488))
# (ii) ePSF with width field
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_c_r5.npy')
sfun = lambda x, y: coef[0]/coef[0] + coef[1]*(x-1024)/1000 + coef[2]*(y-744)/1000
S = []
for x0, y0, pk, F, dx, dy, kc, ins, c in cv:
    x0, y0 = int(x0), int(y0)
    s = dict(x0=x0, y0=y0, pk=pk, F=F, x=x0+dx, y=y0+dy, data=stamp(d['counts'], x0, y0, r), var=stamp(var, x0, y0, r), bad=stamp(bad, x0, y0, r), cvc=c, kl=kc)
    s['sky'] = np.median(np.r_[s['data'][0], s['data'][-1], s['data'][:, 0], s['data'][:, -1]]); S.append(s)
Pen = E.penalty()
def system(s):
    sc = sfun(s['x'], s['y']); g = ~s['bad'].ravel()
    dx = ((xx.ravel()+s['x0']-s['x'])/sc)[g]; dy = ((yy.ravel()+s['y0']-s['y'])/sc)[g]; w = 1/np.sqrt(s['var'].ravel()[g])
    A = E.design(dx, dy).multiply((s['F']*w/sc**2)[:, None]).tocsr(); b = (s['data'].ravel()[g]-s['sky'])*w
    return (A.T@A).tocsr(), A.T@b
def solve(parts):
    N = sum(p[0] for p in parts); B = sum(p[1] for p in parts); scale = np.median(N.diagonal()[N.diagonal() > 0])
    th = spl.spsolve((N + lam*scale*Pen + 1e-9*scale*sp.identity(N.shape[0])).tocsc(), B); return th/(th.sum()/O**2)
def refit(th, s):
    sc = sfun(s['x'], s['y'])
    P = lambda dx, dy: E.eval(th, ((xx-dx)/sc).ravel().astype(float), ((yy-dy)/sc).ravel().astype(float)).reshape(xx.shape)/sc**2
    return fit_star(s['data'], s['var'], s['bad'], P, 0, 0, p0=[s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky']], r=r)
for it in range(3):
    th = solve([system(s) for s in S]); cs = []
    for s in S:
        f = refit(th, s); s['F'], s['x'], s['y'], s['sky'] = f['p'][0], s['x0']+f['p'][1], s['y0']+f['p'][2], f['p'][3]; cs.append(f['chi2pix'])
np.save('theta_stretch_r5.npy', th)
parts = [system(s) for s in S]; rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5; cvs = np.zeros(len(S))
for k in range(5):
    thk = solve([p for p, f in zip(parts, fold) if f != k])
    for i in np.nonzero(fold == k)[0]:
        f = refit(thk, S[i]); cvs[i] = f['chi2pix']; np.save('chi_cvs_%d_%d.npy' % (S[i]['x0'], S[i]['y0']), f['chi'])
pk = np.array([s['pk'] for s in S]); cvc = np.array([s['cvc'] for s in S]); kl = np.array([s['kl'] for s in S])
print('median chi2/pix (11x11): KL (sinc) | ePSF const CV | ePSF + width field: in-sample, CV')
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000), (0, 50000)]:
    m = (pk >= lo) & (pk < hi)
    print('  peak %5d-%5d n=%2d: %6.2f | %6.2f | %6.2f %6.2f' % (lo, hi, m.sum(), np.median(kl[m]), np.median(cvc[m]), np.median(np.array(cs)[m]), np.median(cvs[m])))
np.save('cv_stretch.npy', np.c_[[s['x0'] for s in S], [s['y0'] for s in S], pk, [s['F'] for s in S], kl, cvc, cs, cvs])
