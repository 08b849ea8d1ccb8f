package fits

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/probcat/probcat/internal/shareddata"
)

const sdssDir = "m2-sdss-2583-2-136/"

// The real SDSS r frame (bzip2): image, calibration vector and sky table, checked against the
// facts in PROVENANCE.md and against what astropy reads (pixel sum and samples, in expected.json).
func TestReadSDSSFrame(t *testing.T) {
	path := shareddata.Path(t, sdssDir+"frame-r-002583-2-0136.fits.bz2")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	im, err := f.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 2048 || im.Height != 1489 || im.Bitpix != -32 {
		t.Fatalf("frame is %d×%d BITPIX %d, want 2048×1489 -32", im.Width, im.Height, im.Bitpix)
	}
	if s, err := im.Header.String("FILTER"); err != nil || s != "r" {
		t.Errorf("FILTER %q (%v)", s, err)
	}
	if v, err := im.Header.Float("NMGY"); err != nil || v != 0.00546689 {
		t.Errorf("NMGY %v (%v)", v, err)
	}
	calib, err := f.Image(1)
	if err != nil {
		t.Fatal(err)
	}
	if calib.Width != 2048 || calib.Height != 1 {
		t.Fatalf("calib is %d×%d", calib.Width, calib.Height)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range calib.Pix {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	if lo < 0.00536 || hi > 0.00543 {
		t.Errorf("calib range %v..%v, PROVENANCE says 0.005362..0.005428", lo, hi)
	}
	sky, err := f.Table(2)
	if err != nil {
		t.Fatal(err)
	}
	all, err := sky.Column("ALLSKY")
	if err != nil {
		t.Fatal(err)
	}
	allsky, err := all.Float32s()
	if err != nil || len(allsky) != 256*192 || len(all.Dim) != 2 || all.Dim[0] != 256 || all.Dim[1] != 192 {
		t.Fatalf("ALLSKY: %d values, TDIM %v, %v", len(allsky), all.Dim, err)
	}
	for _, name := range []string{"XINTERP", "YINTERP"} {
		c, err := sky.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := c.Float64s(); err != nil || len(v) != map[string]int{"XINTERP": 2048, "YINTERP": 1489}[name] {
			t.Errorf("%s: %d values, %v", name, len(v), err)
		}
	}

	// What astropy reads from the same frame, stored by testdata/fits/make_fixtures.py.
	var want struct {
		Sum              float64
		P, Calib, Allsky []float64
	}
	if err := json.Unmarshal(loadExpected(t)["sdss_frame"], &want); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range im.Pix {
		sum += float64(v)
	}
	if math.Abs(sum-want.Sum) > 1e-9*math.Abs(want.Sum) {
		t.Errorf("pixel sum %v, astropy %v", sum, want.Sum)
	}
	got := []float32{im.Pix[630*2048+310], im.Pix[2047], im.Pix[1488*2048]}
	for i := range got {
		if float64(got[i]) != want.P[i] {
			t.Errorf("pixel sample %d: %v, astropy %v", i, got[i], want.P[i])
		}
	}
	if float64(calib.Pix[0]) != want.Calib[0] || float64(calib.Pix[2047]) != want.Calib[1] {
		t.Errorf("calib ends %v %v, astropy %v", calib.Pix[0], calib.Pix[2047], want.Calib)
	}
	// astropy's [row, col] of a TDIM=(256,192) cell is element col + 256*row.
	gotSky := []float32{allsky[0], allsky[191*256+255], allsky[10*256+20]}
	for i := range gotSky {
		if float64(gotSky[i]) != want.Allsky[i] {
			t.Errorf("ALLSKY sample %d: %v, astropy %v", i, gotSky[i], want.Allsky[i])
		}
	}
}

// psField: the r-band KL PSF basis (HDU 3) stores each 51×51 eigen-image as a variable-length
// array in the heap, after a gap (THEAP) that fitsio mishandles.
func TestReadSDSSPsField(t *testing.T) {
	path := shareddata.Path(t, sdssDir+"psField-002583-2-0136.fit")
	tab, err := ReadTable(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 4 {
		t.Fatalf("%d rows, want 4", tab.Rows)
	}
	c, err := tab.Column("RROWS")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.VarFloat64s()
	if err != nil {
		t.Fatal(err)
	}
	nr, err := tab.Column("RNROW")
	if err != nil {
		t.Fatal(err)
	}
	nrow, err := nr.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) != 2601 || nrow[i] != 51 {
			t.Fatalf("row %d: %d values, RNROW %d; want 2601 and 51", i, len(r), nrow[i])
		}
	}
	// The first eigen-PSF peaks at the centre of its 51×51 stamp.
	best := 0
	for k, v := range rows[0] {
		if v > rows[0][best] {
			best = k
		}
	}
	if best != 25*51+25 {
		t.Errorf("eigen-PSF 0 peaks at (%d, %d), want (25, 25)", best%51, best/51)
	}
	var want struct {
		RowSums []float64 `json:"row_sums"`
		Sample  []float64
	}
	if err := json.Unmarshal(loadExpected(t)["sdss_psfield_r"], &want); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		var sum float64
		for _, v := range r {
			sum += v
		}
		if math.Abs(sum-want.RowSums[i]) > 1e-9*math.Abs(want.RowSums[i]) {
			t.Errorf("eigen-PSF %d sums to %v, astropy %v", i, sum, want.RowSums[i])
		}
	}
	if rows[0][1300] != want.Sample[0] || rows[3][1300] != want.Sample[1] {
		t.Errorf("RROWS samples %v %v, astropy %v", rows[0][1300], rows[3][1300], want.Sample)
	}
	coef, err := tab.Column("c")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := coef.Float64s(); err != nil || len(v) != 4*25 || coef.Dim[0] != 5 || coef.Dim[1] != 5 {
		t.Errorf("c: %d values dim %v, %v", len(v), coef.Dim, err)
	}
}

// fpM masks (gzip): span lists as variable-length byte arrays, three int16 per span.
func TestReadSDSSMask(t *testing.T) {
	path := shareddata.Path(t, sdssDir+"fpM-002583-r2-0136.fit.gz")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.NumHDU() != 12 {
		t.Fatalf("%d HDUs, want 12", f.NumHDU())
	}
	tab, err := f.Table(1)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 412 {
		t.Fatalf("%d rows, want 412", tab.Rows)
	}
	ns, err := tab.Column("nspan")
	if err != nil {
		t.Fatal(err)
	}
	nspan, err := ns.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := tab.Column("s")
	if err != nil {
		t.Fatal(err)
	}
	spans, err := sc.VarBytes()
	if err != nil {
		t.Fatal(err)
	}
	for r := range spans {
		if int64(len(spans[r])) != 6*nspan[r] {
			t.Fatalf("row %d: %d span bytes for %d spans", r, len(spans[r]), nspan[r])
		}
	}
	var want struct {
		SpanByteSum int64 `json:"span_byte_sum"`
		First       []int
	}
	if err := json.Unmarshal(loadExpected(t)["sdss_fpm_r1"], &want); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, s := range spans {
		for _, b := range s {
			sum += int64(b)
		}
	}
	if sum != want.SpanByteSum {
		t.Errorf("span bytes sum to %d, astropy %d", sum, want.SpanByteSum)
	}
	for i, b := range want.First {
		if int(spans[0][i]) != b {
			t.Errorf("first span bytes %v, astropy %v", spans[0][:12], want.First)
			break
		}
	}
	types, err := f.Table(11)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Header.Source == "" || types.Rows != 11 {
		t.Errorf("mask type table has %d rows", types.Rows)
	}
}
