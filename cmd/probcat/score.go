package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/figure"
	"github.com/probcat/probcat/internal/tablefile"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey/m2"
)

func init() {
	register(&command{
		name: "score",
		summary: `Score a catalogue against a reference (truth) catalogue.
--match pixel (the default): CATALOGUE is an ensemble (ensemble.parquet: scored sample by
sample and averaged), a condensed catalogue (Parquet) or a text file of x y flux rows; TRUTH is
a Parquet catalogue with x, y, flux columns (e.g. truth.parquet from probcat simulate), a text
file of x y flux rows (PCAT's *_tru.txt), or StarNet's HST truth archive for M2
(true_hubble_m2.npy, which carries magnitudes). Prints JSON with overall tpr, ppv, f1 and
per-magnitude-bin values. Rules: pcat (separation < 0.75 px, |Δmag| < 0.5, 2.5 px border) or
starnet (|Δx|, |Δy| < 0.5 px, |Δmag| < 0.5, 5 px border). "photometry" gives, by true
magnitude, the median (bias) and half the 16–84 % width (scatter) of estimated − true
magnitude over the matched pairs (each true source with its nearest match in each sample): with
probcat inject's injected.parquet as TRUTH and its zero point as --zero-point, an
artificial-star test.
--match sky: matches on RA/Dec against any reference catalogue (Parquet, CSV with a header row,
FITS binary table; columns chosen by --truth-ra, --truth-dec, --truth-mag, rows by
--truth-where). Pairs are one-to-one, greedy nearest first: every pair within --radius
arcseconds of great-circle separation (and with |Δmag| < --mag-tol) is a candidate, and
candidates are accepted in order of increasing separation while both sources are free. Δmag =
estimated − reference − offset (--mag-offset, or --fit-offset: the median over position-only
matches brighter than --fit-bright). CATALOGUE needs ra and dec columns (and mag, or flux with
--zero-point); an ensemble is scored sample by sample (16–84 % intervals over samples), a
condensed catalogue after a --min-prevalence cut. Prints JSON; --out DIR also writes
completeness.parquet, completeness.png and matches.parquet (the first sample's pairs).`,
		usage: "CATALOGUE --truth TRUTH [flags]",
		run:   runScore,
	})
	register(&command{
		name: "condense",
		summary: `Condense an ensemble into one catalogue with a prevalence per source.
Links sources across samples within --radius (PCAT's procedure: seeds by how many samples agree,
each seed takes the brightest unused source within the radius in every other sample) and
writes x, y, flux, their 16–84 % half-widths and the prevalence to OUT (.parquet or .fits).`,
		usage: "ENSEMBLE --out OUT [flags]",
		run:   runCondense,
	})
}

