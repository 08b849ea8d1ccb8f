// Command hst-m2 is issue 15 item 6, the semi-synthetic HST-resolution M2: the HST truth of
// M2 (PCAT's sdss.0921_tru.txt, the ACS Globular Cluster Treasury stars projected into the
// 100×100 SDSS r cutout) is mapped onto an ACS/WFC-like grid of 0.05" pixels (×7.92 the SDSS
// 0.396"), a square sub-field in the cluster's densest part is rendered by `probcat simulate
// --truth` with Anderson's STDPSF F606W PSF at each star's detector position and the sky and
// noise of an ACS/WFC F606W exposure, sampled by `probcat sample --psf STDPSF` with default
// flags, and scored by `probcat score` (StarNet's 0.5-px, 0.5-mag rule). Run from the module
// root (README.md gives the settings and results):
//
//	go run ./experiments/hst-m2 [-work DIR] [-seeds 1,2] [-size 256] [-threads 1]
//
// It prints Markdown on stdout and its progress on stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/probcat/probcat/internal/runcmd"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/pipeline"
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/score"
	"github.com/probcat/probcat/survey"
)

// ACS/WFC pixels per SDSS pixel: 0.396" / 0.05".
const scale = 0.396 / 0.05

// options are the command-line settings.
type options struct {
	work, seeds                       string
	size, threads, chip               int
	expTime, gain, readNoise, skyRate float64
	zp, fminSNR, margin               float64
	quick, reuse                      bool
}

func main() {
	var o options
	flag.StringVar(&o.work, "work", "", "folder for the images and runs (default: a new temporary folder, kept)")
	flag.StringVar(&o.seeds, "seeds", "1,2", "seeds: one rendering (noise) and one sampler run each")
	flag.IntVar(&o.size, "size", 256, "side of the square sub-field, ACS pixels")
	flag.IntVar(&o.threads, "threads", 1, "probcat sample --threads")
	flag.IntVar(&o.chip, "chip", 1, "ACS/WFC chip (CCDCHIP) the sub-field is placed on, at its centre")
	flag.Float64Var(&o.expTime, "exptime", 300, "exposure time, s")
	flag.Float64Var(&o.gain, "gain", 2, "gain, e-/DN (ACS/WFC CCDGAIN=2)")
	flag.Float64Var(&o.readNoise, "read-noise", 4, "read noise, e-")
	flag.Float64Var(&o.skyRate, "sky", 0.1, "sky (zodiacal + earthshine) plus dark, e-/s/pixel")
	flag.Float64Var(&o.zp, "zp", 26.49, "F606W zero point: mag of 1 e-/s")
	flag.Float64Var(&o.fminSNR, "fmin-snr", 5, "the FMIN card (sampler's f_min) is the flux of an isolated star of this S/N")
	flag.Float64Var(&o.margin, "margin", 16, "sub-field kept this many ACS pixels inside the truth's area, so that stars off its edges are rendered too")
	flag.BoolVar(&o.quick, "quick", false, "short sampler runs (2 chains, 20+20 samples) to check the harness")
	flag.BoolVar(&o.reuse, "reuse", false, "keep the images and runs of -work that finished (run.json present) and only score them again")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "hst-m2:", err)
		os.Exit(2)
	}
}

// execute runs a command and returns its standard output; its stderr passes through.
func execute(name string, args ...string) ([]byte, error) {
	return runcmd.Output("hst-m2", name, args...)
}

