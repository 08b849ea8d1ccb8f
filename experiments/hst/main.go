// Command hst is issue 15 items 4 and 5 on real HST images: artificial-star tests on a
// 128×128 cutout of the NICMOS F160W bulge exposure and of the PHAT M31 F475W chunk, K
// injections each (probcat inject), catalogued by probcat plan/run-tile/merge and by a
// classical baseline (photutils iterative PSF photometry with the same effective PSF,
// photutils_baseline.py) and scored by probcat score against injected.parquet; and, on
// NICMOS, the shallow F160W catalogue scored on the sky against a catalogue of the deep F110W
// image (deep_catalogue.py). Run from the module root (README.md gives the settings and
// results):
//
//	go run ./experiments/hst [-work DIR] [-k 3] [-stars 150] [-images nicmos,phat] [-sample-flags '...'] [-reuse]
//
// It prints Markdown on stdout, writes PNG plots into -work, and its progress on stderr.
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
	"github.com/probcat/probcat/psf"
	"github.com/probcat/probcat/score"
)

// python is the interpreter that has Debian's python3-photutils.
const python = "/usr/bin/python3"

// field is one image of the experiment: its file, PSF, cutout, magnitude range of the
// injected stars and the flags its header lacks.
type field struct {
	name, file, psf, cutout string
	bright, faint           float64
	// inject and sample are extra flags of probcat inject and probcat plan.
	inject, sample []string
}

// fields returns the two images, with data the shared data folder.
func fields(data string) map[string]field {
	nic := filepath.Join(data, "hst-nicmos-bulge")
	return map[string]field{
		"nicmos": {name: "nicmos", file: filepath.Join(nic, "n8q624e8q_cal.fits"),
			psf:    filepath.Join(nic, "nic2_f160w_4xsub00.fits") + "?oversample=4&size=25",
			cutout: "80,80,128,128", bright: 19, faint: 27,
			// The ERR extension sits below the sky's Poisson σ and a bright core has negative
			// pixels with DQ = 0 (README.md): Poisson noise from the model with NICMOS's read
			// noise (≈ 30 e⁻ = 5.6 DN), and a 3 % model error near bright cores.
			sample: []string{"--noise", "model", "--read-noise", "5.6", "--model-error", "0.03", "--model-error-radius", "6"}},
		// The PHAT chunk has no calibration cards: gain 1 and read noise 790 (its pixel noise,
		// PROVENANCE.md), and an instrumental zero point of 30 for its counts.
		"phat": {name: "phat", file: filepath.Join(data, "hst-m31-phat-b09", "M31-B09-EAST_chunk_F475W_drz.chip1.fits"),
			psf:    filepath.Join(data, "hst-tinytim-psfs", "acs_wfc_f475w.fits") + "?size=25",
			cutout: "400,400,128,128", bright: 16, faint: 22.5,
			inject: []string{"--gain", "1", "--zero-point", "30"},
			sample: []string{"--gain", "1", "--read-noise", "790", "--zero-point", "30"}},
	}
}

// options are the command-line settings.
type options struct {
	work, images, sampleFlags string
	k, stars, tile, threads   int
	threshold                 float64
	reuse, deep               bool
}

func main() {
	var o options
	flag.StringVar(&o.work, "work", "", "folder for the images and runs (default: a new temporary folder, kept)")
	flag.StringVar(&o.images, "images", "nicmos,phat", "images to test: nicmos, phat")
	flag.StringVar(&o.sampleFlags, "sample-flags", "", "extra probcat plan flags, space-separated (default: none, the sampler's defaults)")
	flag.IntVar(&o.k, "k", 3, "injections per image (seeds 1..K); seed 0 is the image without injections")
	flag.IntVar(&o.stars, "stars", 150, "stars per injection")
	flag.IntVar(&o.tile, "tile", 64, "probcat plan --tile")
	flag.IntVar(&o.threads, "threads", 1, "probcat run-tile --threads")
	flag.Float64Var(&o.threshold, "threshold", 3, "photutils DAOStarFinder threshold, in σ of the pixel noise")
	flag.BoolVar(&o.reuse, "reuse", false, "keep the runs of -work that finished and only score them again")
	flag.BoolVar(&o.deep, "deep", true, "NICMOS: score the shallow catalogue against the deep F110W image's (item 5)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "hst:", err)
		os.Exit(2)
	}
}

