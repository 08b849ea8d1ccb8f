// Package sampler is probcat's transdimensional (reversible-jump) Markov chain Monte Carlo
// sampler over catalogues of sources: it draws an ensemble of catalogues from the posterior
// of an image, in the manner of PCAT (Portillo et al. 2017), with every proposal density and
// Jacobian written out in its acceptance ratio (see Arithmetic for what is exact and what is
// exact only to float32 rounding).
//
// # Target
//
// A catalogue is a list of N sources s_i = (x_i, y_i, θ_i) where θ are the parameters of the
// source kind (flux first). Its posterior density, for the labelled (ordered) list, is
//
//	π(s_1..s_N) ∝ P(N) · Π_i [p(θ_i) / A] · L(data | catalogue, background)
//
// where P(N) = exp(CountPrior.LogPrior(N, A)) is the prior probability of N sources, A = W·H
// is the area of the image (positions are uniform over x ∈ [−0.5, W−0.5), y ∈ [−0.5, H−0.5)),
// p(θ) is SourceKind.LogPrior, and L is the Gaussian likelihood with inverse variance w:
// ln L = −½ Σ w (d − bias − background − model)², w fixed by the data (NoiseFromData) or the
// background (Config.WeightsFromBackground). For NoiseFromModel images the variance depends
// on the catalogue, σ² = max(background + model, 0)/gain + read noise² (+ the model error), and
// ln L = −½ Σ [(d − bias − background − model)²/σ² + ln σ²] exactly, in every proposal; the
// weights w then only shape the proposals (birth map, flux guesses, the refit moves' Gram
// matrices) and mask the background steps, refreshed during burn-in and frozen after it. The
// posterior is symmetric under relabelling,
// so the sampler keeps the list in whatever order is convenient; every transdimensional move
// below is written for the labelled list with the new source inserted at a uniformly random
// position (probability 1/(N+1)), which is the same chain on unordered catalogues.
//
// # Moves
//
// Within a region: move (position and parameters, steps from the Fisher information of the
// PSF at the source's flux), birth and death (positions from a mixture of uniform and the
// positive residual signal-to-noise map, point-source fluxes from a mixture of the prior and a
// lognormal around the residual's optimal flux; the death uses the same densities evaluated
// on the state without the source), split and merge (as PCAT: flux fraction, Gaussian
// separation, flux-weighted centroid kept, Jacobian = flux), and emit and absorb (a source
// hands part of its flux to a new source drawn from the birth density, or all of its flux to a
// neighbour that stays put, Jacobian = flux; off by default, MoveWeights.Transfer, as on M2
// they are accepted only 0.1 % of the time), and, off by default (MoveWeights.Refit,
// MoveWeights.FluxGroup, MoveWeights.RefitSplitMerge), refit births, deaths, splits and merges
// and flux-group updates: a move that also redraws the fluxes of up to RefitNeighbours
// neighbours from the Gaussian of their least-squares fluxes given the new configuration, and a
// joint redraw of the fluxes of a source and its neighbours from the same Gaussian (see
// refit.go). Globally, every few passes: the background level (a Gibbs draw from its Gaussian
// conditional, or with exact model noise a Fisher-scoring Metropolis–Hastings step after the
// first half of the minimum burn-in; flat prior), or with Config.BackgroundOrder ≥ 1 all the
// coefficients of a smooth background of Legendre terms over the image by the multivariate
// form of the same two updates (background.go), the density of a Poisson count prior with a
// Gamma hyperprior (model.GammaPoisson; Gibbs, ρ | N ~ Gamma(a + N, b + A)) and the flux
// function's parameters (Config.SampleFluxPrior: a power law's slope by a Gibbs draw under a
// Gamma hyperprior, or a broken power law's break and two slopes by Metropolis under flat
// hyperpriors). The hyperparameters then join the target:
//
//	π(ρ, φ, s_1..s_N) ∝ p(ρ) p(φ) · P(N | ρ) · Π_i [p(θ_i | φ) / A] · L
//
// and are constant within a pass, so every region of the pass sees the same priors.
// Every acceptance ratio is written out next to its code.
//
// # Passes and regions
//
// One pass is PCAT's "one proposal": the image is cut into square regions of side S on a grid
// shifted by a random integer offset; one quarter of the regions (a checkerboard parity in x
// and in y) is active; each active region makes Config.RegionProposals proposals touching only
// the sources whose positions lie in its interior, and accepts or rejects them on its own.
// A source's light reaches at most R = SourceKind.Radius() pixels from its pixel, and active
// regions are S pixels apart, so with S > 2R the pixels each region reads and writes are
// disjoint: the regions do not interact, and running them in parallel gives the same result
// as running them one after another, in any order. The grid offset and parity are drawn
// independently of the state, and each region's proposals form a Metropolis–Hastings kernel
// for the conditional posterior of its own sources given everything outside, so every pass
// leaves the posterior invariant. The count prior enters a region's acceptance only through
// P(N±1)/P(N) times N-dependent labelling factors; for the Poisson prior these cancel
// exactly to depend on the region alone (with a sampled density too, since it only changes
// between passes); for other priors the sampler uses N at the start of
// the pass plus the region's own changes, which is exact when one region is active and
// otherwise off by the relative change of N within one pass.
//
// # Arithmetic
//
// The acceptance ratios are exact as formulas, not as numbers. The image, the residual and the
// rendered model change δ are float32 (sums over pixels are float64), so ΔlnL is the change of a
// float32 residual. The reverse density of a move is not stored with the state it came from but
// rebuilt at float32 from the residual the reverse move sees: a death or absorb evaluates the
// birth position density on r − δ and the birth flux guess on Σψw(r + fψ), while the birth that
// made the source saw the residual before the float32 subtraction of its light; within a pass, a
// region's birth-map total is carried from proposal to proposal by adding float64 changes computed
// from float32 residuals rather than summed afresh. A forward density and the reverse density of
// the move that undoes it therefore agree to float32 rounding of the residual (a relative 6e-8 per
// pixel), not bit for bit, and detailed balance holds to that precision. The residual is
// recomputed from scratch after every kept sample (see Randomness), so these errors do not
// accumulate along the chain.
//
// # Randomness
//
// Each pass draws from a stream derived from (seed, chain, pass) and each region from a stream
// derived from (seed, chain, pass, region), so neither the number of threads nor the order in
// which regions run changes the result. A chain's state between kept samples is its
// catalogue, background, count-prior density, flux-prior parameters and counters; the residual image is recomputed from
// scratch after every kept sample, which bounds float32 drift and makes a checkpoint restore
// reproduce the uninterrupted run bit for bit.
package sampler
