package figure

import (
	"bufio"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/probcat/probcat/internal/atomicfile"
)

// PanelGrid arranges panels in rows of cols for WritePanels, in order, the last row
// completed with blank panels: adding a diagnostic is adding a panel to the list.
func PanelGrid(panels []*plot.Plot, cols int) [][]*plot.Plot {
	var grid [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := append([]*plot.Plot(nil), panels[i:min(i+cols, len(panels))]...)
		for len(row) < cols {
			blank := plot.New()
			blank.HideAxes()
			row = append(row, blank)
		}
		grid = append(grid, row)
	}
	return grid
}

// WritePanels draws plots as a grid of 6-inch panels (rows of columns, axes aligned) and
// writes the PNG to path through a temporary file, so a failure leaves nothing behind.
func WritePanels(path string, plots [][]*plot.Plot) error {
	const side = 6 * vg.Inch
	rows, cols := len(plots), len(plots[0])
	img := vgimg.New(vg.Length(cols)*side, vg.Length(rows)*side)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, draw.New(img))
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	return writePNG(path, img)
}

// writePNG encodes a canvas as PNG into path, atomically.
func writePNG(path string, img *vgimg.Canvas) error {
	return atomicfile.Write(path, func(w *bufio.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}
