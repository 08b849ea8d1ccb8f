package survey

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/probcat/probcat/model"
)

// Reference is a reference catalogue (a "truth" list from another instrument or code) in the
// pixels of an image: positions (x = column, y = row, 0-based, pixel centres at integers),
// fluxes in counts of each band, and magnitudes where the calibration is known. The readers
// return positions in the pixels of the cutout the file describes, with the offsets that
// the files' PROVENANCE.md documents already applied; Translate moves them to the frame.
type Reference struct {
	// Catalogue holds the positions and the fluxes in Band.
	model.Catalogue
	// Band is the band of Catalogue.Flux and Mag.
	Band string
	// Mag holds the magnitudes in Band (NaN for a non-positive flux).
	Mag []float64
	// Fluxes holds the fluxes in counts of every band the file has, Band included.
	Fluxes map[string][]float64
	// Mags holds the magnitudes of every band whose calibration is known, Band included.
	Mags map[string][]float64
}

// Translate adds (dx, dy) to every position, e.g. the cutout's origin in the frame
// (M2CutoutX0, M2CutoutY0 for PCAT's M2 cutout) to get full-frame pixels.
func (r *Reference) Translate(dx, dy float64) {
	for i := range r.X {
		r.X[i] += dx
		r.Y[i] += dy
	}
}

// M2CutoutX0 and M2CutoutY0 are the frame column and row of pixel (0, 0) of PCAT's M2 r
// cutout (frame-r-002583-2-0136 rows 630..729, columns 310..409), which the M2 reference
// files describe: Translate(M2CutoutX0, M2CutoutY0) gives full-frame r pixels.
const (
	M2CutoutX0 = 310
	M2CutoutY0 = 630
)

// M2NMGY are the nanomaggies per count of the SDSS frames of M2 (run 2583, camcol 2, field
// 136; the frames' NMGY cards and PCAT's pix files): the calibration with which the M2
// reference files turned magnitudes into counts.
var M2NMGY = map[string]float64{"g": 0.00446688, "r": 0.00546689, "i": 0.0065592, "z": 0.038566}

// nmgyMag is the SDSS magnitude of a flux in nanomaggies.
func nmgyMag(nmgy float64) float64 {
	if !(nmgy > 0) {
		return math.NaN()
	}
	return 22.5 - 2.5*math.Log10(nmgy)
}

// ReadPCATTruth reads PCAT's truth file (sdss.0921_tru.txt: "x y flux" per star, cutout
// pixels, r flux in counts), the HST ACS catalogue of M2 projected into PCAT's cutout.
// Magnitudes are 22.5 − 2.5 log10(flux·nmgy), with nmgy the nanomaggies per count with which
// the file was made (M2NMGY["r"]).
func ReadPCATTruth(path string, nmgy float64) (*Reference, error) {
	rows, err := readColumns(path, 3)
	if err != nil {
		return nil, err
	}
	r := newReference("r", len(rows))
	for _, v := range rows {
		r.add(v[0], v[1], map[string]float64{"r": v[2]})
	}
	r.magnitudes(map[string]float64{"r": nmgy})
	return r, nil
}

// DAOPHOTLayout says which of An et al.'s DAOPHOT files (PCAT's M2 inputs) is read.
type DAOPHOTLayout int

const (
	// DAOPHOTGRI is idR-002583-2-0136-tru.txt: "x y f_r f_i f_g"; its y is one pixel too
	// large (bright-star centroids give (+0.08, −0.99) px), so y − 1 is used.
	DAOPHOTGRI DAOPHOTLayout = iota
	// DAOPHOTRIZ is idR-002583-2-0136-tru_3_riz1.txt: "x y f_r f_i f_z", the same stars
	// at x + 1; its centroid offset is (−0.92, −0.99) px, so x − 1, y − 1 are used.
	DAOPHOTRIZ
)

