package survey

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

func TestPCATImageM2(t *testing.T) {
	cts := shareddata.Path(t, "m2-pcat-cutout/sdss.0921_cts.txt")
	pix := shareddata.Path(t, "m2-pcat-cutout/sdss.0921_pix.txt")
	im, err := PCATImage(cts, pix)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 100 || im.Height != 100 || im.Bias != 1044 || im.Gain != 4.62 || im.HasZeroPoint {
		t.Fatalf("got %d×%d bias %g gain %g zp %v", im.Width, im.Height, im.Bias, im.Gain, im.HasZeroPoint)
	}
	// PROVENANCE.md: range 1210..28050 ADU, first value 1503.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range im.Pix {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo != 1210 || hi != 28050 || im.Pix[0] != 1503 {
		t.Errorf("range %g..%g first %g, want 1210..28050 and 1503", lo, hi, im.Pix[0])
	}
	im, err = PCATImage(cts, shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-pixr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 22.5 + 2.5*math.Log10(1/0.00546689); math.Abs(im.ZeroPoint-want) > 1e-9 {
		t.Errorf("zero point %g, want %g", im.ZeroPoint, want)
	}
}

func TestPCATImageErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pix := write("pix.txt", "2 2 1\n1000 4\n")
	for name, tc := range map[string]struct{ cts, pix string }{
		"short image": {write("a.txt", "1 2\n3\n"), pix},
		"not numbers": {write("b.txt", "1 x\n3 4\n"), pix},
		"bad gain":    {write("c.txt", "1 2\n3 4\n"), write("p2.txt", "2 2 1\n1000 0\n")},
		"missing":     {filepath.Join(dir, "nope.txt"), pix},
	} {
		if _, err := PCATImage(tc.cts, tc.pix); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := PCATImage(write("ok.txt", "1 2\n3 4\n"), pix); err != nil {
		t.Errorf("valid input: %v", err)
	}
}
