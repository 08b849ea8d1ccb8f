package psf

import (
	"strings"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

// realPSFs returns the PSFs read from the real data files, keyed by a name starting with
// "real:".
func realPSFs(t *testing.T) map[string]*PSF {
	t.Helper()
	out := map[string]*PSF{}
	for _, rel := range []string{"m2-pcat-cutout/sdss.0921_psf.txt"} {
		p, err := Parse(shareddata.Path(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		out["real:"+rel] = p
	}
	return out
}

func isReal(name string) bool { return strings.HasPrefix(name, "real:") }
