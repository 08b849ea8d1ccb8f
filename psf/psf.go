// Package psf holds point-spread functions in the one form the renderer uses: a native-pixel
// stamp and PCAT's cubic sub-pixel coefficient table (see package render for the layout),
// built from an oversampled "effective" PSF image whose samples are pixel-integrated values.
// For rendering, Table gives a finer form of the same table (TablePieces × TablePieces
// cubics over the sub-pixel square), accurate to 1e−3 of the peak for undersampled PSFs where
// PCAT's single cubic is off by 4e−3–6e−3, at the same cost per pixel.
//
// Every PSF, whatever its origin (an analytic profile, PCAT's oversampled text file, a
// native-sampled or oversampled FITS image), becomes an effective PSF on a grid Factor times
// finer than the pixels and goes through FromEffective. Parse turns a command-line
// specification into a PSF; WriteFITS writes one so that Parse reads it back unchanged.
package psf

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/render"
	"gonum.org/v1/gonum/mat"
)

// PSF is a point-spread function ready for rendering. Build it with the functions of this
// package (they all end in FromEffective) and do not modify it afterwards: Table is
// derived from Fine on first use. It is safe for concurrent use.
type PSF struct {
	// Size is the side of the native stamp in pixels (odd); the centre is Size/2.
	Size int
	// Factor is the oversampling of Fine.
	Factor int
	// Fine is the oversampled effective PSF, (Size·Factor)² samples, row-major: sample (a, b)
	// is the light that falls in a native pixel whose centre is displaced by
	// (b/Factor − Size/2, a/Factor − Size/2) pixels from the source. Each sub-pixel phase
	// (the Size² samples with the same a mod Factor and b mod Factor) sums to 1.
	Fine []float64
	// Coeffs is PCAT's cubic sub-pixel table, render.NumCoeffs × Size² float32 values (one
	// cubic over the whole sub-pixel square; Table is the accurate form used for rendering).
	Coeffs []float32

	// table is the TablePieces² piecewise table, built on first use; nil for a PSF
	// assembled by hand.
	table *lazyTable

	// tail[r] is Σ over stamp pixels farther than r from the centre (Chebyshev distance)
	// of the squared largest |value| the pixel takes at any sub-pixel offset.
	tail []float64
}

// MinFactor is the smallest oversampling FromEffective accepts: the ten-term cubic needs at
// least ten samples per pixel, (Factor+1)² ≥ 10.
const MinFactor = 3

// FromEffective builds a PSF from an oversampled effective PSF of side size·factor (as in
// PCAT's text format, header "25 5"), in the layout documented on PSF.Fine.
//
// Each of the factor² sub-pixel phases (the samples (a, b) with a mod factor = t and
// b mod factor = s, one per native pixel) is rescaled to sum to 1, so that a source renders
// with unit total flux wherever it falls within a pixel. (PCAT's own r-band PSF file has
// phases whose sums differ by 4e−4; rescaling them as a whole would leave a flux bias that
// depends on sub-pixel position.) Then, for each stamp pixel, the ten-term cubic in the
// sub-pixel offset is fitted by least squares to the (factor+1)² samples that cover the
// pixel, as PCAT does; samples beyond the grid count as zero.
//
// A source at sub-pixel offset dx → 1 leaves the grid's first column of samples
// (displacement −Size/2) out of its stamp, and likewise for dy and the first row. When
// these hold more than MaxTruncatedLight/2 of the light, the grid is first padded with one
// native pixel of zeros on every side (Size grows by 2), so that the rendered flux stays
// within MaxTruncatedLight of 1 at every offset. PCAT's M2 r PSF file holds −4e−4 of its
// light there (small negative wings), and becomes 27×27.
//
// It fails on an even or non-positive size, a factor below MinFactor, a wrong number of
// samples, non-finite samples, or a phase whose light does not sum to a positive value
// (a PSF that is zero or negative).
func FromEffective(fine []float64, size, factor int) (*PSF, error) {
	if size < 1 || size%2 == 0 {
		return nil, fmt.Errorf("PSF stamp size must be odd and positive, got %d", size)
	}
	if factor < MinFactor {
		return nil, fmt.Errorf("PSF oversampling must be at least %d, got %d", MinFactor, factor)
	}
	n := size * factor
	if len(fine) != n*n {
		return nil, fmt.Errorf("oversampled PSF has %d samples, want %d×%d", len(fine), n, n)
	}
	phase := make([]float64, factor*factor)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			v := fine[a*n+b]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.New("PSF has non-finite values")
			}
			phase[(a%factor)*factor+b%factor] += v
		}
	}
	for i, s := range phase {
		if !(s > 0) {
			return nil, fmt.Errorf("PSF light sums to %g at sub-pixel phase (%d, %d), must be positive", s, i/factor, i%factor)
		}
	}
	if firstLineLight(fine, size, factor, phase) > MaxTruncatedLight/2 {
		fine, size, n = pad(fine, size, factor), size+2, n+2*factor
	}
	p := &PSF{Size: size, Factor: factor, Fine: make([]float64, len(fine))}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			p.Fine[a*n+b] = fine[a*n+b] / phase[(a%factor)*factor+b%factor]
		}
	}
	p.Coeffs = fitCubic(p.Fine, size, factor)
	p.tail = tailPower(p.Fine, size, factor)
	p.table = new(lazyTable)
	return p, nil
}