func run(o options) error {
	var err error
	if o.work, err = runcmd.WorkDir("hst-m2", o.work); err != nil {
		return err
	}
	data := shareddata.Dir()
	truthPath := filepath.Join(data, "m2-pcat-cutout", "sdss.0921_tru.txt")
	gridPath := filepath.Join(data, "hst-stdpsf-acswfc", "STDPSF_ACSWFC_F606W_SM4.fits")
	ref, err := survey.ReadPCATTruth(truthPath, survey.M2NMGY["r"])
	if err != nil {
		return err
	}

	// Exposure: counts (DN) of a star of magnitude m are 10^(−0.4 (m − zp))·t/g.
	magZP := o.zp + 2.5*math.Log10(o.expTime/o.gain)
	sky := o.skyRate * o.expTime / o.gain
	rn := o.readNoise / o.gain
	ox, oy := 2048-o.size/2, 1024-o.size/2 // the sub-field's detector origin: the chip's centre

	// The noise limit: the magnitude at which an isolated star's S/N is 5.
	g, err := psf.ReadSTDPSF(gridPath, o.chip)
	if err != nil {
		return err
	}
	centre, err := g.PSF(float64(ox)+float64(o.size-1)/2, float64(oy)+float64(o.size-1)/2, 0)
	if err != nil {
		return err
	}
	fLim := fluxAtSNR(centre, 5, sky, o.gain, rn)
	mLim := magZP - 2.5*math.Log10(fLim)
	fmin := fluxAtSNR(centre, o.fminSNR, sky, o.gain, rn)
	mCut := mLim - 2

	// The truth on the ACS grid: pixel edges −0.5 of both grids coincide.
	n := ref.Len()
	ax, ay, mag := make([]float64, n), make([]float64, n), ref.Mag
	for i := range n {
		ax[i], ay[i] = (ref.X[i]+0.5)*scale-0.5, (ref.Y[i]+0.5)*scale-0.5
	}
	full := 100 * scale // the truth covers [−0.5, full − 0.5) on the ACS grid
	wx, wy, count := densest(ax, ay, mag, mCut, o.size, o.margin, full)

	// The catalogue to render, in detector pixels: every star within 20 px of the sub-field
	// (the PSF's stamp reaches 12).
	var b strings.Builder
	rendered := 0
	for i := range n {
		x, y := ax[i]-float64(wx)+float64(ox), ay[i]-float64(wy)+float64(oy)
		if x < float64(ox)-20 || x > float64(ox+o.size)+20 || y < float64(oy)-20 || y > float64(oy+o.size)+20 {
			continue
		}
		fmt.Fprintf(&b, "%.6f %.6f %.6g\n", x, y, math.Pow(10, -0.4*(mag[i]-magZP)))
		rendered++
	}
	near1, near2 := crowding(ax, ay, mag, mCut, wx, wy, o.size)
	catPath := filepath.Join(o.work, "truth-detector.txt")
	if err := os.WriteFile(catPath, []byte(b.String()), 0o644); err != nil {
		return err
	}

	bin := filepath.Join(o.work, "probcat")
	if _, err := execute("go", "build", "-o", bin, "./cmd/probcat"); err != nil {
		return err
	}
	frame := fmt.Sprintf("%d,%d,%d,%d", ox, oy, o.size, o.size)
	load, _ := os.ReadFile("/proc/loadavg")

	fmt.Printf("## Settings\n\n")
	fmt.Printf("- Truth: `%s`, %d stars over the 100×100 SDSS cutout; on the ACS grid (×%.2f) the sub-field is ACS grid [%d, %d) × [%d, %d) (SDSS cutout x %.1f–%.1f, y %.1f–%.1f), with %d truth stars brighter than %.2f; %d stars rendered (within 20 px of it).\n",
		filepath.Base(truthPath), n, scale, wx, wx+o.size, wy, wy+o.size,
		(float64(wx)+0.5)/scale-0.5, (float64(wx+o.size)+0.5)/scale-0.5, (float64(wy)+0.5)/scale-0.5, (float64(wy+o.size)+0.5)/scale-0.5, count, mCut, rendered)
	fmt.Printf("- Crowding: of the truth stars brighter than %.2f on the sub-field, %.1f %% have another truth star (any magnitude) within 2 px (0.1\"), %.1f %% one within 2 px and at most 2 mag fainter.\n", mCut, 100*near1, 100*near2)
	fmt.Printf("- Detector: chip %d, image pixel (0, 0) at detector (%d, %d); PSF stamp %d px, STDPSF at each star.\n", o.chip, ox, oy, centre.Size)
	fmt.Printf("- Exposure %g s, gain %g e-/DN, read noise %g e- (%.3g DN), sky+dark %g e-/s/px (%.4g DN), zero point %g (1 e-/s) → MAGZP %.4f (DN).\n",
		o.expTime, o.gain, o.readNoise, rn, o.skyRate, sky, o.zp, magZP)
	fmt.Printf("- Noise limit (isolated star, S/N = 5, PSF-weighted, mean over sub-pixel phases): %.1f DN = **%.2f mag**; F1 cut at %.2f. FMIN = flux at S/N %g = %.1f DN (%.2f mag).\n",
		fLim, mLim, mCut, o.fminSNR, fmin, magZP-2.5*math.Log10(fmin))
	fmt.Printf("- Load at start: %s\n", strings.TrimSpace(string(load)))

	for _, s := range strings.Split(o.seeds, ",") {
		seed := strings.TrimSpace(s)
		sim := filepath.Join(o.work, "sim-"+seed)
		runDir := filepath.Join(o.work, "run-"+seed)
		timeFile := filepath.Join(o.work, "time-"+seed+".txt")
		if _, err := os.Stat(filepath.Join(runDir, "run.json")); err != nil || !o.reuse {
			if err := simulateAndSample(o, bin, seed, catPath, gridPath, sim, runDir, timeFile, ox, oy, sky, rn, magZP, fmin); err != nil {
				return err
			}
		}
		var user, sys, wall, rss float64
		tb, err := os.ReadFile(timeFile)
		if err != nil {
			return err
		}
		fmt.Sscanf(string(tb), "%g %g %g %g", &user, &sys, &wall, &rss)
		conv, err := pipeline.ReadConvergence(filepath.Join(runDir, "run.json"))
		if err != nil {
			return err
		}
		fmt.Printf("\n## Seed %s\n\n", seed)
		fmt.Printf("- `probcat sample`: %.0f CPU-s (user %.0f + sys %.0f), wall %.0f s, peak RSS %.0f MiB.\n", user+sys, user, sys, wall, rss/1024)
		fmt.Printf("- Convergence: converged %v, burn-in %d samples; R-hat / ESS of N %s, ln L %s, total flux %s, sky %s.\n",
			conv.Converged, conv.BurnIn, diag(conv.N), diag(conv.LogLike), diag(conv.TotalFlux), diag(conv.Background))
		fmt.Printf("\n| catalogue | stars | n truth | n estimated | TPR | PPV | F1 |\n|---|---|---|---|---|---|---|\n")
		var bins []score.Bin
		for _, c := range []struct{ name, file string }{{"catalogue (prevalence ≥ 0.5)", "catalogue.parquet"}, {"ensemble", "ensemble.parquet"}} {
			for _, cut := range []float64{mCut, 0} {
				args := []string{"score", filepath.Join(runDir, c.file), "--truth", filepath.Join(sim, "truth.parquet"),
					"--zero-point", ff(magZP), "--rule", "starnet", "--frame", frame}
				label := "all"
				if cut != 0 {
					args = append(args, "--faint", ff(cut))
					label = fmt.Sprintf("< %.2f", cut)
				}
				js, err := execute(bin, args...)
				if err != nil {
					return err
				}
				var sc score.Score
				if err := json.Unmarshal(js, &sc); err != nil {
					return fmt.Errorf("probcat score output: %v", err)
				}
				fmt.Printf("| %s | %s | %d | %.1f | %s | %s | %s |\n", c.name, label, sc.NTruth, sc.NEstimated, sc.TPR, sc.PPV, sc.F1)
				if cut == 0 && c.file == "catalogue.parquet" {
					bins = sc.Bins
				}
			}
		}
		fmt.Printf("\nBy magnitude (catalogue, all stars; completeness by true, purity by estimated magnitude):\n\n| mag | n truth | TPR | n estimated | PPV |\n|---|---|---|---|---|\n")
		for _, b := range bins {
			if b.NTruth == 0 && b.NEstimated == 0 {
				continue
			}
			fmt.Printf("| %.1f–%.1f | %d | %s | %.0f | %s |\n", b.MagLo, b.MagHi, b.NTruth, b.TPR, b.NEstimated, b.PPV)
		}
	}
	return nil
}

