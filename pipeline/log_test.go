package pipeline

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/probcat/probcat/catalogue"
	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/sampler"
)

// TestRecordHyperparameters checks that a sample log record keeps the hyperparameters and the
// background's coefficients through a round trip, NaN where the sample's priors have none,
// and that records of the previous layouts are refused with a message saying so.
func TestRecordHyperparameters(t *testing.T) {
	cat := &model.Catalogue{X: []float64{1, 2}, Y: []float64{3, 4}, Flux: []float64{300, 900}}
	broken := sampler.Sample{Chain: 1, Index: 5, Catalogue: cat, LogLike: -10, LogPrior: -3, Background: 179, Density: 0.02,
		FluxPrior: model.FluxPrior{Min: 250, Slope: 1.5, Break: 1000, SlopeBright: 2.5}}
	penalty := sampler.Sample{Chain: 0, Index: 2, Catalogue: cat, Background: 179, FluxPrior: model.FluxPrior{Min: 250, Slope: 2},
		Sky: []float64{179.5, -3, 2}}
	for _, c := range []struct {
		s    sampler.Sample
		want catalogue.Hyper
	}{
		{broken, catalogue.Hyper{Density: 0.02, FluxSlope: 1.5, FluxBreak: 1000, FluxSlopeBright: 2.5}},
		{penalty, catalogue.Hyper{Density: math.NaN(), FluxSlope: 2, FluxBreak: math.NaN(), FluxSlopeBright: math.NaN()}},
	} {
		r := newRecord(c.s, c.s.Index)
		var buf bytes.Buffer
		if err := writeRecord(&buf, &r); err != nil {
			t.Fatal(err)
		}
		got, err := readRecord(&buf)
		if err != nil {
			t.Fatal(err)
		}
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		h := got.Hyper
		if !same(h.Density, c.want.Density) || !same(h.FluxSlope, c.want.FluxSlope) || !same(h.FluxBreak, c.want.FluxBreak) ||
			!same(h.FluxSlopeBright, c.want.FluxSlopeBright) {
			t.Errorf("hyperparameters %+v, want %+v", h, c.want)
		}
		if !reflect.DeepEqual(got.Flux, r.Flux) || got.Background != 179 || !reflect.DeepEqual(got.Sky, c.s.Sky) {
			t.Errorf("record %+v does not round-trip", got)
		}
	}
	for _, magic := range []uint64{0x70636c32, 0x70636c33} {
		var old bytes.Buffer
		binary.Write(&old, binary.LittleEndian, []uint64{magic, 0, 0, 0, 0, 0})
		if _, err := readRecord(&old); err == nil || !strings.Contains(err.Error(), "older probcat") {
			t.Errorf("record of layout %x: got %v", magic, err)
		}
	}
}