// lazyTable is a PSF's render table, built once on first use.
type lazyTable struct {
	once sync.Once
	t    *render.Table
}

// TablePieces is the number of pieces per axis of the sub-pixel square in Table: 2×2 cubics
// bring the rendered PSF within 1e−3 of the peak of Reference for the SDSS PSFs, a Gaussian
// of FWHM 2.2 px and the analytic profiles of the tests (PCAT's single cubic, Coeffs, is off
// by up to 6e−3; see TestRenderedTableMatchesReference).
const TablePieces = 2

// Table returns the PSF's piecewise sub-pixel table (TablePieces² cubics fitted by
// PieceCoeffs) laid out for the render kernels: the table to render with. Place sources on
// it with its Source method (render.NewSource is for one-piece tables only). It is built on
// the first call (a few milliseconds for a 25×25 stamp) and shared by later ones; it is nil
// for a PSF assembled by hand rather than by this package's functions.
func (p *PSF) Table() *render.Table {
	if p.table == nil {
		return nil
	}
	p.table.once.Do(func() {
		pieces, err := p.PieceCoeffs(TablePieces)
		if err == nil {
			p.table.t, err = render.NewPieceTable(pieces, p.Size, TablePieces)
		}
		if err != nil {
			// The fit's design matrix is fixed and full rank and Fine is finite (checked
			// by FromEffective), so this is a PSF modified after it was built.
			panic(fmt.Sprintf("psf: building the render table: %v", err))
		}
	})
	return p.table.t
}

// firstLineLight returns the largest absolute light, relative to its phase's sum, that the
// first row or the first column of an oversampled grid holds in any one sub-pixel phase.
func firstLineLight(fine []float64, size, factor int, phase []float64) float64 {
	n := size * factor
	worst := 0.0
	for s := 0; s < factor; s++ {
		row, col := 0.0, 0.0
		for b := s; b < n; b += factor {
			row += math.Abs(fine[b])
			col += math.Abs(fine[b*n])
		}
		worst = math.Max(worst, math.Max(row/phase[s], col/phase[s*factor]))
	}
	return worst
}

// pad surrounds an oversampled grid with one native pixel of zeros on every side.
func pad(fine []float64, size, factor int) []float64 {
	n, m := size*factor, (size+2)*factor
	out := make([]float64, m*m)
	for a := 0; a < n; a++ {
		copy(out[(a+factor)*m+factor:], fine[a*n:(a+1)*n])
	}
	return out
}

