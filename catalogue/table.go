package catalogue

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/probcat/probcat/internal/tablefile"
)

// createTable opens path for writing a table with the given columns and file metadata, plus
// the pixel convention when the table has an x column (see withPixelOrigin).
func createTable(path string, cols []tablefile.Column, meta map[string]string) (*tablefile.Writer, error) {
	return tablefile.Create(path, cols, withPixelOrigin(cols, meta))
}

// table is a flat table read back from Parquet: the named columns as float64 (integer columns
// converted; nulls become NaN), plus the file's key-value metadata.
type table struct {
	names []string
	cols  map[string][]float64
	meta  map[string]string
	rows  int
}

// readTable reads every column of a flat Parquet file. required lists columns that must be
// present.
func readTable(path string, required ...string) (tab *table, err error) {
	return readTableBand(path, "", required...)
}

// readTableBand is readTable that, for a multi-band catalogue, reads band's flux_<band> and
// flux_<band>_err columns as flux and flux_err (selectBand).
func readTableBand(path, band string, required ...string) (tab *table, err error) {
	err = tablefile.With(path, func(pf *parquet.File) error {
		names, leaves := tablefile.Leaves(pf)
		tab = &table{names: names, cols: map[string][]float64{}, meta: tablefile.Meta(pf), rows: int(pf.NumRows())}
		_, multi := tab.meta[bandsKey]
		for _, name := range required {
			if _, ok := leaves[name]; !ok && !(multi && name == "flux") {
				return fmt.Errorf("%s: no column %q (has %s)", path, name, strings.Join(tab.names, ", "))
			}
		}
		// Column by column, page by page: no row assembly.
		for _, name := range tab.names {
			col := make([]float64, 0, tab.rows)
			if err := tablefile.ReadColumn(pf, path, name, leaves[name].ColumnIndex, func(v parquet.Value) {
				col = append(col, tablefile.Float(v))
			}); err != nil {
				return err
			}
			if len(col) != tab.rows {
				return fmt.Errorf("%s: column %q has %d values for %d rows", path, name, len(col), tab.rows)
			}
			tab.cols[name] = col
		}
		return selectBand(path, tab, band)
	})
	if err != nil {
		return nil, err
	}
	return tab, nil
}

// readMeta returns a Parquet file's key-value metadata without reading its columns.
func readMeta(path string) (meta map[string]string, err error) {
	err = tablefile.With(path, func(pf *parquet.File) error {
		meta = tablefile.Meta(pf)
		return nil
	})
	return meta, err
}
