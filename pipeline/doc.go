// Package pipeline runs a sampling job from an image to the files a user reads: it drives the
// chains of package sampler, checkpoints them so that a killed run resumes without losing
// finished work (and finishes with the same catalogue bytes as an uninterrupted run), and
// writes the ensemble, the per-sample statistics, the condensed catalogue, the posterior-mean
// model, diagnostic plots and a JSON record of the run.
package pipeline