// fitCubic fits, for every stamp pixel, the ten-term cubic in the sub-pixel offset (dx, dy) ∈
// [0, 1]² to the (factor+1)² oversampled samples that cover it, by least squares (PCAT's
// construction; samples beyond the edge are zero).
func fitCubic(fine []float64, size, factor int) []float32 {
	n := size * factor
	m := factor + 1
	a := mat.NewDense(m*m, render.NumCoeffs, nil)
	var b [render.NumCoeffs]float64
	for t := 0; t < m; t++ {
		for s := 0; s < m; s++ {
			render.Basis(float64(s)/float64(factor), float64(t)/float64(factor), &b)
			a.SetRow(t*m+s, b[:])
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	np := size * size
	out := make([]float32, render.NumCoeffs*np)
	rhs := mat.NewDense(m*m, 1, nil)
	var sol mat.Dense
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			for t := 0; t < m; t++ {
				for s := 0; s < m; s++ {
					rhs.Set(t*m+s, 0, fineAt(fine, n, v*factor+t, u*factor+s))
				}
			}
			if err := qr.SolveTo(&sol, false, rhs); err != nil {
				panic(err) // the design matrix is fixed and full rank for factor ≥ MinFactor
			}
			for k := 0; k < render.NumCoeffs; k++ {
				out[k*np+v*size+u] = float32(sol.At(k, 0))
			}
		}
	}
	return out
}

// fineAt returns fine sample (a, b) of an n×n grid, zero outside it.
func fineAt(fine []float64, n, a, b int) float64 {
	if a < 0 || b < 0 || a >= n || b >= n {
		return 0
	}
	return fine[a*n+b]
}

// tailPower computes PSF.tail: for each stamp pixel the largest |sample| among the
// (factor+1)² samples that cover it (every sub-pixel offset), squared and summed over the
// pixels outside each Chebyshev radius.
func tailPower(fine []float64, size, factor int) []float64 {
	n := size * factor
	c := size / 2
	ring := make([]float64, c+1)
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			m := 0.0
			for t := 0; t <= factor; t++ {
				for s := 0; s <= factor; s++ {
					m = math.Max(m, math.Abs(fineAt(fine, n, v*factor+t, u*factor+s)))
				}
			}
			ring[max(abs(u-c), abs(v-c))] += m * m
		}
	}
	tail := make([]float64, c+1)
	for r := c - 1; r >= 0; r-- {
		tail[r] = tail[r+1] + ring[r+1]
	}
	return tail
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// Radius implements model.Profile: the stamp half-width.
func (p *PSF) Radius() int { return p.Size / 2 }

// RadiusFor returns the half-width r ≤ Radius() of the smallest centred (2r+1)² part of the
// stamp that can stand for the whole stamp when rendering a source of this flux on pixels of
// noise standard deviation sigma. The omitted pixels, each taken at its largest value over
// all sub-pixel offsets, satisfy Σ (flux·psf)² ≤ (0.1·sigma)². So no omitted pixel exceeds
// 0.1σ, and truncating the source changes χ² = Σ (resid/σ)² by at most 0.01 on average,
// with a random part of standard deviation at most 0.2 (ln-likelihood: 0.005 and 0.1).
// A non-positive sigma gives Radius().
func (p *PSF) RadiusFor(flux, sigma float64) int {
	return radiusFor(p.tail, p.Size/2, flux, sigma)
}

// radiusFor is RadiusFor for a stamp of half-width c whose tail power (PSF.tail) is tail.
func radiusFor(tail []float64, c int, flux, sigma float64) int {
	if !(sigma > 0) || len(tail) != c+1 {
		return c
	}
	lim := 0.01 * sigma * sigma / (flux * flux)
	for r := 0; r < c; r++ {
		if tail[r] <= lim {
			return r
		}
	}
	return c
}

// AddTo implements model.Profile: it adds flux × PSF centred at image position (x, y) into b,
// rendered with Table (with Coeffs for a PSF without one).
func (p *PSF) AddTo(b model.Box, x, y, flux float64) {
	if t := p.Table(); t != nil {
		src := [1]render.Source{t.Source(x-float64(b.X0), y-float64(b.Y0), flux, render.FullStamp)}
		render.Render(b.Pix, b.Stride, b.W, b.H, t, src[:])
		return
	}
	xs := [1]float32{float32(x - float64(b.X0))}
	ys := [1]float32{float32(y - float64(b.Y0))}
	fs := [1]float32{float32(flux)}
	render.AddSources(b.Pix, b.Stride, b.W, b.H, p.Coeffs, p.Size, xs[:], ys[:], fs[:])
}

