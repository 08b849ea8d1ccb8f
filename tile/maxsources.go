package tile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/pipeline"
)

// capRecord reads every tile's record of the source cap (max_sources in its run.json), sets
// the summary's CapRefusals to their sum and returns the merged run.json's record: the cap,
// which applies to each tile (margins included), the refusals, and the tiles where it bound.
func (mg *merger) capRecord() (map[string]any, error) {
	var refused int64
	bound := []int{}
	for i := range mg.m.Tiles {
		path := filepath.Join(Dir(mg.planDir, i), pipeline.RunFile)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var rec struct {
			MaxSources struct {
				Refusals int64 `json:"refusals"`
			} `json:"max_sources"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if r := rec.MaxSources.Refusals; r > 0 {
			refused += r
			bound = append(bound, i)
		}
	}
	mg.sum.CapRefusals = refused
	return map[string]any{"cap_per_tile": mg.job.Config.MaxSources, "refusals": refused,
		"binds": refused > 0, "tiles_bound": bound}, nil
}
