# Stage 27: core (r<1 px) chi2 excess per 1e5 counts vs sub-pixel phase, per model (is the remaining core misfit
# an undersampling/representation problem?)
import numpy as np
cv = np.load('cv_c_r5.npy'); yy, xx = np.mgrid[-5:6, -5:6]
pf = np.load('probcat_psf_fits.npy')[:, :, 0]
for name, pat in [('probcat PSF', 'chi_pcfield_%d_%d.npy'), ('ePSF const CV', 'chi_cv_c_r5_%d_%d.npy'), ('ePSF+width+affine CV', 'chi_aff_r5_%d_%d.npy')]:
    rows = []
    for x0, y0, pk, F, dx, dy in cv[:, :6]:
        chi = np.load(pat % (x0, y0)); rr = np.hypot(xx-dx, yy-dy)
        rows.append((np.hypot(dx, dy), ((chi[rr < 1.2]**2).mean()-1)/F*1e5, ((chi[rr >= 1.2]**2).mean()-1)/F*1e5))
    a = np.array(rows)
    print('%-22s core r<1.2 / outside: chi2 excess per 1e5 counts by |subpixel offset|: ' % name + '  '.join('%.2f-%.2f: %.1f / %.1f' % (lo, hi, np.median(a[(a[:, 0] >= lo) & (a[:, 0] < hi), 1]), np.median(a[(a[:, 0] >= lo) & (a[:, 0] < hi), 2])) for lo, hi in [(0, .2), (.2, .35), (.35, .5), (.5, .8)]))
