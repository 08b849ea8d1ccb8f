package sampler

import (
	"reflect"
	"testing"
)

// TestMaxSourcesExactWithParallelRegions runs a crowded field with a cap far below the number
// of sources it holds, on one and on four threads: no sample may exceed the cap (with the cap
// checked against the count at the start of each pass, every region could add up to the slack
// at once), the refusals must be counted, and the samples must not depend on the threads.
func TestMaxSourcesExactWithParallelRegions(t *testing.T) {
	img, truth, kind := testField(t, 80, 70, 0.05, 9)
	const maxN = 12
	if truth.Len() < 10*maxN {
		t.Fatalf("field has %d sources, want many more than the cap %d", truth.Len(), maxN)
	}
	run := func(threads int) []Sample {
		cfg := smallRun(threads, 1)
		cfg.MaxSources = maxN
		cfg.Proposals = 10
		cfg.BurnIn, cfg.Samples = 0, 12
		return runAll(t, img, kind, cfg)
	}
	ref := run(1)
	refused := int64(0)
	for _, s := range ref {
		if n := s.Catalogue.Len(); n > maxN {
			t.Errorf("sample %d has %d sources, above the cap %d", s.Index, n, maxN)
		}
		refused += s.CapRefusals
	}
	if ref[len(ref)-1].Catalogue.Len() < maxN/2 {
		t.Errorf("the chain reached only %d sources: the cap was not put to the test", ref[len(ref)-1].Catalogue.Len())
	}
	if refused == 0 {
		t.Error("the cap bound (the field holds far more sources) but no refusal was counted")
	}
	got := run(4)
	for i := range ref {
		if !reflect.DeepEqual(ref[i], got[i]) {
			t.Fatalf("sample %d differs between 1 and 4 threads", i)
		}
	}
}
