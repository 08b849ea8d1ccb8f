# Stage 17: where is the remaining chi2 (per-star affine on CV ePSF+width field, s16)? core (r<=2 px) vs
# ring 2-3.5 vs outer, per peak group; plus the maps of three of the worst bright stars.
import numpy as np, sys
r = int(sys.argv[1]) if len(sys.argv) > 1 else 5
a = np.load('affine_r%d.npy' % r)
yy, xx = np.mgrid[-r:r+1, -r:r+1]; rr = np.hypot(xx, yy)
zones = [('core r<=1.5', rr <= 1.5), ('1.5<r<=3', (rr > 1.5) & (rr <= 3)), ('r>3', rr > 3)]
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
    m = (a[:, 2] >= lo) & (a[:, 2] < hi); acc = {z: [] for z, _ in zones}
    for q in a[m]:
        c = np.load('chi_aff_r%d_%d_%d.npy' % (r, q[0], q[1]))
        for z, msk in zones: acc[z].append((c[msk]**2).mean())
    print('peak %5d-%5d: ' % (lo, hi) + '  '.join('%s: mean chi2/pix %.2f' % (z, np.median(v)) for z, v in acc.items()))
np.set_printoptions(linewidth=200)
for x0, y0 in [(198, 1406), (1510, 243), (727, 725), (850, 972)]:
    c = np.load('chi_aff_r%d_%d_%d.npy' % (r, x0, y0)); print('(%d,%d)' % (x0, y0)); print(np.round(c).astype(int))
