# Stage 10: how much of the cross-validated chi2 of the ePSF ('c', lam) is template noise?  For each star
# in a held-out fold, the variance of the model that comes from the noise of the ePSF built from the other
# folds: diag(A_s M^-1 N M^-1 A_s^T) in units of the star's own noise variance (A_s whitened, includes flux).
# Expected CV chi2/pix if the PSF were the same for all stars ~ 1 + mean of that (minus fitted dof).
import numpy as np, sys
import scipy.sparse as sp, scipy.sparse.linalg as spl
from load import *; from fitlib import *; from epsf import *
lam = float(sys.argv[1]) if len(sys.argv) > 1 else 1e-2; r = 5; O = 4
d = frame(); mp = mask_planes(); bad = mp['INTERP'] | mp['SATUR'] | mp['CR']; var = d['counts']/GAIN + DARKVAR
cv = np.load('cv_c_r5.npy')   # x0 y0 pk F dx dy klchi insample cv  (from the last 'c' run)
E = EPSF(O=O, H=r+1.5); Pen = E.penalty()
S = []
for x0, y0, pk, F, dx, dy, kc, ins, c in cv:
    x0, y0 = int(x0), int(y0)
    S.append(dict(x0=x0, y0=y0, pk=pk, F=F, x=x0+dx, y=y0+dy, sky=0, data=stamp(d['counts'], x0, y0, r), var=stamp(var, x0, y0, r), bad=stamp(bad, x0, y0, r), cv=c))
As = [star_system(E, s, r)[0] for s in S]
Ns = [(A.T@A).tocsc() for A in As]
rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5
out = []
for k in range(5):
    N = sum(n for n, f in zip(Ns, fold) if f != k)
    scale = np.median(N.diagonal()[N.diagonal() > 0])
    M = (N + lam*scale*Pen + 1e-9*scale*sp.identity(N.shape[0])).tocsc()
    lu = spl.splu(M)
    for i in np.nonzero(fold == k)[0]:
        A = As[i].toarray()
        X = lu.solve(A.T)             # M^-1 A^T
        Y = N@X
        v = np.einsum('ij,ji->i', X.T, Y)   # diag(A M^-1 N M^-1 A^T)
        out.append((S[i]['x0'], S[i]['y0'], S[i]['pk'], v.mean(), v.max(), S[i]['cv']))
out = np.array(out)
print('lam=%g: template-noise variance of the model in units of the star\'s own pixel variance' % lam)
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 50000)]:
    m = (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('  peak %5d-%5d n=%2d: mean over pixels %.2f (max pixel %.1f) -> expected CV chi2/pix ~%.2f ; observed CV median %.2f' % (lo, hi, m.sum(), np.median(out[m, 3]), np.median(out[m, 4]), 1+np.median(out[m, 3]), np.median(out[m, 5])))