// Stamp returns the native-pixel image of a unit-flux source at sub-pixel offset (dx, dy) ∈
// [0, 1)² from PCAT's polynomial table, Coeffs (Size² values, row-major): stamp pixel (u, v) is the
// light in the pixel whose centre lies at (u − Size/2 + dx, v − Size/2 + dy) from the source.
func (p *PSF) Stamp(dx, dy float64) []float64 {
	np := p.Size * p.Size
	var b [render.NumCoeffs]float64
	render.Basis(dx, dy, &b)
	out := make([]float64, np)
	for i := range out {
		for k := 0; k < render.NumCoeffs; k++ {
			out[i] += b[k] * float64(p.Coeffs[k*np+i])
		}
	}
	return out
}

// Reference returns the same stamp as Stamp, computed the slow and obvious way: by bicubic
// (Keys, a = −½) interpolation of the oversampled effective PSF at the exact displacement of
// every stamp pixel, with zeros beyond the grid. Tests hold the polynomial tables to it.
func (p *PSF) Reference(dx, dy float64) []float64 {
	n := p.Size * p.Factor
	f := float64(p.Factor)
	out := make([]float64, p.Size*p.Size)
	for v := 0; v < p.Size; v++ {
		for u := 0; u < p.Size; u++ {
			out[v*p.Size+u] = interpolate(keys, p.Fine, n, n, (float64(u)+dx)*f, (float64(v)+dy)*f)
		}
	}
	return out
}

// PieceCoeffs returns a finer form of the sub-pixel table for renderers that want more
// accuracy than PCAT's cubic at the same cost per pixel: the unit square of sub-pixel
// offsets is cut into k×k pieces, each with its own ten-term cubic. Piece q = qy·k + qx
// holds NumCoeffs × Size² values laid out like Coeffs, in the local offset
// (ℓx, ℓy) = (k·dx − qx, k·dy − qy) ∈ [0, 1)², where qx = ⌊k·dx⌋ (likewise for y); the
// result has k² such tables one after another. Each cubic is fitted by least squares to
// Reference on a (Factor+1)² grid of the piece's closed square, so k = 1 gives Coeffs.
// The largest error against Reference falls from 4e−3–6e−3 of the peak (k = 1) to
// 5e−4–6e−4 (k = 2) for the SDSS r PSFs and a Gaussian of FWHM 2.2 (TestPieceCoeffs).
func (p *PSF) PieceCoeffs(k int) ([]float32, error) {
	if k < 1 || k > 16 {
		return nil, fmt.Errorf("PSF table pieces per axis must be 1 to 16, got %d", k)
	}
	m := p.Factor + 1
	a := mat.NewDense(m*m, render.NumCoeffs, nil)
	var b [render.NumCoeffs]float64
	for t := 0; t < m; t++ {
		for s := 0; s < m; s++ {
			render.Basis(float64(s)/float64(p.Factor), float64(t)/float64(p.Factor), &b)
			a.SetRow(t*m+s, b[:])
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	np := p.Size * p.Size
	out := make([]float32, k*k*render.NumCoeffs*np)
	rhs := mat.NewDense(m*m, np, nil)
	var sol mat.Dense
	for qy := 0; qy < k; qy++ {
		for qx := 0; qx < k; qx++ {
			for t := 0; t < m; t++ {
				for s := 0; s < m; s++ {
					dx := (float64(qx) + float64(s)/float64(p.Factor)) / float64(k)
					dy := (float64(qy) + float64(t)/float64(p.Factor)) / float64(k)
					rhs.SetRow(t*m+s, p.Reference(dx, dy))
				}
			}
			if err := qr.SolveTo(&sol, false, rhs); err != nil {
				return nil, err
			}
			table := out[(qy*k+qx)*render.NumCoeffs*np:]
			for c := 0; c < render.NumCoeffs; c++ {
				for i := 0; i < np; i++ {
					table[c*np+i] = float32(sol.At(c, i))
				}
			}
		}
	}
	return out, nil
}
