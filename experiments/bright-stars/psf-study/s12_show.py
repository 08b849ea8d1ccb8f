# Stage 12: residual maps (chi = (data-model)/sigma) of individual stars, for a given fit set
import numpy as np, sys, glob
kind = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
a = np.load('cv_c_r5.npy'); a = a[np.argsort(-a[:, 2])]
np.set_printoptions(linewidth=220)
for o in a[:n]:
    x0, y0 = int(o[0]), int(o[1])
    c = np.load(kind % (x0, y0))
    print('star (%d,%d) peak %.0f subpix (%+.2f,%+.2f) chi2/pix %.1f ; rows = y increasing downward' % (x0, y0, o[2], o[4], o[5], (c**2).mean()))
    print(np.round(c).astype(int))
