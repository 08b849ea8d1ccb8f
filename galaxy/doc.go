// Package galaxy is the galaxy source kind: exponential and de Vaucouleurs profiles as
// mixtures of Gaussians, stretched into ellipses, convolved analytically with a Gaussian
// mixture fitted to the PSF, and evaluated at pixel centres.
//
// # Model
//
// A galaxy at image position (x, y) has a flux f in counts (its total light) and a Shape:
// half-light radius r_e along the major axis in pixels, axis ratio q ∈ (0, 1] and position
// angle φ of the major axis in radians from the +x axis towards +y. Its profile (Exp or Dev,
// chosen with the Kind) is the SDSS form of the exponential or de Vaucouleurs law, tapered to
// zero at 4 or 8 r_e, as a fixed circular mixture Σ_m a_m·N(0, v_m·r_e²·I) with Σ a_m = 1: the
// 6- and 8-component "lux" and "luv" mixtures of Hogg & Lang (2013, PASP 125:719,
// arXiv:1210.6563, Table 2), with the coefficients in the full precision of The Tractor's
// tractor/mixture_profiles.py (github.com/dstndstn/tractor), which uses the same two. The
// shape turns each component's covariance into R(φ)·diag(v_m·r_e², v_m·q²·r_e²)·R(φ)ᵀ.
//
// # PSF and pixels
//
// probcat's PSFs (package psf) are effective PSFs: their samples are the light a pixel at a
// given displacement receives, the optical PSF already integrated over the pixel. FitPSF fits
// a mixture of K Gaussians (three or four are enough for SDSS) to those samples, so the
// mixture is itself a pixel-convolved PSF; the galaxy's mixture convolved with it (a
// component per pair: amplitudes multiply, means and covariances add) and evaluated at a
// pixel centre is the light in that pixel, with no further integration (Hogg & Lang's
// advice). FitPSF reports the fit's residual; a galaxy rendered through it keeps the PSF's
// unit light because the amplitudes are rescaled to sum to 1.
//
// # Rendering
//
// Renderer.AddTo adds f × the galaxy into a model.Box, row by row: each convolved component
// restricted to a row is a 1-D Gaussian, drawn within 6σ of its centre by a float64 recurrence
// (addComponent and gaussRow: a walk by ratios from three exponentials per component) into the float32 pixels. Pixel coordinates are 0-based
// with pixel centres at integers, x the column and y the row. A galaxy is drawn on the square
// of half-width Renderer.Radius(r_e) (Kind: the stamp radius of its table, at least that)
// around the anchor pixel (⌈x⌉, ⌈y⌉) of model.Anchor, and on no other pixel; the radius leaves
// out at most MaxDroppedLight (10⁻³) of the light, by a bound that holds for any q, φ and
// sub-pixel position. Kind.Radius is that of the largest r_e of the prior.
//
// # Accuracy
//
// Against a brute-force numerical convolution of the exact SDSS profiles with SDSS's double
// Gaussian PSF, integrated over pixels (TestBruteForce), the mixture render agrees within
// 0.5 % of the peak pixel and 2 % of the flux in summed absolute difference, for round,
// elongated, small (r_e = 1 px) and large galaxies; the differences are the mixtures'
// rounding of the profiles' central cusps.
//
// # Priors
//
// Kind's prior is a normalised density, the product of the point-source flux prior, a
// log-uniform r_e on [ReMin, ReMax], a uniform q on [MinAxisRatio, 1] and a uniform φ on
// [0, π); Kind's documentation gives their sources. Perturb is a joint random walk, in
// ln f and ln r_e, reflected in ln r_e and q and wrapped in φ, with the exact proposal ratio.
package galaxy
