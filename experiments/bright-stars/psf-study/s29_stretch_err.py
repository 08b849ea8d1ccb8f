# Stage 29: statistical error of the per-star stretch (s13's fit; covariance from the Jacobian, scaled by the
# reduced chi2) to compare with the 0.9-1.0 % star-to-star scatter left after smooth width fields.
import numpy as np, sys
from scipy.optimize import least_squares
from load import *; from fitlib import *; from epsf import *
r = 5; O = 4
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
a = np.load('width_colour.npy'); theta = np.load('theta_c_r5.npy'); theta = theta/(theta.sum()/O**2)
E = EPSF(O=O, H=r+1.5); yy, xx = np.mgrid[-r:r+1, -r:r+1]
errs = []
for q in a[(a[:, 6] < 10) & (a[:, 2] > 6000)]:
    x0, y0 = int(q[0]), int(q[1]); D_ = stamp(d['counts'], x0, y0, r); w = 1/np.sqrt(stamp(var, x0, y0, r)); B = stamp(bad, x0, y0, r)
    def res(p):
        F, dx, dy, sky, s = p
        return ((D_ - F*keys_eval(theta, E, ((xx-dx)/s).ravel(), ((yy-dy)/s).ravel()).reshape(xx.shape)/s**2 - sky)*w)[~B]
    f = least_squares(res, [q[3], 0, 0, 150, q[4]], method='lm')
    J = f.jac; cov = np.linalg.inv(J.T@J); c2 = (f.fun**2).sum()/(len(f.fun)-5)
    errs.append((q[2], np.sqrt(cov[4, 4]), np.sqrt(cov[4, 4]*c2)))
e = np.array(errs)
for lo, hi in [(6000, 15000), (15000, 30000), (30000, 50000)]:
    m = (e[:, 0] >= lo) & (e[:, 0] < hi)
    print('peak %5d-%5d n=%2d: stretch error (pure noise) %.4f, (scaled by chi2) %.4f' % (lo, hi, m.sum(), np.median(e[m, 1]), np.median(e[m, 2])))
print('rms of all errors (scaled) %.4f vs observed scatter after smooth field ~0.009' % np.sqrt((e[:, 2]**2).mean()))
