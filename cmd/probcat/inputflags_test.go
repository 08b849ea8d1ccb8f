package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInputSpecificFlagsRefused checks that a flag that does not apply to the chosen input is
// an error (exit 2, one line naming the flag), not silently ignored.
func TestInputSpecificFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	simulateSmall(t, filepath.Join(dir, "sim"))
	img := filepath.Join(dir, "sim", "image.fits")
	for what, c := range map[string]struct {
		flag string
		args []string
	}{
		"--cutout with a PCAT image": {"--cutout", []string{"x_cts.txt", "--pix", "x_pix.txt", "--cutout", "0,0,10,10"}},
		"--cutout outside the image": {"--cutout", []string{img, "--cutout", "90,0,1000,10"}},
		"--exptime, not HST":         {"--exptime", []string{img, "--exptime", "100"}},
		"--radec without --sdss":     {"--radec", []string{img, "--radec", "1,2,10,10"}},
		"--psfield without --sdss":   {"--psfield", []string{img, "--psfield", "psField-x.fit"}},
		"--pix with a FITS image":    {"--pix", []string{img, "--pix", "x_pix.txt"}},
		"--pix with an SDSS frame":   {"--pix", []string{"--sdss", "frame.fits.bz2", "--psfield", "p.fit", "--pix", "x_pix.txt"}},
		"--cutout outside, in plan":  {"--cutout", nil},
	} {
		cmd := "sample"
		args := c.args
		if args == nil {
			cmd, args = "plan", []string{img, "--cutout", "0,0,10,10000"}
		}
		out := filepath.Join(dir, "out-"+strings.NewReplacer(" ", "-", ",", "").Replace(what))
		code, _, e := probcat(t, append(append([]string{cmd}, args...), "--out", out, "--samples", "1", "--burn-in", "0", "--proposals", "1", "--quiet")...)
		if code != 2 || !strings.Contains(e, c.flag) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want 2 and one line naming %s", what, code, e, c.flag)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder %s left behind", what, out)
		}
	}
}
