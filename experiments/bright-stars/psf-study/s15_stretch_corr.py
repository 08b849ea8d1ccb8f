# Stage 15: after removing the linear width gradient, do stars close in row (y: scan/time direction) or
# column share their width residual?  Pair correlation of stretch residuals vs separation.
import numpy as np
wc = np.load('width_colour.npy'); ok = np.isfinite(wc[:, 4]) & (wc[:, 6] < 10) & (wc[:, 2] > 6000)
a = wc[ok]
X = np.c_[np.ones(len(a)), (a[:, 0]-1024)/1000, (a[:, 1]-744)/1000]
c, *_ = np.linalg.lstsq(X, a[:, 4], rcond=None); r = a[:, 4] - X@c
print('stars used (peak>6000, chi2<10 with stretch):', len(a), ' residual scatter %.4f' % r.std())
i, j = np.triu_indices(len(a), 1)
dy = np.abs(a[i, 1]-a[j, 1]); dx = np.abs(a[i, 0]-a[j, 0]); p = r[i]*r[j]/r.var()
for name, sep, other in [('|dy| (rows, time)', dy, dx), ('|dx| (columns)', dx, dy)]:
    print(name + ':', '  '.join('%d-%d: n=%d corr %+.2f' % (lo, hi, ((sep >= lo) & (sep < hi)).sum(), p[(sep >= lo) & (sep < hi)].mean()) for lo, hi in [(0, 40), (40, 100), (100, 200), (200, 400), (400, 2100)]))
# stretch residual vs y in bins
o = np.argsort(a[:, 1])
print('stretch residual (x 1e3) ordered by row y:')
print(' '.join('%d:%+.0f' % (a[k, 1], 1e3*r[k]) for k in o))
