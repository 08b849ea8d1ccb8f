# Stage 24: what fractional model-error term sigma^2 += (eps * (model - sky))^2 would make chi2/pix ~ 1-2?
# (residuals held fixed from the fits above; refitting would lower them a little further)
import numpy as np, sys
from load import *
d = frame(); var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_c_r5.npy'); pf = np.load('probcat_psf_fits.npy')
for name, pat in [('probcat PSF (cells)', 'chi_pcfield_%d_%d.npy'), ('ePSF + width field, CV', 'chi_cvs_%d_%d.npy'), ('ePSF+width+affine CV', 'chi_aff_r5_%d_%d.npy')]:
    line = []
    for eps in [0, 0.0025, 0.005, 0.01, 0.02]:
        vals = {}
        for x0, y0, pk in cv[:, :3]:
            x0, y0 = int(x0), int(y0); sig2 = var[y0-5:y0+6, x0-5:x0+6]
            chi = np.load(pat % (x0, y0)); res = chi*np.sqrt(sig2)
            m = d['counts'][y0-5:y0+6, x0-5:x0+6] - res; m = m - np.median(np.r_[m[0], m[-1]])
            c2 = (res**2/(sig2 + (eps*m)**2)).mean()
            b = 0 if pk < 8000 else 1 if pk < 15000 else 2 if pk < 30000 else 3
            vals.setdefault(b, []).append(c2)
        line.append('eps %.4f: ' % eps + ' '.join('%5.2f' % np.median(vals[b]) for b in range(4)))
    print('%-24s median chi2/pix by peak (<8k, 8-15k, 15-30k, >30k):\n   ' % name + '\n   '.join(line))
