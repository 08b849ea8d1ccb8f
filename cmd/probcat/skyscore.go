package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/score"
)

// skyOnlyFlags are the score flags that only --match sky reads.
var skyOnlyFlags = []string{"radius", "truth-ra", "truth-dec", "truth-mag", "truth-where", "mag-tol",
	"mag-offset", "fit-offset", "fit-bright", "min-prevalence", "bin-width", "out"}

// skyScoreFlags are the settings of score --match sky.
type skyScoreFlags struct {
	radius, magTol, magOffset, fitBright, minPrev, binWidth *float64
	ra, dec, mag, outDir                                    *string
	fitOffset                                               *bool
	where                                                   conditions
}

// conditions collects repeated --truth-where flags, parsed later so that a bad one gives a
// one-line error.
type conditions []string

func (c *conditions) String() string { return fmt.Sprint(*c) }

func (c *conditions) Set(s string) error {
	*c = append(*c, s)
	return nil
}

func skyFlags(fs *flag.FlagSet) *skyScoreFlags {
	f := &skyScoreFlags{
		radius:    fs.Float64("radius", 0.5, "sky: match radius in arcseconds (great-circle separation, inclusive)"),
		ra:        fs.String("truth-ra", "ra", "sky: the reference's RA column (degrees)"),
		dec:       fs.String("truth-dec", "dec", "sky: the reference's Dec column (degrees)"),
		mag:       fs.String("truth-mag", "mag", "sky: the reference's magnitude column"),
		magTol:    fs.Float64("mag-tol", 0.5, "sky: a match also needs |Δmag| < this (0: positions only)"),
		magOffset: fs.Float64("mag-offset", 0, "sky: colour term, estimated ≈ reference + offset magnitudes"),
		fitOffset: fs.Bool("fit-offset", false, "sky: fit the offset: median Δmag of position-only matches brighter than --fit-bright"),
		fitBright: fs.Float64("fit-bright", 0, "sky: reference magnitude cut for --fit-offset (0: the brightest quarter of the matches)"),
		minPrev:   fs.Float64("min-prevalence", 0, "sky: score only the condensed catalogue's sources with at least this prevalence"),
		binWidth:  fs.Float64("bin-width", 0.5, "sky: width of the magnitude bins"),
		outDir:    fs.String("out", "", "sky: also write completeness.parquet, completeness.png and matches.parquet to this folder"),
	}
	fs.Var(&f.where, "truth-where", "sky: keep reference rows with COLUMN=VALUE (also !=, <, <=, >, >= for numbers; repeat to combine)")
	return f
}

func runSkyScore(catPath, truthPath string, f *skyScoreFlags, zp, bright, faint float64, out io.Writer) error {
	if *f.fitOffset && *f.magOffset != 0 {
		return fmt.Errorf("--mag-offset and --fit-offset exclude each other")
	}
	if *f.fitBright != 0 && !*f.fitOffset {
		return fmt.Errorf("--fit-bright needs --fit-offset")
	}
	if !(*f.minPrev >= 0 && *f.minPrev <= 1) {
		return fmt.Errorf("--min-prevalence must be in [0, 1], got %g", *f.minPrev)
	}
	if !(*f.radius > 0) || math.IsInf(*f.radius, 0) {
		return fmt.Errorf("--radius must be a positive number of arcseconds, got %g", *f.radius)
	}
	var where []score.Condition
	for _, w := range f.where {
		c, err := score.ParseCondition(w)
		if err != nil {
			return fmt.Errorf("--truth-where: %w", err)
		}
		where = append(where, c)
	}
	ref, skipped, err := score.ReadSkyReference(truthPath, score.SkyColumns{RA: *f.ra, Dec: *f.dec, Mag: *f.mag, Where: where})
	if err != nil {
		return err
	}
	est, err := score.ReadSkyEstimates(catPath, zp, *f.minPrev)
	if err != nil {
		return err
	}
	if len(est.Samples) == 1 && est.Samples[0].Len() == 0 && !est.Ensemble {
		return fmt.Errorf("%s: no source to score (prevalence cut %g)", catPath, *f.minPrev)
	}
	sc, err := score.Sky(&ref, est.Samples, score.SkyOptions{
		Radius: *f.radius, MagTol: *f.magTol, MagOffset: *f.magOffset, FitOffset: *f.fitOffset, FitBright: *f.fitBright,
		BrightLimit: bright, FaintLimit: faint, BinWidth: *f.binWidth,
	})
	if err != nil {
		return fmt.Errorf("%s against %s: %w", catPath, truthPath, err)
	}
	report := struct {
		*score.SkyScore
		TruthSkipped   int     `json:"truth_skipped_non_finite"`
		MagFromFlux    bool    `json:"mag_from_flux,omitempty"`
		ZeroPoint      float64 `json:"zero_point,omitempty"`
		MinPrevalence  float64 `json:"min_prevalence,omitempty"`
		BelowPrevalent int     `json:"dropped_below_prevalence,omitempty"`
	}{SkyScore: sc, TruthSkipped: skipped, MagFromFlux: est.MagFromFlux, MinPrevalence: *f.minPrev, BelowPrevalent: est.Dropped}
	if est.MagFromFlux {
		report.ZeroPoint = zp
	}
	js, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if dir := *f.outDir; dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := score.WriteCompletenessParquet(filepath.Join(dir, "completeness.parquet"), sc); err != nil {
			return err
		}
		if err := score.WriteMatchesParquet(filepath.Join(dir, "matches.parquet"), sc); err != nil {
			return err
		}
		if err := figure.PlotCompleteness(filepath.Join(dir, "completeness.png"), sc); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, string(js))
	return nil
}
