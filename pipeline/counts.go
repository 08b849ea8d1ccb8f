package pipeline

import (
	"math"
	"path/filepath"

	"github.com/probcat/probcat/catalogue"
)

// CountsBinning returns the binning of an image's number counts: half magnitudes when its
// derived columns carry a magnitude (the image has a zero point), else 0.2 dex of flux.
func CountsBinning(d catalogue.Derived) catalogue.Binning {
	return catalogue.Binning{Magnitude: d.Magnitude}
}

// WriteCounts sets the detection limit of counts from the condensed catalogue cond (see
// catalogue.DetectionLimit) and writes counts.parquet into dir with the file metadata meta.
func WriteCounts(dir string, counts *catalogue.Counts, b catalogue.Binning, cond []catalogue.CondensedSource, meta map[string]string) error {
	counts.Limit, _ = catalogue.DetectionLimit(b, cond) // NaN when there is none
	return catalogue.WriteCounts(filepath.Join(dir, CountsFile), counts, meta)
}

// CountsRecord is run.json's summary of counts.parquet: the file, the bins' unit, the number
// of bins and the detection limit (null when there is none).
func CountsRecord(c *catalogue.Counts) map[string]any {
	unit := "flux"
	if c.Magnitudes {
		unit = "mag"
	}
	return map[string]any{"file": CountsFile, "unit": unit, "bins": len(c.Bins),
		"detection_limit": nullable(c.Limit, !math.IsNaN(c.Limit)),
		"detection_rule":  "faint edge of the faintest bin whose condensed sources have a mean prevalence ≥ 0.5"}
}
