# Stage 21: is the remaining chi2 (per-star affine on the CV ePSF + width field) spread over the stamp (PSF
# shape) or concentrated in a few pixels (faint neighbours, cosmic rays)?  Per star: mean chi2/pix, median
# pixel chi2, share of chi2 in the 5 worst pixels; same for probcat's own PSF.
import numpy as np
af = np.load('affine_r5.npy')
for name, pat in [('ePSF+width+affine CV', 'chi_aff_r5_%d_%d.npy'), ('probcat PSF (cells)', 'chi_pcfield_%d_%d.npy')]:
    print(name)
    for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
        m = (af[:, 2] >= lo) & (af[:, 2] < hi); rows = []
        for q in af[m]:
            c2 = np.load(pat % (q[0], q[1])).ravel()**2
            s = np.sort(c2)[::-1]; rows.append((c2.mean(), np.median(c2), s[:5].sum()/s.sum()))
        rows = np.array(rows)
        print('  peak %5d-%5d n=%2d: mean chi2/pix %.2f, median pixel chi2 %.2f (1 noise-only: 0.45), share of 5 worst of 121 pixels %.2f' % (lo, hi, m.sum(), *np.median(rows, 0)))
