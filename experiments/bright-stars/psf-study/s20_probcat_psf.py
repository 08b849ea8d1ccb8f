# Stage 20: the same single-star fit (flux, x, y, sky; 11x11; sigma^2 = counts/gain + darkvar) with probcat's
# OWN rendered PSF (gopsf/main.go: KLPSF.Field cells of 128 px as the sampler uses, or KL at the star's own
# position), positions interpolated (cubic) on the 0.05-px grid of rendered stamps. Compared with the
# empirical ePSF models of s9/s14/s16, by peak group and by sub-pixel phase.
import numpy as np, sys
from scipy.interpolate import RegularGridInterpolator
from load import *; from fitlib import *
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
stars = np.loadtxt('stars83.txt', int); r = 5; g = np.arange(-12, 13)*0.05
res = {}
for name in ['field', 'own']:
    B = np.fromfile('probcat_psf_%s.bin' % name, np.float32).reshape(len(stars), 25, 25, 11, 11).astype(float)
    out = []
    for i, (x0, y0) in enumerate(stars):
        I = RegularGridInterpolator((g, g), B[i], method='cubic', bounds_error=False, fill_value=None)
        P = lambda dx, dy: I([[dy, dx]])[0]
        f = fit_star(stamp(d['counts'], x0, y0, r), stamp(var, x0, y0, r), stamp(bad, x0, y0, r), P, x0, y0, r=r)
        out.append((x0, y0, f['chi2pix'], f['p'][1], f['p'][2], f['p'][0]))
        np.save('chi_pc%s_%d_%d.npy' % (name, x0, y0), f['chi'])
    res[name] = np.array(out)
np.save('probcat_psf_fits.npy', np.dstack([res['field'], res['own']]))
cv = np.load('cv_c_r5.npy'); cs = np.load('cv_stretch.npy'); af = np.load('affine_r5.npy')
key = lambda a: {(int(p[0]), int(p[1])): k for k, p in enumerate(a)}
ka, kb = key(cs), key(af)
pk = cv[:, 2]
col = lambda a, kk, c: np.array([a[kk[(int(x), int(y))], c] for x, y in stars])
tab = {'probcat PSF (128-px cells)': res['field'][:, 2], 'probcat PSF at own position': res['own'][:, 2], 'KL sinc-shifted (s3)': cv[:, 6],
       'ePSF constant, CV (s9)': cv[:, 8], 'ePSF + width field, CV (s14)': col(cs, ka, 7), 'ePSF+width+per-star affine, CV (s16)': col(af, kb, 4)}
bins = [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000), (0, 50000)]
print('median chi2/pix on 11x11 px, 83 isolated bright stars' + '\n%-38s' % 'model' + ''.join('%13s' % ('%d-%dk' % (lo//1000, hi//1000)) for lo, hi in bins))
for n, v in tab.items():
    print('%-38s' % n + ''.join('%13.2f' % np.median(v[(pk >= lo) & (pk < hi)]) for lo, hi in bins))
ph = np.hypot(res['field'][:, 3], res['field'][:, 4]); ex = (res['field'][:, 2]-1)/res['field'][:, 5]*1e5
exe = (cv[:, 8]-1)/cv[:, 3]*1e5
print('chi2 excess per 1e5 counts by sub-pixel distance from pixel centre: probcat PSF | ePSF const CV')
for lo, hi in [(0, .2), (.2, .35), (.35, .5), (.5, .8)]:
    m = (ph >= lo) & (ph < hi); print('  |d| %.2f-%.2f n=%2d: %6.1f | %6.1f' % (lo, hi, m.sum(), np.median(ex[m]), np.median(exe[m])))
