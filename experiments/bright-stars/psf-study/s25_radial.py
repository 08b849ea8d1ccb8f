# Stage 25: radial profile of the residual for the 12 brightest stars (peak > 30000): rms residual in counts,
# in % of the star's peak, in % of the local model, and chi2/pix, per radius ring; probcat PSF vs
# ePSF+width+affine (CV).
import numpy as np, sys
from load import *
d = frame(); var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_c_r5.npy'); yy, xx = np.mgrid[-5:6, -5:6]
for name, pat in [('probcat PSF', 'chi_pcfield_%d_%d.npy'), ('ePSF+width+affine CV', 'chi_aff_r5_%d_%d.npy'), ('ePSF constant CV', 'chi_cv_c_r5_%d_%d.npy')]:
    acc = {}
    for x0, y0, pk, F, dx, dy in cv[cv[:, 2] > 30000][:, :6]:
        x0, y0 = int(x0), int(y0); s2 = var[y0-5:y0+6, x0-5:x0+6]; chi = np.load(pat % (x0, y0)); res = chi*np.sqrt(s2)
        m = d['counts'][y0-5:y0+6, x0-5:x0+6] - res; m = m - np.median(np.r_[m[0], m[-1]])
        rr = np.hypot(xx-dx, yy-dy)
        for lo, hi in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5.5), (5.5, 8)]:
            k = (rr >= lo) & (rr < hi)
            acc.setdefault((lo, hi), []).append((np.sqrt((res[k]**2).mean()), 100*np.sqrt((res[k]**2).mean())/pk, 100*np.sqrt(((res[k]/np.maximum(m[k], 1))**2).mean()), (chi[k]**2).mean(), np.median(m[k])/pk*100))
    print(name + ' (12 stars with peak > 30000): ring | rms resid counts | % of peak | % of local model | chi2/pix | model % of peak')
    for kk, v in acc.items():
        v = np.median(np.array(v), 0); print('   r %.1f-%.1f px: %6.0f  %6.3f  %6.2f  %6.2f  %6.2f' % (kk[0], kk[1], *v))
