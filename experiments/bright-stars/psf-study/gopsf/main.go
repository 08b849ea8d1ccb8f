// Renders probcat's own PSF (survey/sdss KLPSF.Field as the sampler uses it: 25-px stamps, 128-px cells,
// psf.FromImage resampling, render table) for each star at a grid of sub-pixel positions, into 11x11 boxes
// centred on the star's integer pixel. Output: float32 little-endian [star][oy][ox][11][11], offsets
// -0.6..0.6 step 0.05. Usage: go run . stars.txt out.bin
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/probcat/probcat/model"
	"github.com/probcat/probcat/survey/sdss"
)

func main() {
	data := os.Getenv("PROBCAT_DATA")
	if data == "" {
		data = "../../../../../shared/data" // from experiments/bright-stars/psf-study/gopsf
	}
	k, err := sdss.ReadKLPSF(filepath.Join(data, "m2-sdss-2583-2-136", "psField-002583-2-0136.fit"), "r")
	if err != nil {
		log.Fatal(err)
	}
	mode := os.Getenv("MODE") // "field" (default, as the sampler) or "own" (KL at the star's own position)
	f, err := k.Field(sdss.Box{X0: 0, Y0: 0, W: 2048, H: 1489}, 0, 25)
	if err != nil {
		log.Fatal(err)
	}
	in, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	out, err := os.Create(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	const r = 5
	for sc.Scan() {
		var x0, y0 int
		if _, err := fmt.Sscan(sc.Text(), &x0, &y0); err != nil {
			log.Fatal(err)
		}
		p := f.At(float64(x0), float64(y0))
		if mode == "own" {
			if p, err = k.PSF(float64(x0), float64(y0), 25); err != nil {
				log.Fatal(err)
			}
		}
		for oy := -12; oy <= 12; oy++ {
			for ox := -12; ox <= 12; ox++ {
				b := model.Box{Pix: make([]float32, (2*r+1)*(2*r+1)), Stride: 2*r + 1, X0: x0 - r, Y0: y0 - r, W: 2*r + 1, H: 2*r + 1}
				p.AddTo(b, float64(x0)+0.05*float64(ox), float64(y0)+0.05*float64(oy), 1)
				if err := binary.Write(w, binary.LittleEndian, b.Pix); err != nil {
					log.Fatal(err)
				}
			}
		}
	}
	w.Flush()
	out.Close()
}
