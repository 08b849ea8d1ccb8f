# Stage 23 (g): colour. Stretch residual after the linear (x, y) width gradient vs g-r (partial correlation).
import numpy as np
from scipy.stats import spearmanr
a = np.load('width_colour.npy'); ok = np.isfinite(a[:, 7]) & (a[:, 6] < 10) & (a[:, 7] > -0.5) & (a[:, 7] < 1.6)
a = a[ok]
X = np.c_[np.ones(len(a)), (a[:, 0]-1024)/1000, (a[:, 1]-744)/1000]
c, *_ = np.linalg.lstsq(X, a[:, 4], rcond=None); r = a[:, 4] - X@c
print('n=%d; stretch residual vs g-r: Spearman %+.2f (p=%.2f); vs r-i %+.2f (p=%.2f); g-r vs x: %+.2f' % (len(a), *spearmanr(r, a[:, 7]), *spearmanr(r, a[:, 8]), spearmanr(a[:, 7], a[:, 0])[0]))
X2 = np.c_[X, a[:, 7]-0.55]; c2, *_ = np.linalg.lstsq(X2, a[:, 4], rcond=None)
print('stretch = %.4f %+.4f dx/1000 %+.4f dy/1000 %+.4f (g-r - 0.55); scatter %.4f -> %.4f' % (*c2, r.std(), (a[:, 4]-X2@c2).std()))
for lo, hi in [(-0.5, 0.3), (0.3, 0.5), (0.5, 0.65), (0.65, 0.9), (0.9, 1.6)]:
    m = (a[:, 7] >= lo) & (a[:, 7] < hi); print('  g-r %.2f-%.2f n=%2d median stretch residual %+.4f' % (lo, hi, m.sum(), np.median(r[m])))
