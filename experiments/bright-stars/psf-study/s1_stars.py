# Stage 1: star list with peak DN, mask bits. Output stars.npy
import numpy as np, sys
from load import *
d = frame(); mp = mask_planes()
bad = mp['INTERP'] | mp['SATUR'] | mp['CR']
st, sky, mad = stars(d['counts'], bad)
print(len(st), 'stars; sky', sky, 'mad', mad)
for k, m in mp.items(): print(k, m.sum())
rows = []
for x, y, p in st:
    x, y = int(x), int(y)
    box = (slice(y-8, y+9), slice(x-8, x+9))
    flags = [k for k, m in mp.items() if m[box].any()]
    peakDN = d['counts'][y, x] + SOFTBIAS
    rows.append((x, y, p, peakDN, d['counts'][y, x] - d['sky'][y, x], ','.join(flags)))
rows.sort(key=lambda r: -r[2])
for r in rows: print('%5d %5d peak-sky %8.0f  peakDN(+softbias) %8.0f  flags %s' % (r[0], r[1], r[2], r[3], r[5]))
np.save('stars.npy', np.array([(r[0], r[1], r[2]) for r in rows]))
