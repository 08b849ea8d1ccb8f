// Package tile runs a sampling job on an image too large for one chain by cutting it into
// tiles: core regions on a regular grid, each sampled together with a margin wide enough for
// the PSF of sources just outside the core. Every source of a tile's ensemble belongs to the
// tile whose core contains it, so margins are sampled but dropped when the tiles are merged:
// every position has exactly one owner, and frame sample k of chain c is the union of the
// tiles' samples k of chain c, each restricted to its core.
//
// This is an approximation of the frame's posterior, not a sample of it. Tiles are sampled
// independently, each conditioned on its own outer box, so a frame sample is a draw from the
// product of the tiles' posteriors. A source near a seam is sampled by both tiles and kept by
// whichever owns the position each drew: in one frame sample it may come from either side,
// from both (two nearby sources, one owned by each tile: a duplicate) or from neither (a
// gap); SeamPairs counts such pairs. The merged ln L (and ln prior) of a frame sample is the
// sum of the tiles' own, each over its outer box, so margin pixels are counted by two tiles
// (four at corners): it is not the frame's likelihood and is comparable only between runs
// with the same grid. The condensed catalogue takes a source straddling a seam once (see
// stitchCondensed). experiments/tiles measures what this does at seams.
//
// The same code serves one process (pipeline-style runs of all tiles on all cores, see
// RunAll) and many machines (a manifest written by WritePlan, RunTile for one tile index on
// any node sharing the folder, Merge once all are done). Tile t's random stream derives from
// (seed, t) only, so both ways give byte-identical ensembles.
package tile
