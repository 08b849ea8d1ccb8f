package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/internal/shareddata"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/survey"
)

// TestSimulateTruth renders a given catalogue with an STDPSF grid, the image placed at a
// detector origin: the image carries the placement and chip cards, truth.parquet keeps the
// stars centred on the image in the catalogue's frame, and their light is all there.
func TestSimulateTruth(t *testing.T) {
	grid := shareddata.Path(t, "hst-stdpsf-acswfc/STDPSF_ACSWFC_F606W_SM4.fits")
	dir := t.TempDir()
	cat := filepath.Join(dir, "cat.txt")
	// two stars on the 48×40 image at detector (1000, 2000), one 2 px off its left edge
	if err := os.WriteFile(cat, []byte("1020.25 2019.5 50000\n1030 2010 20000\n998 2020 30000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sim")
	code, _, e := probcat(t, "simulate", "--truth", cat, "--psf", grid, "--chip", "1", "--origin", "1000,2000",
		"--width", "48", "--height", "40", "--gain", "2", "--bias", "0", "--background", "5", "--read-noise", "2", "--out", out)
	if code != 0 {
		t.Fatalf("simulate --truth: exit %d: %s", code, e)
	}
	im, h, err := survey.ReadFITS(filepath.Join(out, "image.fits"))
	if err != nil {
		t.Fatal(err)
	}
	if chip, err := h.Int("CCDCHIP"); err != nil || chip != 1 || im.X0 != 1000 || im.Y0 != 2000 || im.Gain != 2 || im.Background != 5 {
		t.Errorf("image: CCDCHIP %d (%v), origin (%d, %d), gain %g, sky %g", chip, err, im.X0, im.Y0, im.Gain, im.Background)
	}
	s, _, err := catalogue.ReadEstimates(filepath.Join(out, "truth.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if tr := s[0]; tr.Len() != 2 || tr.X[0] != 1020.25 || tr.Y[0] != 2019.5 || tr.Flux[1] != 20000 {
		t.Errorf("truth %+v, want the two stars centred on the image, in the detector frame", tr)
	}
	light := 0.0
	for _, v := range im.Pix {
		light += float64(v) - 5
	}
	// the two stars (70000) and the off-edge star's wing (up to half of its 30000)
	if light < 69000 || light > 86000 {
		t.Errorf("%g counts of starlight on the image, want 70000 plus part of 30000", light)
	}
	// a two-chip grid needs --chip
	out2 := filepath.Join(dir, "no-chip")
	if code, _, e := probcat(t, "simulate", "--truth", cat, "--psf", grid, "--out", out2); code != 2 || !strings.Contains(e, "--chip") {
		t.Errorf("two-chip grid without --chip: exit %d, %q", code, e)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("two-chip grid without --chip: output folder left behind")
	}
}

// TestSimulateTruthBadInput: each bad --truth run exits 2 with one line naming the problem
// (the file where there is one) and leaves no output folder.
func TestSimulateTruthBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.txt", "5 5 1000\n")
	nan := write("nan.txt", "5 5 nan\n")
	neg := write("neg.txt", "5 5 -10\n")
	empty := write("empty.txt", "")
	for what, c := range map[string]struct {
		args []string
		want string
	}{
		"missing catalogue": {[]string{"--truth", filepath.Join(dir, "no-such.txt")}, "no-such.txt"},
		"NaN flux":          {[]string{"--truth", nan}, "nan.txt"},
		"negative flux":     {[]string{"--truth", neg}, "neg.txt"},
		"empty catalogue":   {[]string{"--truth", empty}, "empty.txt"},
		"density and truth": {[]string{"--truth", good, "--density", "0.1"}, "--density"},
		"chip without grid": {[]string{"--truth", good, "--chip", "1"}, "--chip"},
		"origin not whole":  {[]string{"--truth", good, "--origin", "1.5,2"}, "--origin"},
		"origin negative":   {[]string{"--truth", good, "--origin", "-1,2"}, "--origin"},
		"origin no truth":   {[]string{"--origin", "1,2"}, "--origin"},
		"bad gain":          {[]string{"--truth", good, "--gain", "0"}, "gain"},
	} {
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(what, " ", "-"))
		code, _, e := probcat(t, append([]string{"simulate", "--out", out}, c.args...)...)
		if code != 2 || !strings.Contains(e, c.want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line naming %s", what, code, e, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder %s left behind", what, out)
		}
	}
}

// TestSimulateBroken draws a field from a broken power law: the image records the break and
// both slopes, the fluxes follow the law (the share below the break is its CDF there, within
// binomial noise), and the bad combinations exit 2 without output.
func TestSimulateBroken(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sim")
	code, _, e := probcat(t, "simulate", "--out", out, "--width", "120", "--height", "120", "--density", "0.1",
		"--fmin", "100", "--slope", "1.2", "--break", "500", "--slope-bright", "2.8", "--seed", "4")
	if code != 0 {
		t.Fatalf("simulate --break: exit %d: %s", code, e)
	}
	_, h, err := survey.ReadFITS(filepath.Join(out, "image.fits"))
	if err != nil {
		t.Fatal(err)
	}
	brk, err1 := h.Float("FBREAK")
	s2, err2 := h.Float("FSLOPE2")
	if err1 != nil || err2 != nil || brk != 500 || s2 != 2.8 {
		t.Errorf("FBREAK %g (%v), FSLOPE2 %g (%v); want 500 and 2.8", brk, err1, s2, err2)
	}
	s, _, err := catalogue.ReadEstimates(filepath.Join(out, "truth.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	n, below := s[0].Len(), 0
	for _, f := range s[0].Flux {
		if f < 100 {
			t.Fatalf("flux %g below f_min", f)
		}
		if f < 500 {
			below++
		}
	}
	p := (model.FluxPrior{Min: 100, Slope: 1.2, Break: 500, SlopeBright: 2.8}).CDF(500)
	if sd := math.Sqrt(float64(n) * p * (1 - p)); math.Abs(float64(below)-p*float64(n)) > 4*sd {
		t.Errorf("%d of %d fluxes below the break, want %.0f ± %.0f", below, n, p*float64(n), sd)
	}
	for _, args := range [][]string{
		{"--slope-bright", "2"},                   // without --break
		{"--break", "50"},                         // below f_min
		{"--break", "500", "--slope-bright", "1"}, // improper bright end
	} {
		o := filepath.Join(dir, "bad")
		code, _, e := probcat(t, append([]string{"simulate", "--out", o}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("simulate %v: exit %d, %q; want 2 and one line", args, code, e)
		}
		if _, err := os.Stat(o); err == nil {
			t.Errorf("simulate %v: output folder left behind", args)
		}
	}
}
