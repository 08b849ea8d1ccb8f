# Stage 11: is the star-to-star PSF difference spatial, flux (colour) or random?  For each star, an ePSF
# ('c', lam) built from K other stars chosen as: nearest on the frame, nearest in row (y, the scan/time
# direction), nearest in column (x), nearest in flux, random. Each star fitted (flux, x, y, sky) with each.
import numpy as np, sys
import scipy.sparse as sp, scipy.sparse.linalg as spl
from load import *; from fitlib import *; from epsf import *
lam = 1e-2; r = 5; O = 4; K = int(sys.argv[1]) if len(sys.argv) > 1 else 25
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_c_r5.npy')
E = EPSF(O=O, H=r+1.5); Pen = E.penalty()
S = []
for x0, y0, pk, F, dx, dy, kc, ins, c in cv:
    x0, y0 = int(x0), int(y0)
    s = dict(x0=x0, y0=y0, pk=pk, F=F, x=x0+dx, y=y0+dy, data=stamp(d['counts'], x0, y0, r), var=stamp(var, x0, y0, r), bad=stamp(bad, x0, y0, r))
    s['sky'] = 0.
    S.append(s)
# skies: refit with the global ePSF
theta = np.load('theta_c_r5.npy'); theta = theta/(theta.sum()/O**2)
yy, xx = np.mgrid[-r:r+1, -r:r+1]
pf = lambda th: (lambda dx, dy: E.eval(th, (xx-dx).ravel().astype(float), (yy-dy).ravel().astype(float)).reshape(xx.shape))
for s in S:
    f = fit_star(s['data'], s['var'], s['bad'], pf(theta), 0, 0, p0=[s['F'], s['x']-s['x0'], s['y']-s['y0'], 150.], r=r)
    s['F'], s['x'], s['y'], s['sky'] = f['p'][0], s['x0']+f['p'][1], s['y0']+f['p'][2], f['p'][3]
parts = []
for s in S:
    A, b = star_system(E, s, r); parts.append(((A.T@A).tocsr(), A.T@b))
X = np.array([s['x'] for s in S]); Y = np.array([s['y'] for s in S]); LF = np.log([s['F'] for s in S])
rng = np.random.default_rng(2)
rules = {'nearest on frame': lambda i: np.hypot(X-X[i], Y-Y[i]), 'nearest in row y': lambda i: np.abs(Y-Y[i]),
         'nearest in col x': lambda i: np.abs(X-X[i]), 'nearest in flux': lambda i: np.abs(LF-LF[i]), 'random': lambda i: rng.random(len(S))}
res = {k: [] for k in rules}
for i, s in enumerate(S):
    for name, key in rules.items():
        dist = key(i).astype(float); dist[i] = np.inf
        sel = np.argsort(dist)[:K]
        N = sum(parts[j][0] for j in sel); B = sum(parts[j][1] for j in sel)
        scale = np.median(N.diagonal()[N.diagonal() > 0])
        th = spl.spsolve((N + lam*scale*Pen + 1e-9*scale*sp.identity(N.shape[0])).tocsc(), B)
        th = th/(th.sum()/O**2)
        f = fit_star(s['data'], s['var'], s['bad'], pf(th), 0, 0, p0=[s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky']], r=r)
        res[name].append(f['chi2pix'])
pk = np.array([s['pk'] for s in S])
print('K=%d stars per ePSF; median chi2/pix by peak' % K)
print('%-18s' % 'rule' + ''.join('%14s' % ('%d-%d' % b) for b in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]) + '   all')
for name in rules:
    c = np.array(res[name])
    print('%-18s' % name + ''.join('%14.2f' % np.median(c[(pk >= lo) & (pk < hi)]) for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]) + '  %5.2f' % np.median(c))
np.save('local_K%d.npy' % K, np.array([res[n] for n in rules]))
