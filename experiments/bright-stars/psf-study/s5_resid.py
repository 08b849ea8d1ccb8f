# Stage 5: mean residual images (data - model)/flux in % of the model peak, KL vs ePSF-LOO, by peak group.
import numpy as np, sys, glob
from load import *
res = np.load('emp_loo.npy'); kl = np.load('phase_r5.npy')
np.set_printoptions(linewidth=200, precision=2, suppress=True)
d = frame(); var = d['counts']/GAIN + DARKVAR
for lo, hi in [(30000, 50000), (15000, 30000), (3000, 15000)]:
    m = (res[:, 2] >= lo) & (res[:, 2] < hi) & (res[:, 6] < 100)
    for name in ['kl', 'emp']:
        acc = []
        for o in res[m]:
            x0, y0 = int(o[0]), int(o[1])
            chi = np.load('chi_%s_%d_%d.npy' % (name, x0, y0)) if name == 'emp' else None
            if name == 'kl':
                c8 = np.load('chi_kl_%d_%d.npy' % (x0, y0)); chi = c8[3:-3, 3:-3]
            sig = np.sqrt(var[y0-5:y0+6, x0-5:x0+6])
            acc.append(chi*sig/o[2]*100)   # residual in % of the observed peak
        acc = np.array(acc)
        print('peak %d-%d, %s PSF, n=%d: median residual (data-model) in %% of peak, central 7x7 (rows=y, cols=x)' % (lo, hi, name, m.sum()))
        print(np.median(acc, 0)[2:-2, 2:-2])
