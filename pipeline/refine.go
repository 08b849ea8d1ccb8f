package pipeline

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/internal/atomicfile"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/sampler"
)

// PSFFile is the refined PSF written beside the outputs when the job refines its PSF (for a
// PSF that varies across the image, that of the cell nearest the image's middle).
const PSFFile = "psf-refined.fits"

// fieldFile holds the refined PSF, every cell exactly, in the checkpoint folder.
const fieldFile = "psf-refined.bin"

// refineReportFile holds, in the checkpoint folder, what the refinement did and the job's
// fingerprint, so that a resumed run reuses the refined PSF only for the same job.
const refineReportFile = "psf-refine.json"

// refinement is the outcome of a job's PSF refinement.
type refinement struct {
	Fingerprint string               `json:"fingerprint"`
	Report      sampler.RefineReport `json:"report"`
	psf         *psf.Field
}

// refinePSF runs the job's PSF refinement (sampler.RefinePSF) or, when resuming, reads the one
// an earlier run of the same job saved in ckdir. Either way the PSF is the one read back from
// ckdir's copy, so that an interrupted and resumed run samples with exactly the PSF an
// uninterrupted one does.
func (job *Job) refinePSF(ctx context.Context, ckdir string, fp [32]byte) (*refinement, error) {
	psfPath := filepath.Join(ckdir, fieldFile)
	repPath := filepath.Join(ckdir, refineReportFile)
	want := hex.EncodeToString(fp[:])
	if job.Resume {
		if b, err := os.ReadFile(repPath); err == nil {
			var r refinement
			if err := json.Unmarshal(b, &r); err != nil {
				return nil, fmt.Errorf("%s: %v", repPath, err)
			}
			if r.Fingerprint == want {
				if r.psf, err = readRefined(psfPath, r.Report.Refined, job.PSF); err != nil {
					return nil, err
				}
				return &r, nil
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	p, rep, err := sampler.RefinePSF(ctx, job.Image, job.PSF, job.Flux, job.Config, *job.Refine)
	if err != nil {
		return nil, err
	}
	r := &refinement{Fingerprint: want, Report: rep}
	if rep.Refined {
		b, err := p.MarshalBinary()
		if err == nil {
			err = atomicfile.WriteBytes(psfPath, b)
		}
		if err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(repPath, b); err != nil {
		return nil, err
	}
	if r.psf, err = readRefined(psfPath, rep.Refined, job.PSF); err != nil {
		return nil, err
	}
	return r, nil
}

// readRefined reads the refined PSF saved at path, or returns given when there is none.
func readRefined(path string, refined bool, given *psf.Field) (*psf.Field, error) {
	if !refined {
		return given, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := psf.UnmarshalField(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return p, nil
}

// refinementRecord is the refinement's entry in run.json: null when the job does not refine.
func (job *Job) refinementRecord() any {
	r := job.refined
	if r == nil {
		return nil
	}
	rounds := make([]map[string]any, len(r.Report.Rounds))
	for i, x := range r.Report.Rounds {
		rounds[i] = map[string]any{"sources": x.Sources, "fragments_joined": x.Merged, "stars": x.Stars,
			"chi2_before": jsonNum(x.Chi2Before), "chi2_after": jsonNum(x.Chi2After), "max_change": jsonNum(x.MaxChange)}
	}
	out := map[string]any{"refined": r.Report.Refined, "rounds": rounds}
	if r.Report.Refined {
		out["file"] = PSFFile
	} else {
		out["reason"] = r.Report.Reason
	}
	return out
}