// simulateAndSample renders the sub-field with one seed into sim and samples it into runDir,
// timing probcat sample with /usr/bin/time into timeFile.
func simulateAndSample(o options, bin, seed, catPath, gridPath, sim, runDir, timeFile string, ox, oy int, sky, rn, magZP, fmin float64) error {
	if _, err := execute(bin, "simulate", "--truth", catPath, "--psf", gridPath, "--chip", strconv.Itoa(o.chip),
		"--origin", fmt.Sprintf("%d,%d", ox, oy), "--width", strconv.Itoa(o.size), "--height", strconv.Itoa(o.size),
		"--gain", ff(o.gain), "--bias", "0", "--background", ff(sky), "--read-noise", ff(rn),
		"--zero-point", ff(magZP), "--fmin", ff(fmin), "--seed", seed, "--out", sim); err != nil {
		return err
	}
	if err := os.RemoveAll(runDir); err != nil {
		return err
	}
	args := []string{"-f", "%U %S %e %M", "-o", timeFile, bin, "sample", filepath.Join(sim, "image.fits"),
		"--psf", gridPath, "--seed", seed, "--threads", strconv.Itoa(o.threads), "--quiet", "--out", runDir}
	if o.quick {
		args = append(args, "--chains", "2", "--samples", "20", "--burn-in", "20", "--max-burn-in", "20")
	}
	if _, err := execute("/usr/bin/time", args...); err != nil {
		return err
	}
	return nil
}

