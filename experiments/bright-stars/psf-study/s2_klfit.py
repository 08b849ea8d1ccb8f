# Stage 2: fit each isolated bright star with the psField KL PSF reconstructed at its own position,
# shifted by Fourier (sinc) interpolation. Free: flux, x, y, local sky. 17x17 px; sigma^2 = counts/gain + darkvar.
import numpy as np, sys
from load import *; from fitlib import *
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
at, _ = klpsf()
st = np.load('stars.npy')
var = d['counts']/GAIN + DARKVAR
out = []
for x, y, pk in st:
    x, y = int(x), int(y)
    K = at(x, y); K = K / K.sum()
    def P(dx, dy, K=K):
        return stamp(fshift(K, dx, dy), 25, 25)
    f = fit_star(stamp(d['counts'], x, y), stamp(var, x, y), stamp(bad, x, y), P, x, y)
    F, dx, dy, sk = f['p']
    out.append((x, y, pk, F, x+dx, y+dy, sk, f['chi2pix'], f['n']))
    np.save('chi_kl_%d_%d.npy' % (x, y), f['chi'])
out = np.array(out)
np.save('klfit.npy', out)
mag = 22.5 - 2.5*np.log10(out[:, 3]*np.mean(d['calib']))
print(' x    y   peak     flux      r     fx       fy     sky   chi2/pix  subpix(dx,dy)')
for o, m in zip(out, mag):
    print('%5d %5d %7.0f %9.0f %6.2f %8.2f %8.2f %6.1f %8.2f   %+.2f %+.2f' % (o[0], o[1], o[2], o[3], m, o[4], o[5], o[6], o[7], o[4]-round(o[4]), o[5]-round(o[5])))
print('median chi2/pix', np.median(out[:, 7]))
