package survey

import (
	"archive/zip"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

func readPCATTruth(t *testing.T) *Reference {
	t.Helper()
	r, err := ReadPCATTruth(shareddata.Path(t, "m2-pcat-cutout/sdss.0921_tru.txt"), M2NMGY["r"])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReferenceCounts(t *testing.T) {
	gri, err := ReadDAOPHOT(shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-tru.txt"), DAOPHOTGRI, M2NMGY)
	if err != nil {
		t.Fatal(err)
	}
	riz, err := ReadDAOPHOT(shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-tru_3_riz1.txt"), DAOPHOTRIZ, M2NMGY)
	if err != nil {
		t.Fatal(err)
	}
	npy, err := ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npy"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	npz, err := ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npz"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		r    *Reference
		want int
	}{"sdss.0921_tru.txt": {readPCATTruth(t), 6048}, "true_hubble_m2.npy": {npy, 1118}, "true_hubble_m2.npz": {npz, 1114}, "DAOPHOT gri": {gri, 356}, "DAOPHOT riz": {riz, 356}} {
		r := c.r
		if r.Len() != c.want || len(r.Mag) != c.want || len(r.Y) != c.want || r.Band != "r" {
			t.Errorf("%s: %d stars (%d magnitudes), want %d", name, r.Len(), len(r.Mag), c.want)
		}
	}
	// The two DAOPHOT files hold the same stars at x and x + 1; with the documented offsets
	// they agree, and z comes only from the second.
	for i := range gri.X {
		if math.Abs(gri.X[i]-riz.X[i]) > 1e-9 || gri.Y[i] != riz.Y[i] || gri.Flux[i] != riz.Flux[i] {
			t.Fatalf("star %d: gri (%g, %g, %g), riz (%g, %g, %g)", i, gri.X[i], gri.Y[i], gri.Flux[i], riz.X[i], riz.Y[i], riz.Flux[i])
		}
	}
	if gri.X[0] != 72.05 || math.Abs(gri.Y[0]-(0.092-1)) > 1e-9 {
		t.Errorf("first DAOPHOT star at (%g, %g), want (72.05, −0.908)", gri.X[0], gri.Y[0])
	}
	if len(riz.Mags["z"]) != 356 || gri.Mags["z"] != nil || len(gri.Mags["g"]) != 356 {
		t.Errorf("bands: gri has %v, riz has %v", keys(gri.Mags), keys(riz.Mags))
	}
	// PROVENANCE.md: DAOPHOT r runs 14.9..21.4, median r−i 0.10, median g−r 0.375.
	lo, hi := slices.Min(gri.Mag), slices.Max(gri.Mag)
	ri, gr := make([]float64, 356), make([]float64, 356)
	for i := range ri {
		ri[i] = gri.Mag[i] - gri.Mags["i"][i]
		gr[i] = gri.Mags["g"][i] - gri.Mag[i]
	}
	if math.Abs(lo-14.948) > 1e-3 || math.Abs(hi-21.374) > 1e-3 || math.Abs(median(ri)-0.103) > 1e-3 || math.Abs(median(gr)-0.375) > 1e-3 {
		t.Errorf("DAOPHOT r %.3f..%.3f, median r−i %.3f, g−r %.3f", lo, hi, median(ri), median(gr))
	}
}

func keys(m map[string][]float64) []string {
	var k []string
	for b := range m {
		k = append(k, b)
	}
	slices.Sort(k)
	return k
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// sdss.0921_tru.txt and the .npy truth list the same HST stars at the same positions (the
// .npy keeps the 1118 brighter than 1000 e−), with .npy magnitudes 0.10–0.20 mag fainter.
func TestReferenceHSTAgree(t *testing.T) {
	tru := readPCATTruth(t)
	npy, err := ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npy"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	// Spot check: the brightest HST star, (58.885, 30.680), 183088 ADU, r = 14.999.
	b := 0
	for i, f := range tru.Flux {
		if f > tru.Flux[b] {
			b = i
		}
	}
	if math.Abs(tru.X[b]-58.8852) > 1e-4 || math.Abs(tru.Y[b]-30.6799) > 1e-4 || math.Abs(tru.Mag[b]-14.999) > 1e-3 {
		t.Errorf("brightest star (%g, %g) r = %g", tru.X[b], tru.Y[b], tru.Mag[b])
	}
	if lo, hi := slices.Min(tru.X), slices.Max(tru.X); lo < -0.5 || hi > 99.5 {
		t.Errorf("x range %g..%g, want within −0.5..99.5", lo, hi)
	}
	var worst float64
	var dmag []float64
	for k := range npy.X {
		j, best := 0, math.Inf(1)
		for i := range tru.X {
			if d := math.Hypot(tru.X[i]-npy.X[k], tru.Y[i]-npy.Y[k]); d < best {
				j, best = i, d
			}
		}
		worst = math.Max(worst, best)
		dmag = append(dmag, npy.Mag[k]-tru.Mag[j])
	}
	// The .npy stores (row, col)/99 as float32: its resolution at 99 px is 99·2⁻²⁴ ≈ 6e−6 px.
	t.Logf(".npy vs sdss.0921_tru.txt: worst position difference %.2g px; .npy − tru magnitude: median %.3f, 5–95%% %.3f..%.3f",
		worst, median(dmag), pct(dmag, 5), pct(dmag, 95))
	if worst > 1e-5 {
		t.Errorf("positions differ by up to %g px", worst)
	}
	if m := median(dmag); m < 0.10 || m > 0.20 {
		t.Errorf("median magnitude difference %.3f, PROVENANCE.md says 0.10..0.20", m)
	}
	// Magnitudes from the file's nelec_per_nmgy: the first star has 1652.93 e−, r = 21.786.
	if math.Abs(npy.Mag[0]-21.7859) > 1e-3 || math.Abs(npy.Flux[0]-1652.9271/4.6) > 1e-3 {
		t.Errorf("first .npy star: %g counts, r = %g", npy.Flux[0], npy.Mag[0])
	}
	// To full-frame coordinates.
	x, y := tru.X[b], tru.Y[b]
	tru.Translate(M2CutoutX0, M2CutoutY0)
	if tru.X[b] != x+310 || tru.Y[b] != y+630 {
		t.Errorf("Translate: (%g, %g)", tru.X[b], tru.Y[b])
	}
}

func pct(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(p/100*float64(len(s)-1))]
}

// The .npz variant projects the same HST stars with astropy's WCS instead of asTrans:
// PROVENANCE.md gives a median offset of (row −0.13, col +0.06) px from the .npy. Its
// fluxes are the .npy's times 0.98968 (another nelec_per_nmgy), which identifies the stars.
func TestReferenceNPZOffset(t *testing.T) {
	npz, err := ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npz"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	npy, err := ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npy"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	ratio := npz.Flux[0] / npy.Flux[0]
	var dx, dy []float64
	for k := range npz.X {
		j, best := -1, math.Inf(1)
		for i := range npy.X {
			if math.Abs(npz.Flux[k]/npy.Flux[i]/ratio-1) > 2e-6 {
				continue
			}
			if d := math.Hypot(npy.X[i]-npz.X[k], npy.Y[i]-npz.Y[k]); d < best {
				j, best = i, d
			}
		}
		if j >= 0 && best < 2 {
			dx, dy = append(dx, npz.X[k]-npy.X[j]), append(dy, npz.Y[k]-npy.Y[j])
		}
	}
	t.Logf(".npz − .npy: %d stars matched (flux ratio %.5f), median (dx, dy) = (%+.3f, %+.3f) px", len(dx), ratio, median(dx), median(dy))
	if len(dx) < 1100 || math.Abs(median(dx)-0.06) > 0.05 || math.Abs(median(dy)+0.13) > 0.05 {
		t.Errorf("median offset (%.3f, %.3f) from %d matches, PROVENANCE.md says (+0.06, −0.13)", median(dx), median(dy), len(dx))
	}
	// Magnitudes come from the archive's own nelec_per_nmgy (856.098 in the .npz).
	if want := 22.5 - 2.5*math.Log10(npz.Flux[0]*4.6/856.098); math.Abs(npz.Mag[0]-want) > 1e-4 {
		t.Errorf("first .npz star: r = %g, want %g", npz.Mag[0], want)
	}
}

func TestReferenceErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short.txt", "1 2 3\n4 5\n")
	if _, err := ReadPCATTruth(short, 0.005); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("ragged table: %v", err)
	}
	if _, err := ReadDAOPHOT(short, DAOPHOTGRI, M2NMGY); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("ragged DAOPHOT table: %v", err)
	}
	nan := write("nan.txt", "1 2 NaN\n")
	if _, err := ReadPCATTruth(nan, 0.005); err == nil || !strings.Contains(err.Error(), nan) {
		t.Errorf("NaN: %v", err)
	}
	if _, err := ReadNPZTruth(short, 4.6); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("text file as .npz: %v", err)
	}
	// A valid archive with a wrong dtype and one missing an array.
	npz := func(name string, members map[string]string) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		z := zip.NewWriter(f)
		for m, header := range members {
			w, err := z.Create(m + ".npy")
			if err != nil {
				t.Fatal(err)
			}
			h := header + strings.Repeat(" ", 63-len(header)) + "\n"
			if _, err := w.Write(append([]byte("\x93NUMPY\x01\x00\x40\x00"), h...)); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(make([]byte, 8*4)); err != nil {
				t.Fatal(err)
			}
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := npz("int.npz", map[string]string{"true_locs": "{'descr': '<i4', 'fortran_order': False, 'shape': (4, 2), }"})
	if _, err := ReadNPZTruth(bad, 4.6); err == nil || !strings.Contains(err.Error(), "<i4") {
		t.Errorf("int32 array: %v", err)
	}
	miss := npz("miss.npz", map[string]string{"true_locs": "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }"})
	if _, err := ReadNPZTruth(miss, 4.6); err == nil || !strings.Contains(err.Error(), "true_fluxes") {
		t.Errorf("missing array: %v", err)
	}
	trunc := npz("trunc.npz", map[string]string{"true_locs": "{'descr': '<f4', 'fortran_order': False, 'shape': (400, 2), }"})
	if _, err := ReadNPZTruth(trunc, 4.6); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated array: %v", err)
	}
	if _, err := ReadDAOPHOT(short, DAOPHOTLayout(7), M2NMGY); err == nil {
		t.Error("unknown layout accepted")
	}
}

