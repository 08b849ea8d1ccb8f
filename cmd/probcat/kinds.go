package main

import (
	"github.com/probcat/probcat/examples/binary"
	"github.com/probcat/probcat/kinds"
)

// The source kinds beyond the built-in ones (kinds: star, galaxy, galaxy-exp, galaxy-dev):
// one line each.
func init() {
	kinds.Register("binary", binary.New)
}
