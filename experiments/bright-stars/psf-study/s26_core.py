# Stage 26: one more per-star shape mode: core sharpness (a * Laplacian of the ePSF, flux-preserving: a
# small Gaussian (de)convolution, which changes the core more than the wings, as seeing does), on top of
# the per-star affine (s16); CV ePSF + width field. chi2 by peak group and in the core ring r<1 px.
import numpy as np, sys
from scipy.optimize import least_squares
exec(open('s16_affine.py').read().split('for it in range(2):')[0].replace("r = int(sys.argv[1]) if len(sys.argv) > 1 else 5", "r = 5"))
for it in range(2):
    th = solve([system(s) for s in S])
    for s in S: fit(th, s, False)
parts = [system(s) for s in S]; rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5
def lap(t):
    T = t.reshape(E.n, E.n); L = np.zeros_like(T)
    L[1:-1, 1:-1] = (T[2:, 1:-1] + T[:-2, 1:-1] + T[1:-1, 2:] + T[1:-1, :-2] - 4*T[1:-1, 1:-1])*O**2   # per px^2
    return L.ravel()
def fit4(th, s, mode):
    thl = lap(th); sc0 = sfun(s['x'], s['y']); w = 1/np.sqrt(s['var']); B = s['bad']
    def model(p):
        F, dx, dy, sky, sc, g1, g2 = p[:7]; a = p[7] if mode else 0.
        M = sc0*sc*np.array([[1+g1, g2], [g2, 1-g1]]); Mi = np.linalg.inv(M)
        u = (xx-dx).ravel(); v = (yy-dy).ravel()
        return F*keys_eval(th + a*thl, E, Mi[0, 0]*u+Mi[0, 1]*v, Mi[1, 0]*u+Mi[1, 1]*v).reshape(xx.shape)/abs(np.linalg.det(M)) + sky
    res = lambda p: ((s['data']-model(p))*w)[~B]
    p0 = [s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky'], 1, 0, 0] + ([0.] if mode else [])
    f = least_squares(res, p0, method='lm'); n = (~B).sum()
    chi = (s['data']-model(f.x))*w
    rr = np.hypot(xx-f.x[1], yy-f.x[2])
    return (f.fun**2).sum()/(n-len(p0)), (chi[rr < 1]**2).mean(), f.x
out = []
for k in range(5):
    thk = solve([p for p, f in zip(parts, fold) if f != k])
    for i in np.nonzero(fold == k)[0]:
        if S[i]['pk'] < 8000: continue
        a0 = fit4(thk, S[i], False); a1 = fit4(thk, S[i], True)
        out.append((S[i]['x0'], S[i]['y0'], S[i]['pk'], a0[0], a0[1], a1[0], a1[1], a1[2][7]))
out = np.array(out); np.save('core_mode.npy', out)
for lo, hi in [(8000, 15000), (15000, 30000), (30000, 50000)]:
    m = (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('peak %5d-%5d n=%2d: affine: chi2/pix %.2f (core r<1: %.1f) -> + core-sharpness mode: %.2f (core %.1f); median |a| %.4f px^2' % (lo, hi, m.sum(), np.median(out[m, 3]), np.median(out[m, 4]), np.median(out[m, 5]), np.median(out[m, 6]), np.median(abs(out[m, 7]))))
