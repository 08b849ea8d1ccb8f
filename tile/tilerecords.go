package tile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/pipeline"
)

// tileRecords reads every tile's run.json: it checks that the tile ran on the plan's kernel
// path (RunTile refuses any other, so a mismatch means a tile from elsewhere), sets the
// summary's CapRefusals to the sum of the tiles' refusals by the source cap and returns the
// merged run.json's record of the cap: the cap, which applies to each tile (margins
// included), the refusals, and the tiles where it bound.
func (mg *merger) tileRecords() (map[string]any, error) {
	var refused int64
	bound := []int{}
	for i := range mg.m.Tiles {
		path := filepath.Join(Dir(mg.planDir, i), pipeline.RunFile)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var rec struct {
			Kernel     string `json:"kernel"`
			MaxSources struct {
				Refusals int64 `json:"refusals"`
			} `json:"max_sources"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if rec.Kernel != mg.m.Kernel {
			return nil, fmt.Errorf("%s: the tile ran on the %s kernels, its plan on %s: sample it again (remove %s)", path, rec.Kernel, mg.m.Kernel, Dir(mg.planDir, i))
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
