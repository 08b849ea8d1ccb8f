"""Empirical oversampled effective PSF (Anderson & King style): the ePSF is a grid of values at
1/O px spacing, evaluated at (pixel centre - star position) by Keys bicubic interpolation; linear in
the grid values, so it is fitted by weighted linear least squares to all stars at once, given
each star's (flux, x, y, sky). Second-difference smoothness penalty lam."""
import numpy as np, scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve

def keys(t):
    t = np.abs(t); a = -0.5
    return np.where(t < 1, (a+2)*t**3-(a+3)*t**2+1, np.where(t < 2, a*t**3-5*a*t**2+8*a*t-4*a, 0.))

class EPSF:
    def __init__(self, O=4, H=6.5):
        self.O, self.H = O, H
        self.n = int(round(2*H*O)) + 1; self.c = (self.n-1)/2
    def design(self, dxs, dys):
        """rows: pixels with offsets (dx, dy) = pixel - star (px); returns sparse (npix, n*n)."""
        O, n, c = self.O, self.n, self.c
        tx = dxs*O + c; ty = dys*O + c
        ix0 = np.floor(tx).astype(int); iy0 = np.floor(ty).astype(int)
        rows, cols, vals = [], [], []
        r = np.arange(len(dxs))
        for a in range(-1, 3):
            wx = keys(tx - (ix0+a)); jx = ix0 + a
            for b in range(-1, 3):
                wy = keys(ty - (iy0+b)); jy = iy0 + b
                ok = (jx >= 0) & (jx < n) & (jy >= 0) & (jy < n)
                rows.append(r[ok]); cols.append((jy*n+jx)[ok]); vals.append((wx*wy)[ok])
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(dxs), n*n))
    def penalty(self):
        n = self.n
        D = sp.diags([1, -2, 1], [0, 1, 2], shape=(n-2, n))
        I = sp.identity(n)
        Dx = sp.kron(I, D); Dy = sp.kron(D, I)
        return (Dx.T@Dx + Dy.T@Dy).tocsr()
    def eval(self, theta, dxs, dys):
        return self.design(dxs, dys) @ theta

def star_system(E, st, r):
    """st: dict with data, var, bad (stamps), x0, y0 (integer centre), F, x, y, sky. Returns A (weighted), b."""
    yy, xx = np.mgrid[-r:r+1, -r:r+1]
    g = ~st['bad'].ravel()
    dx = (xx.ravel() + st['x0'] - st['x'])[g]; dy = (yy.ravel() + st['y0'] - st['y'])[g]
    w = 1/np.sqrt(st['var'].ravel()[g])
    A = E.design(dx, dy).multiply((st['F']*w)[:, None]).tocsr()
    b = (st['data'].ravel()[g] - st['sky'])*w
    return A, b

def keys_eval(theta, E, dx, dy):
    """fast dense Keys-bicubic evaluation of the ePSF grid theta at offsets (dx, dy) (same as E.eval)."""
    n, O, c = E.n, E.O, E.c
    T = theta.reshape(n, n)
    tx = dx*O + c; ty = dy*O + c
    ix0 = np.floor(tx).astype(int); iy0 = np.floor(ty).astype(int)
    out = np.zeros(len(dx))
    for a in range(-1, 3):
        jx = ix0 + a; wx = keys(tx - jx); okx = (jx >= 0) & (jx < n)
        for b in range(-1, 3):
            jy = iy0 + b; wy = keys(ty - jy); ok = okx & (jy >= 0) & (jy < n)
            out[ok] += wx[ok]*wy[ok]*T[jy[ok], jx[ok]]
    return out