// centroidOffsets returns the median offset (image centroid − catalogue position) of the n
// brightest catalogue stars, with 5×5-pixel centroids above the image's median on PCAT's M2
// cutout.
func centroidOffsets(t *testing.T, r *Reference, n int) (float64, float64) {
	t.Helper()
	im, err := PCATImage(shareddata.Path(t, "m2-pcat-cutout/sdss.0921_cts.txt"), shareddata.Path(t, "m2-pcat-cutout/sdss.0921_pix.txt"))
	if err != nil {
		t.Fatal(err)
	}
	pix := make([]float64, len(im.Pix))
	for i, v := range im.Pix {
		pix[i] = float64(v)
	}
	bg := median(pix)
	idx := make([]int, r.Len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return -cmpFloat(r.Flux[a], r.Flux[b]) })
	var dx, dy []float64
	for _, i := range idx {
		cx, cy := int(math.Round(r.X[i])), int(math.Round(r.Y[i]))
		if cx < 2 || cy < 2 || cx > 97 || cy > 97 {
			continue
		}
		s, sx, sy := 0.0, 0.0, 0.0
		for y := cy - 2; y <= cy+2; y++ {
			for x := cx - 2; x <= cx+2; x++ {
				v := pix[y*100+x] - bg
				s, sx, sy = s+v, sx+v*float64(x), sy+v*float64(y)
			}
		}
		dx, dy = append(dx, sx/s-r.X[i]), append(dy, sy/s-r.Y[i])
		if len(dx) == n {
			break
		}
	}
	return median(dx), median(dy)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// With the documented offsets applied, bright stars of every reference file sit on their
