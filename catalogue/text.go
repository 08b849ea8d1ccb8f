package catalogue

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// ReadXYFlux reads a whitespace-separated text catalogue whose rows begin with x, y and flux
// (PCAT's truth files such as sdss.0921_tru.txt; extra columns are ignored, blank lines and
// lines starting with # are skipped). It returns the columns as parallel slices.
func ReadXYFlux(path string) (x, y, flux []float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 3 {
			return nil, nil, nil, fmt.Errorf("%s:%d: want at least 3 columns (x y flux), got %d", path, line, len(fields))
		}
		var v [3]float64
		for k := range v {
			v[k], err = strconv.ParseFloat(fields[k], 64)
			if err != nil || math.IsNaN(v[k]) || math.IsInf(v[k], 0) {
				return nil, nil, nil, fmt.Errorf("%s:%d: column %d is not a finite number: %q", path, line, k+1, fields[k])
			}
		}
		x, y, flux = append(x, v[0]), append(y, v[1]), append(flux, v[2])
	}
	if err := sc.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(x) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no source rows", path)
	}
	return x, y, flux, nil
}