// ReadDAOPHOT reads one of An et al.'s (2008) DAOPHOT catalogues of M2 as PCAT provides them
// (see DAOPHOTLayout), applies the documented pixel offset, and gives magnitudes in each band
// from nmgy (nanomaggies per count by band; the files were made with M2NMGY). Band is r.
func ReadDAOPHOT(path string, layout DAOPHOTLayout, nmgy map[string]float64) (*Reference, error) {
	var bands []string
	var dx, dy float64
	switch layout {
	case DAOPHOTGRI:
		bands, dx, dy = []string{"r", "i", "g"}, 0, -1
	case DAOPHOTRIZ:
		bands, dx, dy = []string{"r", "i", "z"}, -1, -1
	default:
		return nil, fmt.Errorf("%s: unknown DAOPHOT layout %d", path, layout)
	}
	rows, err := readColumns(path, 5)
	if err != nil {
		return nil, err
	}
	r := newReference("r", len(rows))
	for _, v := range rows {
		f := map[string]float64{}
		for k, b := range bands {
			f[b] = v[2+k]
		}
		r.add(v[0]+dx, v[1]+dy, f)
	}
	r.magnitudes(nmgy)
	return r, nil
}

// ReadNPZTruth reads the HST truth of M2 that StarNet and BLISS use: a NumPy .npz archive
// (true_hubble_m2.npy, despite its name, and true_hubble_m2.npz) holding true_locs (row,
// column)/99 in PCAT's cutout, true_fluxes in electrons ([r, i]; the .npz repeats r) and
// nelec_per_nmgy. Positions become x = 99·col, y = 99·row; fluxes become counts by dividing
// by gain (4.6, the photoField gain the files were made with); magnitudes are
// 22.5 − 2.5 log10(electrons/nelec_per_nmgy). Band is r; Fluxes and Mags also hold "i".
func ReadNPZTruth(path string, gain float64) (*Reference, error) {
	if !(gain > 0) || math.IsInf(gain, 0) {
		return nil, fmt.Errorf("%s: gain %g must be positive", path, gain)
	}
	arrays, err := readNPZ(path)
	if err != nil {
		return nil, err
	}
	get := func(name string, shape ...int) (*npyArray, error) {
		a, ok := arrays[name]
		if !ok {
			return nil, fmt.Errorf("%s: no array %s in the archive", path, name)
		}
		if !slicesEqual(a.shape, shape, -1) {
			return nil, fmt.Errorf("%s: array %s has shape %v, want %v", path, name, a.shape, shape)
		}
		return a, nil
	}
	locs, err := get("true_locs", -1, 2)
	if err != nil {
		return nil, err
	}
	n := locs.shape[0]
	fluxes, err := get("true_fluxes", n, 2)
	if err != nil {
		return nil, err
	}
	ne, err := get("nelec_per_nmgy")
	if err != nil {
		return nil, err
	}
	perNmgy := ne.data[0]
	if !(perNmgy > 0) {
		return nil, fmt.Errorf("%s: nelec_per_nmgy = %g, must be positive", path, perNmgy)
	}
	r := newReference("r", n)
	for i := range n {
		r.add(99*locs.data[2*i+1], 99*locs.data[2*i], map[string]float64{
			"r": fluxes.data[2*i] / gain, "i": fluxes.data[2*i+1] / gain,
		})
	}
	r.magnitudes(map[string]float64{"r": gain / perNmgy, "i": gain / perNmgy})
	return r, nil
}

func newReference(band string, n int) *Reference {
	r := &Reference{Band: band, Fluxes: map[string][]float64{}, Mags: map[string][]float64{}}
	r.X, r.Y, r.Flux = make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	return r
}

func (r *Reference) add(x, y float64, flux map[string]float64) {
	r.Append(x, y, []float64{flux[r.Band]})
	for b, f := range flux {
		r.Fluxes[b] = append(r.Fluxes[b], f)
	}
}

