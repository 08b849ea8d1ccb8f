package survey

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/probcat/probcat/model"
)

// PCATImage reads PCAT's text inputs: an image of counts (`*_cts.txt`: one text row per image
// row, bias included) and its calibration file (`*_pix.txt`: "width height flag", then
// "bias gain", then for flag 2 the nanomaggies per count, which gives the zero point
// 22.5 + 2.5 log10(1/NMGY)). The background, which PCAT keeps separately (179 ADU on M2 r),
// is left at 0 for the caller to set.
func PCATImage(ctsPath, pixPath string) (*model.Image, error) {
	w, h, bias, gain, nmgy, err := readPCATPix(pixPath)
	if err != nil {
		return nil, err
	}
	vals, rows, err := readTextTable(ctsPath)
	if err != nil {
		return nil, err
	}
	if rows != h || len(vals) != w*h {
		return nil, fmt.Errorf("%s: has %d rows and %d values, but %s says %d×%d", ctsPath, rows, len(vals), pixPath, w, h)
	}
	im := model.NewImage(w, h)
	for i, v := range vals {
		im.Pix[i] = float32(v)
	}
	im.Bias, im.Gain = bias, gain
	if nmgy > 0 {
		im.ZeroPoint, im.HasZeroPoint = 22.5+2.5*math.Log10(1/nmgy), true
	}
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", ctsPath, err)
	}
	return im, nil
}

func readPCATPix(path string) (w, h int, bias, gain, nmgy float64, err error) {
	vals, _, err := readTextTable(path)
	if err != nil {
		return
	}
	if len(vals) < 5 {
		err = fmt.Errorf("%s: PCAT calibration file needs \"width height flag\" and \"bias gain\", found %d numbers", path, len(vals))
		return
	}
	w, h = int(vals[0]), int(vals[1])
	bias, gain = vals[3], vals[4]
	if int(vals[2]) == 2 && len(vals) >= 6 {
		nmgy = vals[5]
	}
	if w <= 0 || h <= 0 || float64(w) != vals[0] || float64(h) != vals[1] {
		err = fmt.Errorf("%s: bad image size %g×%g", path, vals[0], vals[1])
	} else if !(gain > 0) {
		err = fmt.Errorf("%s: gain must be positive, got %g", path, gain)
	}
	return
}

// readTextTable reads whitespace-separated numbers, returning them in order and the number
// of non-empty lines.
func readTextTable(path string) ([]float64, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return parseTextTable(path, f)
}

func parseTextTable(path string, r io.Reader) ([]float64, int, error) {
	var vals []float64
	rows := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		rows++
		for _, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: line %d: %q is not a number", path, line, s)
			}
			vals = append(vals, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %v", path, err)
	}
	if len(vals) == 0 {
		return nil, 0, fmt.Errorf("%s: no numbers found", path)
	}
	return vals, rows, nil
}
