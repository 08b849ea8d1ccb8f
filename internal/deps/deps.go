// Package deps pins the project's chosen dependencies in go.mod while the packages that use
// them are being written. It is deleted once every dependency has a real importer.
package deps

import (
	_ "codeberg.org/astrogo/fitsio"
	_ "github.com/klauspost/cpuid/v2"
	_ "github.com/parquet-go/parquet-go"
	_ "golang.org/x/term"
	_ "gonum.org/v1/gonum/stat"
	_ "gonum.org/v1/plot"
)