// execute runs a command and returns its standard output; its stderr passes through.
func execute(name string, args ...string) ([]byte, error) {
	return runcmd.Output("hst", name, args...)
}

// timed runs a command under /usr/bin/time and returns its user + system CPU seconds.
func timed(name string, args ...string) (float64, error) {
	f, err := os.CreateTemp("", "hst-time-")
	if err != nil {
		return 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	if _, err := execute("/usr/bin/time", append([]string{"-f", "%U %S", "-o", f.Name(), name}, args...)...); err != nil {
		return 0, err
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return 0, err
	}
	var u, s float64
	if _, err := fmt.Sscanf(string(b), "%g %g", &u, &s); err != nil {
		return 0, fmt.Errorf("reading /usr/bin/time's output %q: %v", b, err)
	}
	return u + s, nil
}

// scoreOut is probcat score's JSON: the score and the photometry of the matched pairs.
type scoreOut struct {
	score.Score
	Photometry []score.PhotometryBin `json:"photometry"`
}

// method is one cataloguer's results on one image: the scores of seeds 1..K, and of the
// image without injections (seed 0) against each injection's stars (chance matches).
type method struct {
	name   string
	scores []scoreOut
	chance []scoreOut
	cpu    []float64
}

func run(o options) error {
	var err error
	if o.work, err = runcmd.WorkDir("hst", o.work); err != nil {
		return err
	}
	bin := filepath.Join(o.work, "probcat")
	if _, err := execute("go", "build", "-o", bin, "./cmd/probcat"); err != nil {
		return err
	}
	script, err := filepath.Abs(filepath.Join("experiments", "hst", "photutils_baseline.py"))
	if err != nil {
		return err
	}
	data := shareddata.Dir()
	all := fields(data)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("Load at start: %s. Sampler flags: %s.\n", strings.TrimSpace(string(load)), orDefault(o.sampleFlags))
	for _, name := range strings.Split(o.images, ",") {
		f, ok := all[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("unknown image %q (want nicmos or phat)", name)
		}
		if err := runField(o, f, bin, script); err != nil {
			return err
		}
	}
	if o.deep && strings.Contains(o.images, "nicmos") {
		return deep(o, all["nicmos"], bin)
	}
	return nil
}

// orDefault names empty sampler flags.
func orDefault(s string) string {
	if s == "" {
		return "the defaults"
	}
	return "`" + s + "`"
}

// runField injects, catalogues and scores one image, and prints its tables and plots.
func runField(o options, f field, bin, script string) error {
	dir := filepath.Join(o.work, f.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The same effective PSF for photutils as probcat samples with.
	p, err := psf.Parse(f.psf)
	if err != nil {
		return err
	}
	psfPath := filepath.Join(dir, "psf-effective.fits")
	if err := p.WriteFITS(psfPath); err != nil {
		return err
	}
	var zp float64
	pc, ph := &method{name: "probcat"}, &method{name: "photutils"}
	for seed := 0; seed <= o.k; seed++ {
		s := strconv.Itoa(seed)
		img := f.file
		if seed > 0 {
			ast := filepath.Join(dir, "ast-"+s)
			args := append([]string{"inject", f.file, "--psf", f.psf, "--cutout", f.cutout, "--stars", strconv.Itoa(o.stars),
				"--mag-range", ff(f.bright) + "," + ff(f.faint), "--seed", s, "--out", ast}, f.inject...)
			if _, err := execute(bin, args...); err != nil {
				return err
			}
			var set struct {
				ZeroPoint float64 `json:"zero_point"`
			}
			b, err := os.ReadFile(filepath.Join(ast, "inject.json"))
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &set); err != nil {
				return err
			}
			zp = set.ZeroPoint
			img = filepath.Join(ast, "image.fits")
		}
		runDir := filepath.Join(dir, "run-"+s)
		cpuFile := filepath.Join(dir, "cpu-"+s+".txt")
		if _, err := os.Stat(filepath.Join(runDir, "catalogue.parquet")); err != nil || !o.reuse {
			cpu, err := sample(o, f, bin, img, runDir, seed)
			if err != nil {
				return err
			}
			if err := os.WriteFile(cpuFile, []byte(ff(cpu)), 0o644); err != nil {
				return err
			}
		}
		photPath := filepath.Join(dir, "photutils-"+s+".txt")
		photCPU := filepath.Join(dir, "photutils-cpu-"+s+".txt")
		if _, err := os.Stat(photPath); err != nil || !o.reuse {
			cpu, err := timed(python, script, img, psfPath, photPath, f.cutout, ff(o.threshold))
			if err != nil {
				return err
			}
			if err := os.WriteFile(photCPU, []byte(ff(cpu)), 0o644); err != nil {
				return err
			}
		}
		for _, m := range []struct {
			m        *method
			cat, cpu string
		}{{pc, filepath.Join(runDir, "catalogue.parquet"), cpuFile}, {ph, photPath, photCPU}} {
			b, err := os.ReadFile(m.cpu)
			if err != nil {
				return err
			}
			c, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			m.m.cpu = append(m.m.cpu, c)
			if seed == 0 {
				continue // scored below, against each injection's stars
			}
			sc, err := runScore(bin, m.cat, filepath.Join(dir, "ast-"+s, "injected.parquet"), zp, f.cutout)
			if err != nil {
				return err
			}
			m.m.scores = append(m.m.scores, sc)
			orig := filepath.Join(dir, "run-0", "catalogue.parquet")
			if m.m == ph {
				orig = filepath.Join(dir, "photutils-0.txt")
			}
			ch, err := runScore(bin, orig, filepath.Join(dir, "ast-"+s, "injected.parquet"), zp, f.cutout)
			if err != nil {
				return err
			}
			m.m.chance = append(m.m.chance, ch)
		}
	}
	return report(o, f, dir, zp, pc, ph)
}

// sample runs probcat plan, run-tile for every tile and merge on img's cutout into runDir and
// returns the CPU seconds of the run-tile processes.
func sample(o options, f field, bin, img, runDir string, seed int) (float64, error) {
	if err := os.RemoveAll(runDir); err != nil {
		return 0, err
	}
	args := []string{"plan", img, "--psf", f.psf, "--cutout", f.cutout, "--tile", strconv.Itoa(o.tile),
		"--seed", strconv.Itoa(seed + 1), "--out", runDir}
	args = append(append(args, f.sample...), strings.Fields(o.sampleFlags)...)
	if _, err := execute(bin, args...); err != nil {
		return 0, err
	}
	var m struct {
		Tiles []json.RawMessage `json:"tiles"`
	}
	b, err := os.ReadFile(filepath.Join(runDir, "manifest.json"))
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, err
	}
	total := 0.0
	for i := range m.Tiles {
		c, err := timed(bin, "run-tile", runDir, "--index", strconv.Itoa(i), "--threads", strconv.Itoa(o.threads), "--quiet")
		if err != nil {
			return 0, err
		}
		total += c
	}
	_, err = execute(bin, "merge", runDir, "--quiet")
	return total, err
}

// runScore runs probcat score with PCAT's rule (0.75 px, 0.5 mag) on the cutout.
func runScore(bin, cat, truth string, zp float64, frame string) (scoreOut, error) {
	var sc scoreOut
	js, err := execute(bin, "score", cat, "--truth", truth, "--zero-point", ff(zp), "--rule", "pcat", "--frame", frame)
	if err != nil {
		return sc, err
	}
	if err := json.Unmarshal(js, &sc); err != nil {
		return sc, fmt.Errorf("probcat score output: %v", err)
	}
	return sc, nil
}

// ff formats a flag value.
func ff(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }

// nan is a missing value.
var nan = math.NaN()
