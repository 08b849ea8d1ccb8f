package catalogue

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// NMGYM2r is the SDSS r calibration of the M2 field (run 2583, camcol 2, field 136): nanomaggies
// per ADU, so that r = 22.5 − 2.5 log10(flux·NMGYM2r) for a flux in ADU
// (../shared/data/m2-pcat-cutout/PROVENANCE.md).
const NMGYM2r = 0.00546689

// ZeroPointM2r is the r zero point of the M2 field for fluxes in ADU: 22.5 − 2.5 log10(NMGYM2r).
var ZeroPointM2r = 22.5 - 2.5*math.Log10(NMGYM2r)

// ReadHubbleM2 reads the HST truth for M2 as StarNet and BLISS use it (true_hubble_m2.npy, a
// NumPy .npz archive despite its name, or the later true_hubble_m2.npz): true_locs are
// (row, col)/99 relative to the 100×100 cutout's origin and true_fluxes are electrons, r first;
// nelec_per_nmgy converts them to nanomaggies. It returns the stars in cutout pixels (add the
// cutout origin, column 310 and row 630, for frame pixels) with r magnitudes.
func ReadHubbleM2(path string) (Reference, error) {
	arrs, err := readNPZ(path)
	if err != nil {
		return Reference{}, err
	}
	locs, fl, nel := arrs["true_locs"], arrs["true_fluxes"], arrs["nelec_per_nmgy"]
	switch {
	case locs == nil || fl == nil || nel == nil:
		return Reference{}, fmt.Errorf("%s: want arrays true_locs, true_fluxes and nelec_per_nmgy", path)
	case len(locs.shape) != 2 || locs.shape[1] != 2 || len(fl.shape) != 2 || fl.shape[0] != locs.shape[0] || fl.shape[1] < 1 || len(nel.data) != 1:
		return Reference{}, fmt.Errorf("%s: true_locs %v, true_fluxes %v and nelec_per_nmgy %v do not fit together",
			path, locs.shape, fl.shape, nel.shape)
	}
	n, nb := locs.shape[0], fl.shape[1]
	var ref Reference
	for i := 0; i < n; i++ {
		ref.Y = append(ref.Y, 99*locs.data[2*i])
		ref.X = append(ref.X, 99*locs.data[2*i+1])
		ref.Mag = append(ref.Mag, Magnitude(fl.data[nb*i]/nel.data[0], 22.5))
	}
	return ref, nil
}

// ReadDAOPHOTM2 reads An et al. (2008)'s DAOPHOT stars in PCAT's M2 cutout
// (idR-002583-2-0136-tru.txt: x y f_r f_i f_g in ADU), applies the documented offset
// (y is 1 px too large) and returns them in cutout pixels with r magnitudes.
func ReadDAOPHOTM2(path string) (Reference, error) {
	x, y, f, err := ReadXYFlux(path)
	if err != nil {
		return Reference{}, err
	}
	for i := range y {
		y[i]--
	}
	return NewReference(x, y, f, ZeroPointM2r), nil
}

// npyArray is one array of an .npz archive, converted to float64.
type npyArray struct {
	shape []int
	data  []float64
}

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([<>|]?)([fi])(\d)'`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([\d,\s]*)\)`)
)

// readNPZ reads the numeric arrays of a NumPy .npz archive (a zip of .npy files; little-endian
// float32/float64/int32/int64, C order).
func readNPZ(path string) (map[string]*npyArray, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a NumPy .npz archive: %v", path, err)
	}
	defer zr.Close()
	out := map[string]*npyArray{}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, f.Name, err)
		}
		a, err := readNPY(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, f.Name, err)
		}
		out[name] = a
	}
	return out, nil
}

func readNPY(r io.Reader) (*npyArray, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil || string(pre[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("not an NPY array")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("NPY version %d not supported", pre[6])
	}
	if hlen > 1<<20 {
		return nil, fmt.Errorf("NPY header of %d bytes", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("truncated NPY header")
	}
	h := string(hb)
	d, o, s := npyDescr.FindStringSubmatch(h), npyOrder.FindStringSubmatch(h), npyShape.FindStringSubmatch(h)
	if d == nil || o == nil || s == nil {
		return nil, fmt.Errorf("unsupported NPY header %q", strings.TrimSpace(h))
	}
	if d[1] == ">" || o[1] == "True" {
		return nil, fmt.Errorf("big-endian or Fortran-order NPY arrays are not supported")
	}
	size, _ := strconv.Atoi(d[3])
	if d[2] == "f" && size != 4 && size != 8 || d[2] == "i" && size != 4 && size != 8 {
		return nil, fmt.Errorf("NPY type %s%s not supported", d[2], d[3])
	}
	a := &npyArray{}
	n := 1
	for _, p := range strings.Split(s[1], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, err := strconv.Atoi(p)
		if err != nil || k < 0 || k > 1<<28 {
			return nil, fmt.Errorf("bad NPY shape %q", s[1])
		}
		a.shape = append(a.shape, k)
		n *= k
		if n > 1<<28 {
			return nil, fmt.Errorf("NPY array too large: shape %q", s[1])
		}
	}
	raw := make([]byte, n*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("truncated NPY data: want %d values", n)
	}
	a.data = make([]float64, n)
	for i := range a.data {
		b := raw[i*size : (i+1)*size]
		switch d[2] + d[3] {
		case "f4":
			a.data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case "f8":
			a.data[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case "i4":
			a.data[i] = float64(int32(binary.LittleEndian.Uint32(b)))
		case "i8":
			a.data[i] = float64(int64(binary.LittleEndian.Uint64(b)))
		}
	}
	return a, nil
}
