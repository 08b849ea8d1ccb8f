"""Common loading: frame r in counts, variance, mask planes, KL PSF, star selection (as experiments/bright-stars)."""
import numpy as np, bz2, gzip, io, os, functools
from astropy.io import fits
D = os.path.join(os.environ.get('PROBCAT_DATA', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../../shared/data')), 'm2-sdss-2583-2-136') + '/'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out')  # caches and per-star files (git-ignored)
os.makedirs(OUT, exist_ok=True)
CACHE = os.path.join(OUT, 'cache.npz')

def frame():
    if os.path.exists(CACHE):
        z = np.load(CACHE); return {k: z[k] for k in z.files}
    h = fits.open(io.BytesIO(bz2.open(D+'frame-r-002583-2-0136.fits.bz2').read()))
    img = h[0].data.astype(np.float64); calib = h[1].data.astype(np.float64)
    sk = h[2].data
    allsky = sk['ALLSKY'][0].astype(np.float64); xi = sk['XINTERP'][0]; yi = sk['YINTERP'][0]
    # bilinear interpolation of allsky (192 rows x 256 cols)
    from scipy.ndimage import map_coordinates
    Y, X = np.meshgrid(yi, xi, indexing='ij')
    sky = map_coordinates(allsky, [Y.ravel(), X.ravel()], order=1, mode='nearest').reshape(img.shape)
    counts = img / calib[None, :] + sky
    d = dict(img=img, calib=calib, sky=sky, counts=counts, allsky=allsky)
    np.savez(CACHE, **d)
    return d

NAMES = ['INTERP','SATUR','NOTCHECKED','OBJECT','BRIGHTOBJECT','BINOBJECT','CATOBJECT','SUBTRACTED','GHOST','CR']
def mask_planes():
    """dict plane name -> bool image (1489x2048) from fpM r (span lists, as survey/sdss/mask.go)."""
    h = fits.open(D+'fpM-002583-r2-0136.fit.gz')
    out = {}
    for p in range(10):
        t = h[p+1].data
        m = np.zeros((1489, 2048), bool)
        if t is not None:
            for r in t:
                b = np.frombuffer(bytes(np.asarray(r['s'], np.uint8)), dtype='>i2').reshape(-1, 3)
                for y, x1, x2 in b:
                    y = int(y)+int(r['row0']); x1 = int(x1)+int(r['col0']); x2 = int(x2)+int(r['col0'])
                    if 0 <= y < 1489:
                        m[y, max(x1, 0):min(x2, 2047)+1] = True
        out[NAMES[p]] = m
    return out

GAIN, DARKVAR, SATLEV, SOFTBIAS = 4.6, 1.0, 50631., 1000.

def klpsf():
    t = fits.open(D+'psField-002583-2-0136.fit')[3].data
    eig = [np.array(r['RROWS'], float).reshape(51, 51) for r in t]
    c = [np.array(r['c'], float).reshape(5, 5) for r in t]
    nr = [int(r['nrow_b']) for r in t]; nc = [int(r['ncol_b']) for r in t]
    def at(x, y):
        rowc, colc = (y+0.5)*1e-3, (x+0.5)*1e-3
        out = np.zeros((51, 51))
        for e, cc, a, b in zip(eig, c, nr, nc):
            w = sum(cc[j, k]*rowc**j*colc**k for j in range(a) for k in range(b))
            out += w*e
        return out
    return at, t

def stars(counts, mask=None):
    im = counts + SOFTBIAS
    vals = im[~mask] if mask is not None else im.ravel()
    sky = np.median(vals); mad = np.median(np.abs(vals - sky))
    a = im - sky
    h, w = a.shape
    from scipy.ndimage import maximum_filter
    # strict local max over 3x3 (others < v)
    fp = np.ones((3, 3), bool); fp[1, 1] = False
    nb = maximum_filter(a, footprint=fp, mode='constant', cval=-np.inf)
    pk = (a > nb) & (a > 5*mad)
    if mask is not None: pk &= ~mask
    pk[0, :] = pk[-1, :] = pk[:, 0] = pk[:, -1] = False
    ys, xs = np.nonzero(pk)
    v = a[ys, xs]
    out = []
    for x, y, p in zip(xs, ys, v):
        if p <= 400*mad or np.hypot(x-360, y-680) <= 350 or x < 30 or y < 30 or x >= w-30 or y >= h-30:
            continue
        d = np.hypot(xs-x, ys-y)
        if np.sum(d <= 8) > 1: continue
        out.append((x, y, p))
    return np.array(out), sky, mad
