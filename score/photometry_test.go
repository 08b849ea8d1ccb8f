package score

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/probcat/probcat/catalogue"
)

// TestPhotometry recovers a known bias and scatter of the estimated magnitudes, bin by bin,
// from an ensemble whose sources are the truth shifted by 0.1 mag (plus 0.05 mag of Gaussian
// noise) in the bright bin and by −0.2 mag in the faint one, with decoys too far to match.
func TestPhotometry(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const zp = 25
	var tx, ty, tf []float64
	for i := 0; i < 400; i++ {
		tx = append(tx, 10+float64(i%20)*10)
		ty = append(ty, 10+float64(i/20)*10)
		m := 20.1 + 0.3*rng.Float64()
		if i%2 == 1 {
			m = 21.1 + 0.3*rng.Float64()
		}
		tf = append(tf, math.Pow(10, -0.4*(m-zp)))
	}
	truth := NewReference(tx, ty, tf, zp)
	var samples []catalogue.Sample
	for s := 0; s < 5; s++ {
		var sa catalogue.Sample
		for i := range tx {
			d := 0.1 + 0.05*rng.NormFloat64()
			if i%2 == 1 {
				d = -0.2
			}
			sa.X = append(sa.X, tx[i]+0.1, tx[i]+3)
			sa.Y = append(sa.Y, ty[i]-0.1, ty[i])
			sa.Flux = append(sa.Flux, tf[i]*math.Pow(10, -0.4*d), tf[i])
		}
		samples = append(samples, sa)
	}
	r, _ := RuleByName("pcat")
	bins, err := Photometry(truth, samples, Options{Rule: r, Frame: Frame{X0: 0, Y0: 0, W: 220, H: 220}, ZeroPoint: zp})
	if err != nil {
		t.Fatal(err)
	}
	if len(bins) != 3 || bins[0].MagLo != 20 || bins[2].MagHi != 21.5 {
		t.Fatalf("bins %+v", bins)
	}
	if b := bins[0]; b.Pairs != 1000 || math.Abs(float64(b.Bias)-0.1) > 0.01 || math.Abs(float64(b.Scatter)-0.05) > 0.007 {
		t.Errorf("bright bin: %+v, want 1000 pairs, bias 0.1, scatter 0.05", b)
	}
	if b := bins[1]; b.Pairs != 0 || !math.IsNaN(float64(b.Bias)) {
		t.Errorf("empty bin: %+v", b)
	}
	if b := bins[2]; b.Pairs != 1000 || math.Abs(float64(b.Bias)+0.2) > 1e-9 || float64(b.Scatter) > 1e-9 {
		t.Errorf("faint bin: %+v, want 1000 pairs, bias −0.2, scatter 0", b)
	}
}
