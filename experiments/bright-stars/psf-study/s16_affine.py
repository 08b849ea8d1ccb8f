# Stage 16: per-star affine shape freedom on top of the cross-validated ePSF (+width field, s14):
# P_star(u) = theta(M^-1 u)/det M, M = s [[1+g1, g2],[g2, 1-g1]] (3 extra parameters per star).
# Does that bring the brightest stars to chi2 ~ 1?  Uses the fold ePSFs of s14 (rebuilt here).
import numpy as np, sys
import scipy.sparse as sp, scipy.sparse.linalg as spl
from scipy.optimize import least_squares
from load import *; from fitlib import *; from epsf import *
r = int(sys.argv[1]) if len(sys.argv) > 1 else 5; O = 4; lam = 1e-2
exec(open('s14_stretch_model.py').read().split('# (ii) ePSF with width field')[0].split('at, _ = klpsf()')[0])  # coef of width field
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_stretch.npy')  # x0 y0 pk F kl cvc cs cvs
sfun = lambda x, y: 1 + coef[1]*(x-1024)/1000 + coef[2]*(y-744)/1000
E = EPSF(O=O, H=r+1.5); Pen = E.penalty(); yy, xx = np.mgrid[-r:r+1, -r:r+1]
base = np.load('cv_c_r5.npy')
S = []
for row in cv:
    x0, y0 = int(row[0]), int(row[1]); b = base[(base[:, 0] == x0) & (base[:, 1] == y0)][0]
    s = dict(x0=x0, y0=y0, pk=row[2], F=row[3], x=x0+b[4], y=y0+b[5], data=stamp(d['counts'], x0, y0, r), var=stamp(var, x0, y0, r), bad=stamp(bad, x0, y0, r), cvs=row[7])
    s['sky'] = np.median(np.r_[s['data'][0], s['data'][-1], s['data'][:, 0], s['data'][:, -1]]); S.append(s)
def system(s):
    sc = sfun(s['x'], s['y']); g = ~s['bad'].ravel()
    dx = ((xx.ravel()+s['x0']-s['x'])/sc)[g]; dy = ((yy.ravel()+s['y0']-s['y'])/sc)[g]; w = 1/np.sqrt(s['var'].ravel()[g])
    A = E.design(dx, dy).multiply((s['F']*w/sc**2)[:, None]).tocsr(); b = (s['data'].ravel()[g]-s['sky'])*w
    return (A.T@A).tocsr(), A.T@b
def solve(parts):
    N = sum(p[0] for p in parts); B = sum(p[1] for p in parts); scale = np.median(N.diagonal()[N.diagonal() > 0])
    th = spl.spsolve((N + lam*scale*Pen + 1e-9*scale*sp.identity(N.shape[0])).tocsc(), B); return th/(th.sum()/O**2)
def fit(th, s, affine):
    sc0 = sfun(s['x'], s['y']); w = 1/np.sqrt(s['var']); B = s['bad']
    def model(p):
        F, dx, dy, sky = p[:4]; sc, g1, g2 = (p[4], p[5], p[6]) if affine else (1, 0, 0)
        M = sc0*sc*np.array([[1+g1, g2], [g2, 1-g1]]); Mi = np.linalg.inv(M)
        u = (xx-dx).ravel(); v = (yy-dy).ravel()
        return F*E.eval(th, Mi[0, 0]*u+Mi[0, 1]*v, Mi[1, 0]*u+Mi[1, 1]*v).reshape(xx.shape)/abs(np.linalg.det(M)) + sky
    res = lambda p: ((s['data']-model(p))*w)[~B]
    p0 = [s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky']] + ([1, 0, 0] if affine else [])
    f = least_squares(res, p0, method='lm'); n = (~B).sum()
    if not affine: s['F'], s['x'], s['y'], s['sky'] = f.x[0], s['x0']+f.x[1], s['y0']+f.x[2], f.x[3]
    return (f.fun**2).sum()/(n-len(p0)), f.x, ((s['data']-model(f.x))*w)
for it in range(2):
    th = solve([system(s) for s in S])
    for s in S: fit(th, s, False)
parts = [system(s) for s in S]; rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5
out = []
for k in range(5):
    thk = solve([p for p, f in zip(parts, fold) if f != k])
    for i in np.nonzero(fold == k)[0]:
        c0, _, _ = fit(thk, S[i], False); c1, p, chi = fit(thk, S[i], True)
        np.save('chi_aff_r%d_%d_%d.npy' % (r, S[i]['x0'], S[i]['y0']), chi)
        out.append((S[i]['x0'], S[i]['y0'], S[i]['pk'], c0, c1, p[4], p[5], p[6]))
out = np.array(out); np.save('affine_r%d.npy' % r, out)
print('%dx%d px; CV ePSF+width field, without / with per-star affine (s, g1, g2):' % (2*r+1, 2*r+1))
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000), (0, 50000)]:
    m = (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('  peak %5d-%5d n=%2d: median chi2/pix %6.2f -> %6.2f ; median |s-1| %.4f |g1| %.4f |g2| %.4f' % (lo, hi, m.sum(), np.median(out[m, 3]), np.median(out[m, 4]), np.median(abs(out[m, 5]-1)), np.median(abs(out[m, 6])), np.median(abs(out[m, 7]))))
o = out[np.argsort(-out[:, 2])][:14]
for q in o: print('   (%4d,%4d) peak %5.0f chi2 %6.2f -> %6.2f  s %.4f g1 %+.4f g2 %+.4f' % tuple(q))