// densest returns the corner (ACS grid pixels, multiples of 8) of the size×size window, at
// least margin inside the truth's area [−0.5, full − 0.5)², that holds the most stars brighter
// than cut, and their number.
func densest(x, y, mag []float64, cut float64, size int, margin, full float64) (wx, wy, best int) {
	lo, hi := int(math.Ceil(margin-0.5)), int(math.Floor(full-0.5-margin))-size
	best = -1
	for cy := lo; cy <= hi; cy += 8 {
		for cx := lo; cx <= hi; cx += 8 {
			k := 0
			for i := range x {
				if mag[i] < cut && x[i] >= float64(cx)-0.5 && x[i] < float64(cx+size)-0.5 && y[i] >= float64(cy)-0.5 && y[i] < float64(cy+size)-0.5 {
					k++
				}
			}
			if k > best {
				wx, wy, best = cx, cy, k
			}
		}
	}
	return wx, wy, best
}

// crowding returns, for the truth stars brighter than cut in the size×size window at (wx, wy),
// the fraction with another star within 2 px, and with one within 2 px at most 2 mag fainter.
func crowding(x, y, mag []float64, cut float64, wx, wy, size int) (any, close float64) {
	n, a, c := 0, 0, 0
	for i := range x {
		if !(mag[i] < cut) || x[i] < float64(wx)-0.5 || x[i] >= float64(wx+size)-0.5 || y[i] < float64(wy)-0.5 || y[i] >= float64(wy+size)-0.5 {
			continue
		}
		n++
		hasAny, hasClose := false, false
		for j := range x {
			if j != i && math.Hypot(x[j]-x[i], y[j]-y[i]) < 2 {
				hasAny = true
				hasClose = hasClose || mag[j] < mag[i]+2
			}
		}
		if hasAny {
			a++
		}
		if hasClose {
			c++
		}
	}
	return float64(a) / float64(n), float64(c) / float64(n)
}

// snr is the S/N of an isolated star of flux f (DN) fitted with its position known (the
// PSF-weighted, optimal estimate), averaged over 4×4 sub-pixel phases: S/N² = Σ (f pᵢ)² / σᵢ²
// with σᵢ² = (sky + f pᵢ)/gain + rn² in DN².
func snr(p *psf.PSF, f, sky, gain, rn float64) float64 {
	sum := 0.0
	for j := range 4 {
		for i := range 4 {
			s2 := 0.0
			for _, v := range p.Stamp(float64(i)/4, float64(j)/4) {
				s2 += f * v * f * v / ((sky+math.Max(f*v, 0))/gain + rn*rn)
			}
			sum += math.Sqrt(s2)
		}
	}
	return sum / 16
}

// fluxAtSNR returns the flux whose snr is target (bisection in log flux).
func fluxAtSNR(p *psf.PSF, target, sky, gain, rn float64) float64 {
	lo, hi := 1e-3, 1e9
	for range 100 {
		mid := math.Sqrt(lo * hi)
		if snr(p, mid, sky, gain, rn) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Sqrt(lo * hi)
}

// diag formats an R-hat and ESS pair (run.json writes −1 for a value it could not compute).
func diag(d pipeline.Diag) string { return fmt.Sprintf("%.3f / %.0f", d.RHat, d.ESS) }

// ff formats a flag value.
func ff(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
