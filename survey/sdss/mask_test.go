package sdss

import (
	"math"
	"strings"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// The real r-band fpM mask: plane sizes, and masked pixels where the frame shows saturation
// and interpolation. (Every mask's spans are also checked against its npix while reading.)
func TestMaskM2(t *testing.T) {
	m, err := ReadMask(shareddata.Path(t, dataDir+"fpM-002583-r2-0136.fit.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Width != 2048 || m.Height != 1489 || len(m.Planes) != 10 {
		t.Fatalf("mask %d×%d with %d planes", m.Width, m.Height, len(m.Planes))
	}
	whole := Box{0, 0, m.Width, m.Height}
	plane := func(name string) []bool {
		b, err := m.In(whole, name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sat, interp, cr := plane("SATUR"), plane("INTERP"), plane("cr")
	// Pixel counts of the planes (the span tables hold 249 SATUR, 412 INTERP and 223 CR masks).
	for name, want := range map[string]int{"SATUR": 6703, "INTERP": 33370, "CR": 1158, "GHOST": 0} {
		if n := count(plane(name)); n != want {
			t.Errorf("plane %s covers %d pixels, want %d", name, n, want)
		}
	}
	def, err := m.In(whole)
	if err != nil {
		t.Fatal(err)
	}
	union := 0
	for i := range def {
		if sat[i] || interp[i] || cr[i] {
			union++
		}
	}
	if count(def) != union {
		t.Errorf("default planes mask %d pixels, INTERP ∪ SATUR ∪ CR is %d", count(def), union)
	}
	// PCAT's cutout has no masked pixel (PROVENANCE.md: none is saturated).
	if b, err := m.In(m2Box); err != nil || count(b) != 0 {
		t.Errorf("%d masked pixels in PCAT's cutout (%v)", count(b), err)
	}

	fr := readM2Frame(t)
	var all, satv []float64
	for i, s := range sat {
		if i%7 == 0 {
			all = append(all, fr.Counts(i%fr.Width, i/fr.Width))
		}
		if s {
			satv = append(satv, fr.Counts(i%fr.Width, i/fr.Width))
		}
	}
	// Saturated pixels lie on the brightest stars (most were then interpolated over, so they
	// do not sit at the saturation level).
	if med, hi := percentile(all, 50), percentile(satv, 50); hi < 10*med {
		t.Errorf("SATUR pixels have median %.0f counts, the frame %.0f", hi, med)
	}
	both := 0
	for i := range sat {
		if sat[i] && interp[i] {
			both++
		}
	}
	if both < count(sat)*8/10 {
		t.Errorf("only %d of %d SATUR pixels are also INTERP", both, count(sat))
	}
	// One-column INTERP spans (bad columns) were interpolated along the row, so they lie much
	// closer to the mean of their neighbours than unmasked pixels two columns away do.
	var dm, dc []float64
	for _, s := range m.Planes["INTERP"] {
		if s.X1 != s.X2 || s.X1 < 1 || s.X1+3 >= fr.Width || sat[s.Y*fr.Width+s.X1] {
			continue
		}
		dev := func(x int) float64 {
			l, r := fr.Counts(x-1, s.Y), fr.Counts(x+1, s.Y)
			return math.Abs(fr.Counts(x, s.Y)-(l+r)/2) / math.Sqrt(math.Max((l+r)/2, 1)/4.6+1)
		}
		dm, dc = append(dm, dev(s.X1)), append(dc, dev(s.X1+2))
	}
	t.Logf("%d one-column INTERP pixels: median |pixel − neighbour mean| %.2fσ, control %.2fσ", len(dm), percentile(dm, 50), percentile(dc, 50))
	if len(dm) < 1000 || percentile(dm, 50) > 0.6*percentile(dc, 50) {
		t.Errorf("INTERP pixels are not smoother than their neighbours: %.2fσ vs %.2fσ", percentile(dm, 50), percentile(dc, 50))
	}

	if _, err := m.In(m2Box, "NOSUCH"); err == nil || !strings.Contains(err.Error(), "NOSUCH") {
		t.Errorf("unknown plane: %v", err)
	}
}

func TestMaskIn(t *testing.T) {
	m := &Mask{Width: 10, Height: 10, Planes: map[string][]Span{
		"SATUR":  {{Y: 2, X1: 1, X2: 4}},
		"CR":     {{Y: 3, X1: 0, X2: 9}},
		"INTERP": nil,
	}}
	b, err := m.In(Box{X0: 2, Y0: 2, W: 3, H: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{
		true, true, true,
		true, true, true,
		false, false, false,
	}
	for i := range want {
		if b[i] != want[i] {
			t.Fatalf("mask %v, want %v", b, want)
		}
	}
}

func TestMaskErrors(t *testing.T) {
	frame := shareddata.Path(t, dataDir+"psField-002583-2-0136.fit")
	if _, err := ReadMask(frame); err == nil || !strings.Contains(err.Error(), frame) {
		t.Errorf("psField read as a mask: %v", err)
	}
	if _, err := ReadMask("/nonexistent/fpM.fit"); err == nil || !strings.Contains(err.Error(), "/nonexistent/fpM.fit") {
		t.Errorf("missing file: %v", err)
	}
}
