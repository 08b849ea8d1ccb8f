import numpy as np
from scipy.optimize import least_squares
from load import GAIN, DARKVAR, SOFTBIAS
R = 8  # 17x17 stamp

def fshift(img, dx, dy):
    """Fourier (sinc) shift of a 2-D image by (dx, dy) px (x = column)."""
    ny, nx = img.shape
    ky = np.fft.fftfreq(ny)[:, None]; kx = np.fft.rfftfreq(nx)[None, :]
    F = np.fft.rfft2(img) * np.exp(-2j*np.pi*(kx*dx + ky*dy))
    return np.fft.irfft2(F, s=img.shape)

def stamp(a, x, y, r=R):
    return a[y-r:y+r+1, x-r:x+r+1]

def fit_star(data, var, bad, psf_at_offset, x0, y0, p0=None, r=R, fixed_var=True, extra=None):
    """data,var,bad: stamps (2r+1)^2 centred on integer pixel (x0,y0).
    psf_at_offset(dx,dy) -> (2r+1)^2 stamp of unit-flux PSF centred at stamp centre + (dx,dy).
    Fit flux, dx, dy, sky. Returns dict."""
    good = ~bad
    w = 1/np.sqrt(var)
    def model(p):
        return p[0]*psf_at_offset(p[1], p[2]) + p[3]
    def res(p):
        return ((data - model(p))*w)[good]
    if p0 is None:
        p0 = [data.sum() - data.min()*data.size, 0., 0., np.median(np.r_[data[0], data[-1], data[:, 0], data[:, -1]])]
    s = least_squares(res, p0, x_scale=[abs(p0[0]) or 1, 0.1, 0.1, 10], method='lm')
    m = model(s.x)
    chi = (data - m)*w
    n = good.sum()
    return dict(p=s.x, chi2pix=(chi[good]**2).sum()/(n-4), chi=chi, model=m, n=n)
