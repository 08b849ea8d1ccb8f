// Package tile runs a sampling job on an image too large for one chain by cutting it into
// tiles: core regions on a regular grid, each sampled together with a margin wide enough for
// the PSF of sources just outside the core. Every source of a tile's ensemble belongs to the
// tile whose core contains it, so margins are sampled but dropped when the tiles are merged:
// no source is counted twice and none is lost at a seam.
//
// The same code serves one process (pipeline-style runs of all tiles on all cores, see
// RunAll) and many machines (a manifest written by WritePlan, RunTile for one tile index on
// any node sharing the folder, Merge once all are done). Tile t's random stream derives from
// (seed, t) only, so both ways give byte-identical ensembles.
package tile
