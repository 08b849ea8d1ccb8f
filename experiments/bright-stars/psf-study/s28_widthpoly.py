# Stage 28: does the per-star width (s13 stretch) follow a smooth field of higher order than linear?
# Leave-one-out prediction error of polynomial fields in x (column) and y (row), stars with peak > 6000.
import numpy as np
a = np.load('width_colour.npy'); ok = (a[:, 6] < 10) & (a[:, 2] > 6000); a = a[ok]
x = (a[:, 0]-1024)/1000; y = (a[:, 1]-744)/1000; s = a[:, 4]
def design(kx, ky): return np.column_stack([x**i for i in range(kx+1)] + [y**j for j in range(1, ky+1)])
print('n=%d stars; raw rms of stretch %.4f' % (len(s), s.std()))
for kx, ky in [(0, 0), (1, 0), (1, 1), (2, 1), (3, 1), (4, 1), (3, 2), (3, 3)]:
    X = design(kx, ky); e = []
    for i in range(len(s)):
        m = np.arange(len(s)) != i; c, *_ = np.linalg.lstsq(X[m], s[m], rcond=None); e.append(s[i]-X[i]@c)
    print('  x order %d, y order %d: LOO rms %.4f' % (kx, ky, np.std(e)))