// image centroids (PROVENANCE.md: about 0.1 px), while the raw DAOPHOT rows are a pixel off.
func TestReferenceOnImage(t *testing.T) {
	gri, err := ReadDAOPHOT(shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-tru.txt"), DAOPHOTGRI, M2NMGY)
	if err != nil {
		t.Fatal(err)
	}
	riz, err := ReadDAOPHOT(shareddata.Path(t, "m2-pcat-cutout/idR-002583-2-0136-tru_3_riz1.txt"), DAOPHOTRIZ, M2NMGY)
	if err != nil {
		t.Fatal(err)
	}
	npy, err := ReadNPZTruth(shareddata.Path(t, "m2-sdss-2583-2-136/true_hubble_m2.npy"), 4.6)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*Reference{"HST sdss.0921_tru.txt": readPCATTruth(t), "HST .npy": npy, "DAOPHOT gri": gri, "DAOPHOT riz": riz} {
		dx, dy := centroidOffsets(t, r, 17)
		t.Logf("%s: 17 brightest stars, median centroid − position = (%+.2f, %+.2f) px", name, dx, dy)
		if math.Hypot(dx, dy) > 0.25 {
			t.Errorf("%s: bright stars are (%+.2f, %+.2f) px from their centroids", name, dx, dy)
		}
	}
	gri.Translate(0, 1) // undo the documented y − 1
	if _, dy := centroidOffsets(t, gri, 17); dy > -0.7 {
		t.Errorf("raw DAOPHOT y is only %.2f px off: the check cannot see the offset", dy)
	}
}
