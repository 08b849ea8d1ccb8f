# Stage 4: empirical ePSF from the isolated bright stars; fit each star with (i) the ePSF from all stars,
# (ii) the leave-one-out ePSF (built without that star); compare chi2/pix with the KL PSF (same stamp, same fit).
import numpy as np, sys, time
from load import *; from fitlib import *; from epsf import *
r = 5; O = 4; lam = float(sys.argv[1]) if len(sys.argv) > 1 else 1e-3
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
var = d['counts']/GAIN + DARKVAR
a = np.load('phase_r5.npy')  # x0,y0,peak,F,dx,dy,chi2 from KL fit
# exclude stars with neighbours' contamination from the *build* (KL chi2 > 100 in 11x11 even normalised) -- keep all for testing
S = []
for x0, y0, pk, F, dx, dy, c2 in a:
    x0, y0 = int(x0), int(y0)
    S.append(dict(x0=x0, y0=y0, pk=pk, F=F, x=x0+dx, y=y0+dy, sky=0., data=stamp(d['counts'], x0, y0, r),
                  var=stamp(var, x0, y0, r), bad=stamp(bad, x0, y0, r), klchi=c2))
for s in S:
    s['sky'] = np.median(np.r_[s['data'][0], s['data'][-1], s['data'][:, 0], s['data'][:, -1]])
E = EPSF(O=O, H=6.5); P = E.penalty()
yy, xx = np.mgrid[-r:r+1, -r:r+1]
def psf_fn(theta, s):
    def f(dx, dy):
        return E.eval(theta, (xx - dx).ravel().astype(float), (yy - dy).ravel().astype(float)).reshape(xx.shape)
    return f
def refit(theta, s):
    f = fit_star(s['data'], s['var'], s['bad'], psf_fn(theta, s), s['x0'], s['y0'], p0=[s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky']], r=r)
    return f
def normal(S):
    N = None; B = None; parts = []
    for s in S:
        A, b = star_system(E, s, r)
        Ns = (A.T@A).toarray(); bs = A.T@b
        parts.append((Ns, bs))
    return parts
build = [s for s in S if s['klchi'] < 100]   # drop the few with an obvious neighbour in the core
print('build stars', len(build), 'of', len(S))
t0 = time.time()
for it in range(4):
    parts = normal(build)
    N = sum(p[0] for p in parts); B = sum(p[1] for p in parts)
    scale = np.median(np.diag(N)[np.diag(N) > 0])
    theta = cho_solve(cho_factor(N + lam*scale*P.toarray() + 1e-9*scale*np.eye(N.shape[0])), B)
    theta /= theta.sum()/O**2        # unit flux (sum of the ePSF over native pixels)
    chis = []
    for s in build:
        f = refit(theta, s); s['F'], s['x'], s['y'], s['sky'] = f['p'][0], s['x0']+f['p'][1], s['y0']+f['p'][2], f['p'][3]; chis.append(f['chi2pix'])
    print('iter', it, 'median chi2/pix (in-sample)', np.median(chis), 'time %.0fs' % (time.time()-t0)); sys.stdout.flush()
np.save('epsf_theta.npy', theta)
# leave-one-out
parts = normal(build); N = sum(p[0] for p in parts); B = sum(p[1] for p in parts)
Reg = lam*scale*P.toarray() + 1e-9*scale*np.eye(N.shape[0])
ids = {id(s): i for i, s in enumerate(build)}
res = []
for s in S:
    if id(s) in ids:
        Ns, bs = parts[ids[id(s)]]; th = cho_solve(cho_factor(N - Ns + Reg), B - bs)
    else:
        th = theta
    th = th/(th.sum()/O**2)
    f = refit(th, s)
    res.append((s['x0'], s['y0'], s['pk'], f['p'][0], f['p'][1], f['p'][2], s['klchi'], f['chi2pix']))
    np.save('chi_emp_%d_%d.npy' % (s['x0'], s['y0']), f['chi'])
res = np.array(res); np.save('emp_loo.npy', res)
print(' x0   y0    peak     flux    subpx     chi2 KL   chi2 ePSF(LOO)')
for o in res: print('%5d %5d %7.0f %9.0f %+.2f %+.2f %8.2f %8.2f' % tuple(o))
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
    m = (res[:, 2] >= lo) & (res[:, 2] < hi) & (res[:, 6] < 100)
    print('peak %5d-%5d n=%2d: median chi2/pix KL %.2f  ePSF-LOO %.2f' % (lo, hi, m.sum(), np.median(res[m, 6]), np.median(res[m, 7])))
