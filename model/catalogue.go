package model

// Catalogue is a list of sources stored as a struct of arrays: source i is at (X[i], Y[i]) in
// cutout pixels with flux Flux[i] in counts. Kinds with more parameters than flux keep them in
// Extra, one slice per parameter in the order of SourceKind.Params()[1:].
type Catalogue struct {
	X, Y, Flux []float64
	Extra      [][]float64
}

// Len returns the number of sources.
func (c *Catalogue) Len() int { return len(c.X) }

// Append adds a source at (x, y) whose kind parameters are params (flux first).
func (c *Catalogue) Append(x, y float64, params []float64) {
	c.X = append(c.X, x)
	c.Y = append(c.Y, y)
	c.Flux = append(c.Flux, params[0])
	if n := len(params) - 1; n > 0 && len(c.Extra) < n {
		c.Extra = append(c.Extra, make([][]float64, n-len(c.Extra))...)
	}
	for k := 1; k < len(params); k++ {
		c.Extra[k-1] = append(c.Extra[k-1], params[k])
	}
}

// Params writes source i's kind parameters (flux first) into dst and returns it.
func (c *Catalogue) Params(i int, dst []float64) []float64 {
	dst = append(dst[:0], c.Flux[i])
	for _, e := range c.Extra {
		dst = append(dst, e[i])
	}
	return dst
}

// Clone returns a deep copy.
func (c *Catalogue) Clone() *Catalogue {
	d := &Catalogue{
		X:    append([]float64(nil), c.X...),
		Y:    append([]float64(nil), c.Y...),
		Flux: append([]float64(nil), c.Flux...),
	}
	for _, e := range c.Extra {
		d.Extra = append(d.Extra, append([]float64(nil), e...))
	}
	return d
}
