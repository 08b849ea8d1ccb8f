# Stage 6: per-star flexible parametric PSF (pixel-integrated: 3 Gaussians, the two inner ones elliptical
# with their own ellipticity) fitted to each star alone on 11x11: can ANY smooth PSF fit a single bright
# star to the noise?  Also records shape parameters vs flux and position.
import numpy as np, sys
from load import *; from fitlib import fit_star, stamp
from scipy.optimize import least_squares
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
var = d['counts']/GAIN + DARKVAR
kl = np.load('phase_r5.npy'); emp = np.load('emp_loo.npy')
r = 5; S = 7
yy, xx = np.mgrid[-r:r+1, -r:r+1].astype(float)
sub = (np.arange(S)+0.5)/S - 0.5
X = (xx[:, :, None, None] + sub[None, None, None, :]); Y = (yy[:, :, None, None] + sub[None, None, :, None])
def g(dx, dy, s, e1, e2):
    # elliptical Gaussian with second moments s^2 * [[1+e1, e2],[e2, 1-e1]]
    a, b, c = s*s*(1+e1), s*s*e2, s*s*(1-e1)
    det = a*c-b*b
    u, v = X-dx, Y-dy
    q = (c*u*u - 2*b*u*v + a*v*v)/det
    return (np.exp(-0.5*q)/(2*np.pi*np.sqrt(det))).mean(axis=(2, 3))
def model(p):
    F, dx, dy, sky, s1, e1, e2, f2, s2, e1b, e2b, f3, s3 = p
    return F*((1-f2-f3)*g(dx, dy, s1, e1, e2) + f2*g(dx, dy, s2, e1b, e2b) + f3*g(dx, dy, s3, 0, 0)) + sky
out = []
for o in kl:
    x0, y0 = int(o[0]), int(o[1])
    D = stamp(d['counts'], x0, y0, r); V = stamp(var, x0, y0, r); B = stamp(bad, x0, y0, r)
    w = 1/np.sqrt(V)
    res = lambda p: ((D-model(p))*w)[~B]
    p0 = [o[3], o[4], o[5], 150., 0.95, 0, 0, 0.35, 1.6, 0, 0, 0.06, 3.0]
    lb = [0, -3, -3, -1000, 0.4, -.5, -.5, 0, 0.9, -.5, -.5, 0, 2.]
    ub = [1e7, 3, 3, 5000, 2., .5, .5, .9, 4., .5, .5, .5, 8.]
    s = least_squares(res, p0, bounds=(lb, ub), x_scale='jac')
    n = (~B).sum(); c2 = (s.fun**2).sum()/(n-13)
    out.append(list(o[:3]) + list(s.x) + [c2, o[6], emp[emp[:, 0] == x0][0, 7] if (emp[:, 0] == x0).any() else np.nan])
out = np.array(out); np.save('param.npy', out)
print(' x0   y0   peak    flux   s1   e1    e2    f2   s2   e1b   e2b   f3   s3 | chi2: param  KL  ePSF-LOO')
for q in out:
    print('%5d %5d %6.0f %8.0f %4.2f %+.3f %+.3f %4.2f %4.2f %+.3f %+.3f %4.2f %4.1f | %6.2f %6.2f %6.2f' % (q[0], q[1], q[2], q[3], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14], q[15], q[16], q[17], q[18]))
ok = out[:, 17] < 100
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
    m = ok & (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('peak %5d-%5d n=%2d median chi2/pix: param %.2f  KL %.2f  ePSF-LOO %.2f' % (lo, hi, m.sum(), np.median(out[m, 16]), np.median(out[m, 17]), np.median(out[m, 18])))
