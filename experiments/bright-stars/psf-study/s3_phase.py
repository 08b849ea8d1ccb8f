# Stage 3: KL PSF fit (sinc shift) on the core only (11x11), chi2 excess per unit flux vs sub-pixel phase.
import numpy as np, sys
from load import *; from fitlib import *
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
at, _ = klpsf(); st = np.load('stars.npy'); var = d['counts']/GAIN + DARKVAR
r = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rows = []
for x, y, pk in st:
    x, y = int(x), int(y)
    K = at(x, y); K = K/K.sum()
    P = lambda dx, dy, K=K: stamp(fshift(K, dx, dy), 25, 25, r)
    f = fit_star(stamp(d['counts'], x, y, r), stamp(var, x, y, r), stamp(bad, x, y, r), P, x, y, r=r)
    F, dx, dy, sk = f['p']
    rows.append((x, y, pk, F, dx, dy, f['chi2pix']))
a = np.array(rows); np.save('phase_r%d.npy' % r, a)
ph = np.hypot(a[:, 4], a[:, 5]); ex = (a[:, 6]-1)/a[:, 3]*1e5
sel = a[:, 2] < 30000
print('stars', len(a), 'median chi2/pix', np.median(a[:, 6]))
for lo, hi in [(0, .2), (.2, .35), (.35, .5), (.5, .8)]:
    m = (ph >= lo) & (ph < hi)
    print('phase |d| %.2f-%.2f: n=%2d  median (chi2-1) per 1e5 counts = %.1f ; [peak<30000: n=%d %.1f]' % (lo, hi, m.sum(), np.median(ex[m]), (m&sel).sum(), np.median(ex[m&sel])))
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
    m = (a[:, 2] >= lo) & (a[:, 2] < hi) & (ph < .25)
    m2 = (a[:, 2] >= lo) & (a[:, 2] < hi) & (ph >= .35)
    print('peak %5d-%5d: near centre n=%d median chi2 %.1f  excess/1e5 %.1f | near edge/corner n=%d chi2 %.1f excess/1e5 %.1f' % (lo, hi, m.sum(), np.median(a[m, 6]) if m.any() else np.nan, np.median(ex[m]) if m.any() else np.nan, m2.sum(), np.median(a[m2, 6]) if m2.any() else np.nan, np.median(ex[m2]) if m2.any() else np.nan))
