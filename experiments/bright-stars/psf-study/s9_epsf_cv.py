# Stage 9: empirical ePSF (4x oversampled, Keys-bicubic, smoothness penalty) with optional linear terms
# in frame position (x, y) and in log flux (f); 5-fold cross-validation: each star is fitted (flux, x, y,
# sky) with the ePSF built from the other 4/5 of the stars. Usage: s9_epsf_cv.py TERMS [lam] [r]
#   TERMS: c (constant), cxy (+ linear in x, y), cf (+ linear in log flux), cxyf (all)
import numpy as np, sys, time
import scipy.sparse as sp, scipy.sparse.linalg as spl
from load import *; from fitlib import *; from epsf import *
terms = sys.argv[1]; lam = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3; r = int(sys.argv[3]) if len(sys.argv) > 3 else 5
O = 4
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
var = d['counts']/GAIN + DARKVAR
a = np.load('phase_r5.npy')
S = []
for x0, y0, pk, F, dx, dy, c2 in a:
    x0, y0 = int(x0), int(y0)
    if c2 > 100: continue   # obvious neighbour in the core (481,1061; 55,1355)
    s = dict(x0=x0, y0=y0, pk=pk, F=F, x=x0+dx, y=y0+dy, data=stamp(d['counts'], x0, y0, r), var=stamp(var, x0, y0, r), bad=stamp(bad, x0, y0, r), klchi=c2)
    s['sky'] = np.median(np.r_[s['data'][0], s['data'][-1], s['data'][:, 0], s['data'][:, -1]]); S.append(s)
lF0 = np.mean(np.log([s['F'] for s in S]))
def coefs(s):
    c = [1.]
    if 'x' in terms: c += [(s['x']-1024)/1000, (s['y']-744)/1000]
    if 'f' in terms: c += [np.log(s['F']) - lF0]
    return np.array(c)
E = EPSF(O=O, H=r+1.5); nb = E.n**2; nt = len(coefs(S[0]))
Pen = sp.block_diag([E.penalty()]*nt).tocsr()
yy, xx = np.mgrid[-r:r+1, -r:r+1]
def psf_of(theta, s):
    c = coefs(s); th = sum(ci*theta[i*nb:(i+1)*nb] for i, ci in enumerate(c))
    return th/(th[:nb].sum()*0+th.sum()/O**2)
def psf_fn(th):
    return lambda dx, dy: E.eval(th, (xx-dx).ravel().astype(float), (yy-dy).ravel().astype(float)).reshape(xx.shape)
def refit(th, s):
    return fit_star(s['data'], s['var'], s['bad'], psf_fn(th), s['x0'], s['y0'], p0=[s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky']], r=r)
def system(s):
    A, b = star_system(E, s, r); c = coefs(s)
    A = sp.hstack([A*ci for ci in c]).tocsr()
    return (A.T@A).tocsr(), A.T@b
def solve(parts):
    N = sum(p[0] for p in parts); B = sum(p[1] for p in parts)
    scale = np.median(N.diagonal()[N.diagonal() > 0])
    M = (N + lam*scale*Pen + 1e-9*scale*sp.identity(N.shape[0])).tocsc()
    th = spl.spsolve(M, B)
    return th
t0 = time.time()
for it in range(3):
    parts = [system(s) for s in S]; theta = solve(parts)
    cs = []
    for s in S:
        f = refit(psf_of(theta, s), s); s['F'], s['x'], s['y'], s['sky'] = f['p'][0], s['x0']+f['p'][1], s['y0']+f['p'][2], f['p'][3]; cs.append(f['chi2pix'])
    print('iter %d in-sample median chi2/pix %.2f (%.0f s)' % (it, np.median(cs), time.time()-t0)); sys.stdout.flush()
np.save('theta_%s_r%d.npy' % (terms, r), theta)
parts = [system(s) for s in S]
rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5
cv = np.zeros(len(S)); insample = np.array(cs)
for k in range(5):
    th = solve([p for p, f in zip(parts, fold) if f != k])
    for i in np.nonzero(fold == k)[0]:
        f = refit(psf_of(th, S[i]), S[i]); cv[i] = f['chi2pix']
        np.save('chi_cv_%s_r%d_%d_%d.npy' % (terms, r, S[i]['x0'], S[i]['y0']), f['chi'])
out = np.array([(s['x0'], s['y0'], s['pk'], s['F'], s['x']-s['x0'], s['y']-s['y0'], s['klchi'], i, c) for s, i, c in zip(S, insample, cv)])
np.save('cv_%s_r%d.npy' % (terms, r), out)
print('terms=%s lam=%g r=%d (%dx%d px): median chi2/pix  [KL(r=5) | in-sample | 5-fold CV]' % (terms, lam, r, 2*r+1, 2*r+1))
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000), (0, 50000)]:
    m = (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('  peak %5d-%5d n=%2d: %6.2f | %6.2f | %6.2f' % (lo, hi, m.sum(), np.median(out[m, 6]), np.median(out[m, 7]), np.median(out[m, 8])))
print('time %.0f s' % (time.time()-t0))
