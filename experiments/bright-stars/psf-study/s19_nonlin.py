# Stage 19 (a): non-linearity / saturation test. Fit each star (CV ePSF + width field, s14 model) WITHOUT its
# brightest pixel, then compare that pixel's data with the prediction: (data-model)/model in % vs raw DN.
import numpy as np, sys
exec(open('s16_affine.py').read().split('for it in range(2):')[0].replace("r = int(sys.argv[1]) if len(sys.argv) > 1 else 5", "r = 5"))
for it in range(2):
    th = solve([system(s) for s in S])
    for s in S: fit(th, s, False)
parts = [system(s) for s in S]; rng = np.random.default_rng(1); fold = rng.permutation(len(S)) % 5
out = []
for k in range(5):
    thk = solve([p for p, f in zip(parts, fold) if f != k])
    for i in np.nonzero(fold == k)[0]:
        s = S[i]; iy, ix = np.unravel_index(np.argmax(s['data']), s['data'].shape)
        s2 = dict(s); s2['bad'] = s['bad'].copy(); s2['bad'][iy, ix] = True
        c2, p, chi = fit(thk, s2, True)
        sig = np.sqrt(s['var'][iy, ix]); model_pk = s['data'][iy, ix] - chi[iy, ix]*sig
        out.append((s['x0'], s['y0'], s['pk'], s['data'][iy, ix]+SOFTBIAS, 100*(s['data'][iy, ix]-model_pk)/(model_pk-p[3]), (s['data'][iy, ix]-model_pk)/sig))
out = np.array(out); np.save('nonlin.npy', out)
print('peak pixel left out of the fit (per-star affine allowed); residual of that pixel:')
for lo, hi in [(0, 8000), (8000, 15000), (15000, 30000), (30000, 40000), (40000, 50000)]:
    m = (out[:, 2] >= lo) & (out[:, 2] < hi)
    print('  peak %5d-%5d (raw DN incl. soft bias %5.0f-%5.0f) n=%2d: median (data-model)/model %+.2f%%, mean %+.2f%% +- %.2f ; median in sigma %+.1f' % (lo, hi, out[m, 3].min(), out[m, 3].max(), m.sum(), np.median(out[m, 4]), out[m, 4].mean(), out[m, 4].std()/np.sqrt(m.sum()), np.median(out[m, 5])))
