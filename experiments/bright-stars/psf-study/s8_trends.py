# Stage 8: on the fits already made (s3 KL, s4 ePSF-LOO): chi2 excess per 1e5 counts vs sub-pixel phase,
# and core residual (central 3x3 sum of data-model, % of flux) vs peak counts (non-linearity would make
# the brightest cores fall below the model).
import numpy as np, sys
from load import *
d = frame(); var = d['counts']/GAIN + DARKVAR
res = np.load('emp_loo.npy'); ok = res[:, 6] < 100
ph = np.hypot(res[:, 4], res[:, 5])
for name, col in [('KL', 6), ('ePSF-LOO', 7)]:
    ex = (res[:, col]-1)/res[:, 3]*1e5
    print(name, ' '.join('phase %.2f-%.2f n=%d excess/1e5=%.1f;' % (lo, hi, (ok & (ph >= lo) & (ph < hi)).sum(), np.median(ex[ok & (ph >= lo) & (ph < hi)])) for lo, hi in [(0, .2), (.2, .35), (.35, .5), (.5, .8)]))
print('\n x0   y0   peak  peakDN+bias  | core 3x3 resid %% of flux: KL  ePSF | peak-pixel resid %% of model peak: KL ePSF')
rows = []
for o in res[ok]:
    x0, y0 = int(o[0]), int(o[1]); sig = np.sqrt(var[y0-5:y0+6, x0-5:x0+6])
    ck = np.load('chi_kl_%d_%d.npy' % (x0, y0))[3:-3, 3:-3]*sig; ce = np.load('chi_emp_%d_%d.npy' % (x0, y0))*sig
    data = d['counts'][y0-5:y0+6, x0-5:x0+6]
    iy, ix = np.unravel_index(np.argmax(data), data.shape)
    mpk = data[iy, ix] - ce[iy, ix] - 150
    rows.append((x0, y0, o[2], d['counts'][y0, x0]+SOFTBIAS, ck[4:7, 4:7].sum()/o[3]*100, ce[4:7, 4:7].sum()/o[3]*100, ck[iy, ix]/mpk*100, ce[iy, ix]/mpk*100))
rows = np.array(rows)
for lo, hi in [(0, 6000), (6000, 10000), (10000, 20000), (20000, 30000), (30000, 40000), (40000, 50000)]:
    m = (rows[:, 2] >= lo) & (rows[:, 2] < hi)
    print('peak %5d-%5d n=%2d: median core resid KL %+.2f%%  ePSF %+.2f%% | peak pixel KL %+.2f%% ePSF %+.2f%%' % ((lo, hi, m.sum()) + tuple(np.median(rows[m, 4:], 0))))
np.save('trends.npy', rows)