// magnitudes fills Mags (and Mag) for the bands of nmgy that the file has.
func (r *Reference) magnitudes(nmgy map[string]float64) {
	for b, f := range r.Fluxes {
		c, ok := nmgy[b]
		if !ok {
			continue
		}
		m := make([]float64, len(f))
		for i, v := range f {
			m[i] = nmgyMag(v * c)
		}
		r.Mags[b] = m
	}
	r.Mag = r.Mags[r.Band]
	if r.Mag == nil {
		r.Mag = make([]float64, r.Len())
		for i := range r.Mag {
			r.Mag[i] = math.NaN()
		}
	}
}

// readColumns reads a text table of at least ncol finite numbers per line (more are
// ignored; lines starting with # are comments).
func readColumns(path string, ncol int) ([][]float64, error) {
	vals, rows, err := readTextTable(path)
	if err != nil {
		return nil, err
	}
	if len(vals) != rows*ncol {
		return nil, fmt.Errorf("%s: %d numbers on %d lines, want %d per line", path, len(vals), rows, ncol)
	}
	out := make([][]float64, rows)
	for i := range out {
		out[i] = vals[i*ncol : (i+1)*ncol]
		for _, v := range out[i] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: line %d has a non-finite value", path, i+1)
			}
		}
	}
	return out, nil
}

// npyArray is a little-endian floating-point NumPy array in C order, as float64.
type npyArray struct {
	shape []int
	data  []float64
}

// readNPZ reads the arrays of a NumPy .npz (ZIP) archive; member names lose their .npy
// suffix. Only little-endian float32 and float64 arrays in C order are supported.
func readNPZ(path string) (map[string]*npyArray, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a NumPy .npz (ZIP) archive: %v", path, err)
	}
	defer z.Close()
	out := map[string]*npyArray{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, f.Name, err)
		}
		a, err := readNPY(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, f.Name, err)
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = a
	}
	return out, nil
}

var (
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// readNPY reads one .npy stream (format versions 1–3).
func readNPY(r io.Reader) (*npyArray, error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, errors.New("not a .npy array (bad magic)")
	}
	var hlen int
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated .npy header")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated .npy header")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf(".npy format version %d is not supported", magic[6])
	}
	if hlen > 1<<20 {
		return nil, fmt.Errorf(".npy header of %d bytes is too long", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, errors.New("truncated .npy header")
	}
	h := string(hb)
	d, fo, sh := npyDescr.FindStringSubmatch(h), npyFortran.FindStringSubmatch(h), npyShape.FindStringSubmatch(h)
	if d == nil || fo == nil || sh == nil {
		return nil, fmt.Errorf("malformed .npy header %q", strings.TrimSpace(h))
	}
	if fo[1] == "True" {
		return nil, errors.New("Fortran-order .npy arrays are not supported")
	}
	a := &npyArray{}
	n := 1
	for _, s := range strings.Split(sh[1], ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		k, err := strconv.Atoi(s)
		if err != nil || k < 0 {
			return nil, fmt.Errorf("malformed .npy shape (%s)", sh[1])
		}
		a.shape = append(a.shape, k)
		n *= k
		if n > 1<<28 {
			return nil, fmt.Errorf(".npy array of shape (%s) is too large", sh[1])
		}
	}
	var size int
	switch d[1] {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, fmt.Errorf(".npy dtype %q is not supported (want <f4 or <f8)", d[1])
	}
	raw := make([]byte, n*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf(".npy data truncated (want %d values)", n)
	}
	a.data = make([]float64, n)
	for i := range a.data {
		if size == 4 {
			a.data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		} else {
			a.data[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	}
	return a, nil
}

// slicesEqual reports whether got matches want, where a want element equal to wild matches
// anything.
func slicesEqual(got, want []int, wild int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if want[i] != wild && got[i] != want[i] {
			return false
		}
	}
	return true
}