func runScore(fs *flag.FlagSet, args []string, out io.Writer) error {
	truthPath := fs.String("truth", "", "reference catalogue (required)")
	rule := fs.String("rule", "starnet", "scoring rule: pcat or starnet")
	zp := fs.Float64("zero-point", 22.5, "zero point turning fluxes into magnitudes (both catalogues)")
	frame := fs.String("frame", "", "image box X0,Y0,W,H in the catalogues' pixel frame, for the border cut (default: from the truth's extent)")
	bright := fs.Float64("bright", 0, "keep sources fainter than this magnitude (0: no limit)")
	faint := fs.Float64("faint", 0, "keep sources brighter than this magnitude (0: no limit)")
	limits := fs.String("limits", "cut", "what --bright and --faint do: cut (both catalogues are cut before matching, as StarNet scores) or count (every source may match; TPR counts the true sources inside the limits and PPV the estimated ones, as artificial-star tests count completeness and purity)")
	shift := fs.String("truth-shift", "", "DX,DY added to the truth's positions (e.g. 310,630 to put PCAT's M2 cutout truth in frame pixels)")
	plotPath := fs.String("plot", "", "also write completeness and purity by magnitude to this PNG")
	match := fs.String("match", "pixel", "match on pixel positions (pixel) or on RA/Dec (sky)")
	kind := fs.String("kind", "", "score one kind only, star or galaxy, in both catalogues (catalogues of runs with --kinds star,galaxy and truths of probcat simulate --galaxies)")
	band := fs.String("band", "", "score one band of a multi-band run (its flux_<band> columns; default: the reference band)")
	sky := skyFlags(fs)
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	if *truthPath == "" {
		return fmt.Errorf("--truth TRUTH is required")
	}
	if *limits != "cut" && *limits != "count" {
		return fmt.Errorf("--limits must be cut or count, got %q", *limits)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch *match {
	case "sky":
		for _, n := range []string{"rule", "frame", "truth-shift", "plot", "kind", "band", "limits"} {
			if set[n] {
				return fmt.Errorf("--%s applies to --match pixel only", n)
			}
		}
		return runSkyScore(fs.Arg(0), *truthPath, sky, *zp, *bright, *faint, out)
	case "pixel":
		for _, n := range skyOnlyFlags {
			if set[n] {
				return fmt.Errorf("--%s needs --match sky", n)
			}
		}
	default:
		return fmt.Errorf("--match wants pixel or sky, got %q", *match)
	}
	r, err := score.RuleByName(*rule)
	if err != nil {
		return err
	}
	est, _, err := catalogue.ReadEstimatesBand(fs.Arg(0), *band)
	if err != nil {
		return err
	}
	var ref score.Reference
	if *kind != "" {
		if est, err = selectKind(fs.Arg(0), est, *kind); err != nil {
			return err
		}
		truth, err := score.ReadReferenceSample(*truthPath)
		if err != nil {
			return err
		}
		sel, err := selectKind(*truthPath, []catalogue.Sample{truth}, *kind)
		if err != nil {
			return err
		}
		ref = score.NewReference(sel[0].X, sel[0].Y, sel[0].Flux, *zp)
	} else if ref, err = readTruth(*truthPath, *zp); err != nil {
		return err
	}
	if *shift != "" {
		dx, dy, err := parsePair("truth-shift", "DX,DY", *shift)
		if err != nil {
			return err
		}
		for i := range ref.X {
			ref.X[i] += dx
			ref.Y[i] += dy
		}
	}
	fr, err := parseFrame(*frame, ref.X, ref.Y)
	if err != nil {
		return err
	}
	opt := score.Options{Rule: r, Frame: fr, ZeroPoint: *zp, BrightLimit: *bright, FaintLimit: *faint}
	opt.CountOnly = *limits == "count"
	s, err := score.Ensemble(ref, est, opt)
	if err != nil {
		return err
	}
	ph, err := score.Photometry(ref, est, opt)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(struct {
		*score.Score
		Photometry []score.PhotometryBin `json:"photometry"`
	}{s, ph}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, string(js))
	if *plotPath != "" {
		return figure.PlotScores(*plotPath, []figure.Labelled{{Label: "probcat", Score: s}}, nil, nil)
	}
	return nil
}

// selectKind keeps the sources of one kind ("star" or "galaxy") of the catalogue read from
// path.
func selectKind(path string, s []catalogue.Sample, kind string) ([]catalogue.Sample, error) {
	if kind != "star" && kind != "galaxy" {
		return nil, fmt.Errorf("--kind wants star or galaxy, got %q", kind)
	}
	k, err := catalogue.ReadKinds(path)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%s: has no source kinds to select from (a run with --kinds star,galaxy, or a truth of probcat simulate --galaxies, has them)", path)
	}
	out, err := catalogue.SelectKind(s, k, kind == "galaxy")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// parseFrame reads X0,Y0,W,H, or derives the frame from the truth's extent: pixel centres
// from ⌊min⌉ to ⌊max⌉.
func parseFrame(s string, x, y []float64) (score.Frame, error) {
	if s == "" {
		if len(x) == 0 {
			return score.Frame{}, fmt.Errorf("empty truth catalogue and no --frame")
		}
		x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for i := range x {
			x0, x1 = math.Min(x0, x[i]), math.Max(x1, x[i])
			y0, y1 = math.Min(y0, y[i]), math.Max(y1, y[i])
		}
		fx0, fy0 := math.Round(x0), math.Round(y0)
		return score.Frame{X0: fx0, Y0: fy0, W: int(math.Round(x1)-fx0) + 1, H: int(math.Round(y1)-fy0) + 1}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return score.Frame{}, fmt.Errorf("--frame wants X0,Y0,W,H, got %q", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return score.Frame{}, fmt.Errorf("--frame: %q is not a number", p)
		}
		v[i] = f
	}
	if v[2] < 1 || v[3] < 1 {
		return score.Frame{}, fmt.Errorf("--frame: width and height must be positive")
	}
	return score.Frame{X0: v[0], Y0: v[1], W: int(v[2]), H: int(v[3])}, nil
}

func runCondense(fs *flag.FlagSet, args []string, out io.Writer) error {
	outPath := fs.String("out", "", "output catalogue, .parquet or .fits (required)")
	radius := fs.Float64("radius", 0.75, "link radius in pixels")
	minPrev := fs.Float64("min-prevalence", 0, "drop sources present in fewer than this fraction of samples")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	if *outPath == "" {
		return fmt.Errorf("--out OUT is required")
	}
	samples, ensemble, err := catalogue.ReadEstimates(fs.Arg(0))
	if err != nil {
		return err
	}
	if !ensemble {
		return fmt.Errorf("%s: not an ensemble (no chain and sample columns)", fs.Arg(0))
	}
	cs, err := catalogue.Condense(samples, *radius, *minPrev)
	if err != nil {
		return err
	}
	var d catalogue.Derived // the kinds of an ensemble of stars and galaxies carry through
	if d.Kinds, err = catalogue.ReadKinds(fs.Arg(0)); err != nil {
		return err
	}
	switch {
	case strings.HasSuffix(*outPath, ".parquet"):
		err = catalogue.WriteCondensedParquet(*outPath, cs, d, nil)
	case strings.HasSuffix(*outPath, ".fits"), strings.HasSuffix(*outPath, ".fit"):
		err = catalogue.WriteCondensedFITS(*outPath, cs, d, nil)
	default:
		return fmt.Errorf("%s: output must end in .parquet or .fits", *outPath)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d condensed sources from %d samples written to %s\n", len(cs), len(samples), *outPath)
	return nil
}

// readTruth reads --truth: StarNet's HST truth archive for M2 (a NumPy archive, with its own
// magnitudes: m2.ReadHubble), or any catalogue score.ReadReference reads.
func readTruth(path string, zp float64) (score.Reference, error) {
	if tablefile.Magic(path) == "PK" {
		return m2.ReadHubble(path)
	}
	return score.ReadReference(path, zp)
}
