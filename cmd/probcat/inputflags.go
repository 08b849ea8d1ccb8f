package main

import (
	"fmt"
	"strings"
)

// checkInputFlags refuses the input-specific flags that do not apply to the chosen input, so
// that a flag is never silently ignored: --psfield, --radec, --bands, --colour-prior and
// --colour-spread belong to --sdss frames, --cutout to FITS images and --sdss frames, and --pix to PCAT text
// images (IMAGE ending in .txt). imagePath is IMAGE, or "" for --sdss.
func (f *sampleFlags) checkInputFlags(imagePath string) error {
	if f.sdssFrame == "" {
		if f.cutout != "" && strings.HasSuffix(imagePath, ".txt") {
			return fmt.Errorf("--cutout applies to FITS images and SDSS frames, not to the PCAT text image %s", imagePath)
		}
		colour, spread := "", ""
		if f.colourPrior != "0,1" {
			colour = f.colourPrior
		}
		if f.colourSpread != 0 {
			spread = fmt.Sprint(f.colourSpread)
		}
		for _, fl := range []struct{ name, value string }{
			{"psfield", f.psField}, {"radec", f.radec}, {"bands", f.bands}, {"colour-prior", colour}, {"colour-spread", spread},
		} {
			if fl.value != "" {
				return fmt.Errorf("--%s applies only to SDSS frames (--sdss FRAME), not to %s", fl.name, imagePath)
			}
		}
	}
	if f.pix != "" {
		if f.sdssFrame != "" {
			return fmt.Errorf("--pix applies only to PCAT text images (*_cts.txt), not to the SDSS frame %s", f.sdssFrame)
		}
		if !strings.HasSuffix(imagePath, ".txt") {
			return fmt.Errorf("--pix applies only to PCAT text images (*_cts.txt), not to %s", imagePath)
		}
	}
	return nil
}
