package sampler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/probcat/probcat/render"
)

// TestCheckpointRecordsKernelPath checks that a checkpoint names the kernel path it was made
// with and that restoring it under another path is refused with a message saying how to
// continue (PROBCAT_KERNEL), on real paths when this machine has several and on a path no
// machine has.
func TestCheckpointRecordsKernelPath(t *testing.T) {
	img, _, kind := testField(t, 40, 40, 0.02, 3)
	cfg := smallRun(1, 1)
	a, err := NewChain(img, kind, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	ck, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	orig := render.Path()
	if !bytes.Contains(ck[:64], []byte(orig)) {
		t.Fatalf("checkpoint does not name the kernel path %q", orig)
	}
	b, _ := NewChain(img, kind, cfg, 0)
	for _, other := range render.Paths() {
		if other == orig {
			continue
		}
		if err := render.SetPath(other); err != nil {
			t.Fatal(err)
		}
		err := b.UnmarshalBinary(ck)
		render.SetPath(orig)
		if err == nil || !strings.Contains(err.Error(), "PROBCAT_KERNEL="+orig) {
			t.Errorf("checkpoint of %s restored under %s: got %v, want a refusal naming PROBCAT_KERNEL=%s", orig, other, err, orig)
		}
	}
	// A path this machine cannot run: rewrite the name (same length) and the checksum.
	fake := append([]byte(nil), ck...)
	i := bytes.Index(fake, []byte(orig))
	copy(fake[i:], strings.Repeat("z", len(orig)))
	body := fake[:len(fake)-sha256.Size]
	sum := sha256.Sum256(body)
	copy(fake[len(body):], sum[:])
	if err := b.UnmarshalBinary(fake); err == nil || !strings.Contains(err.Error(), "cannot run") {
		t.Errorf("checkpoint of an unknown path: got %v, want a refusal", err)
	}
	if err := b.UnmarshalBinary(ck); err != nil {
		t.Errorf("same path: %v", err)
	}
}
