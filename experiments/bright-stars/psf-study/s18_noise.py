# Stage 18 (f): the noise model. (1) sky pixels: robust variance of first differences in star-poor areas vs
# sky/gain + dark variance; (2) quantisation of the frame's float values (bit-trimming) near bright peaks.
import numpy as np, sys, io, bz2
from astropy.io import fits
from load import *
d = frame(); c = d['counts']; sky = d['sky']; mp = mask_planes()
bad = mp['INTERP'] | mp['SATUR'] | mp['CR'] | mp['BRIGHTOBJECT']
# star-poor: far from cluster, pixel and its right neighbour not in BRIGHTOBJECT, below sky + 3 sigma
pred = sky/GAIN + DARKVAR
yy, xx = np.mgrid[0:c.shape[0], 0:c.shape[1]]
far = np.hypot(xx-360, yy-680) > 900
dif = (c[:, 1:] - c[:, :-1])/np.sqrt(2)
ok = far[:, 1:] & ~bad[:, 1:] & ~bad[:, :-1]
v = dif[ok]; mad = np.median(np.abs(v - np.median(v)))*1.4826
print('sky pixels far from the cluster, not in any fpM object mask: n=%d' % ok.sum())
print('  robust sigma of first differences/sqrt2: %.3f counts; predicted sqrt(sky/gain + darkvar) = %.3f (median sky %.1f)' % (mad, np.sqrt(np.median(pred[:, 1:][ok])), np.median(sky[ok[:, :]] if False else sky[:, 1:][ok])))
difr = (c[1:, :] - c[:-1, :])/np.sqrt(2); okr = far[1:, :] & ~bad[1:, :] & ~bad[:-1, :]
print('  along columns (row differences): %.3f' % (np.median(np.abs(difr[okr]-np.median(difr[okr])))*1.4826))
# (2) quantisation
h = fits.open(io.BytesIO(bz2.open(D+'frame-r-002583-2-0136.fits.bz2').read()))
img = h[0].data
for k in ['BUNIT', 'NMGY', 'NMGYIVAR', 'COMPRESS', 'SOFTBIAS']: print(k, h[0].header.get(k))
print([l for l in repr(h[0].header).split('\n') if 'ompress' in l or 'quant' in l.lower() or 'lossy' in l.lower()][:5])
bits = img.view(np.uint32) & 0x7FFFFF
tz = np.array([((bits & ((1 << k)-1)) == 0).mean() for k in range(1, 24)])
print('fraction of pixels with >=k trailing zero mantissa bits, k=1..12:', ' '.join('%.2f' % t for t in tz[:12]))
st = np.load('stars.npy')
for x, y, p in st[:4]:
    x, y = int(x), int(y); v = img[y-1:y+2, x-1:x+2].ravel(); b = v.view(np.uint32) & 0x7FFFFF
    tzs = [next((k for k in range(23) if (int(bb) >> k) & 1), 23) for bb in b]
    steps = [np.spacing(np.float32(vv))*(2**t) for vv, t in zip(v, tzs)]
    print('star (%d,%d) core values (nmgy) %s ; trailing zero bits %s ; implied quantum (counts) ~%.2f vs sigma %.0f' % (x, y, np.round(v[:3], 3), tzs, np.min(steps)/d['calib'][x], np.sqrt(d['counts'][y, x]/GAIN)))
