# Stage 22: what the sampler sees. For each star, total chi2 over 11x11 of the best single-source fit and the
# best two-source fit (second source started at 8 positions 1-1.5 px away; free flux, x, y each), with
# (a) probcat's own PSF (rendered stamps, gopsf/), (b) CV ePSF + width field, (c) (b) + per-star affine.
# Delta chi2 = how much a split 'explains'; a split pays off when Delta lnL = Delta chi2/2 exceeds the
# per-source prior cost (a few units).
import numpy as np, sys
from scipy.optimize import least_squares
from scipy.interpolate import RegularGridInterpolator
exec(open('s16_affine.py').read().split('for it in range(2):')[0].replace("r = int(sys.argv[1]) if len(sys.argv) > 1 else 5", "r = 5"))
for it in range(2):
    th = solve([system(s) for s in S])
    for s in S: fit(th, s, False)
parts = [system(s) for s in S]; rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5
B = np.fromfile('probcat_psf_field.bin', np.float32).reshape(-1, 25, 25, 11, 11).astype(float)
stars = [tuple(v) for v in np.loadtxt('stars83.txt', int)]; g = np.arange(-12, 13)*0.05
def make_eval(kind, s, thk, aff):
    if kind == 'probcat':
        I = RegularGridInterpolator((g, g), B[stars.index((s['x0'], s['y0']))], method='linear', bounds_error=False, fill_value=None)
        # offsets beyond +-0.6 px: shift by whole pixels (np.roll) then interpolate the remainder
        def P(dx, dy):
            ix, iy = int(np.round(dx)), int(np.round(dy))
            st = I([[dy-iy, dx-ix]])[0]
            return np.roll(np.roll(st, iy, 0), ix, 1)
        return P
    sc0 = sfun(s['x'], s['y']); scl, g1, g2 = aff
    M = sc0*scl*np.array([[1+g1, g2], [g2, 1-g1]]); Mi = np.linalg.inv(M); dt = abs(np.linalg.det(M))
    return lambda dx, dy: keys_eval(thk, E, Mi[0, 0]*(xx-dx).ravel()+Mi[0, 1]*(yy-dy).ravel(), Mi[1, 0]*(xx-dx).ravel()+Mi[1, 1]*(yy-dy).ravel()).reshape(xx.shape)/dt
def fits12(s, P):
    w = 1/np.sqrt(s['var']); Bm = ~s['bad']
    r1 = lambda p: ((s['data'] - p[0]*P(p[1], p[2]) - p[3])*w)[Bm]
    f1 = least_squares(r1, [s['F'], s['x']-s['x0'], s['y']-s['y0'], s['sky']], method='lm')
    c1 = (f1.fun**2).sum(); best = c1
    r2 = lambda p: ((s['data'] - p[0]*P(p[1], p[2]) - p[4]*P(p[5], p[6]) - p[3])*w)[Bm]
    for ang in np.arange(4)*np.pi/2 + np.pi/4:
        p0 = [0.97*f1.x[0], f1.x[1], f1.x[2], f1.x[3], 0.03*f1.x[0], f1.x[1]+1.2*np.cos(ang), f1.x[2]+1.2*np.sin(ang)]
        try:
            f2 = least_squares(r2, p0, method='trf', bounds=([0, -3, -3, -1e4, 0, -4, -4], [1e7, 3, 3, 1e4, 1e7, 4, 4]))
            best = min(best, (f2.fun**2).sum())
        except ValueError: pass
    return c1, best
out = []
for k in range(5):
    thk = solve([p for p, f in zip(parts, fold) if f != k])
    for i in np.nonzero(fold == k)[0]:
        s = S[i]
        if s['pk'] < 15000: continue
        _, pa, _ = fit(thk, s, True)
        row = [s['x0'], s['y0'], s['pk']]
        for kind, aff in [('probcat', None), ('epsf', (1, 0, 0)), ('epsf', tuple(pa[4:7]))]:
            row += list(fits12(s, make_eval(kind, s, thk, aff)))
        out.append(row); print('(%4d,%4d) peak %5.0f  chi2 1 src -> 2 src: probcat %7.0f -> %7.0f | ePSF+width %7.0f -> %7.0f | +affine %7.0f -> %7.0f' % tuple(row)); sys.stdout.flush()
out = np.array(out); np.save('split.npy', out)
for lo, hi in [(15000, 30000), (30000, 50000)]:
    m = (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('peak %5d-%5d n=%2d: median Delta chi2 from a 2nd source: probcat PSF %.0f | ePSF+width %.0f | +per-star affine %.0f' % (lo, hi, m.sum(), np.median(out[m, 3]-out[m, 4]), np.median(out[m, 5]-out[m, 6]), np.median(out[m, 7]-out[m, 8])))
