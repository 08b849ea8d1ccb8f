// Command kernels measures probcat's render kernels on this machine and prints the Markdown
// table kept in README.md: for every kernel and path, pixels per second, GFLOP/s, the
// fraction of this core's peak FMA rate, and the speed-up over the portable Go path.
//
//	go run ./experiments/kernels [-count 3]
//
// It runs the benchmarks of package render (go test -bench) and keeps, for each, the best of
// -count runs; each benchmark's rates are themselves the best of 100 short batches, measured
// beside the FMA peak loop in the same process (see render/bench_test.go).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// result is one benchmark's best rates.
type result struct {
	mpix, gflops, frac float64
}

func main() {
	count := flag.Int("count", 3, "runs of each benchmark; the best is kept")
	flag.Parse()
	fmt.Printf("Machine: %s, %s; load average before: %s\n\n", cpuModel(), goVersion(), loadAverage())
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-count", strconv.Itoa(*count), "./render/")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kernels: go test: %v\n%s", err, out)
		os.Exit(1)
	}
	best := parse(out)
	fmt.Printf("Load average after: %s\n\n", loadAverage())
	print(best)
}

var line = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+\S+ ns/op(.*)$`)

// parse reads go test -bench output and keeps the best result of each benchmark.
func parse(out []byte) map[string]result {
	best := map[string]result{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var r result
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "Mpix/s":
				r.mpix = v
			case "GFLOP/s":
				r.gflops = v
			case "peak-frac":
				r.frac = v
			}
		}
		if old, ok := best[m[1]]; !ok || r.gflops > old.gflops {
			best[m[1]] = r
		}
	}
	return best
}

// print writes the table: one row per benchmark, with the speed-up over the generic path of
// the same kernel and case.
func print(best map[string]result) {
	names := make([]string, 0, len(best))
	for n := range best {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Println("| kernel | path | case | Mpix/s | GFLOP/s | peak-frac | × generic |")
	fmt.Println("|---|---|---|---:|---:|---:|---:|")
	for _, n := range names {
		r := best[n]
		parts := strings.Split(n, "/")
		kernel, path, cse := parts[0], "", ""
		if len(parts) == 3 {
			path, cse = parts[1], parts[2]
		} else if len(parts) == 2 {
			cse = parts[1]
		}
		speed := ""
		if g, ok := best[kernel+"/generic/"+cse]; ok && path != "" && g.gflops > 0 {
			speed = fmt.Sprintf("%.1f", r.gflops/g.gflops)
		}
		mpix := ""
		if r.mpix > 0 {
			mpix = fmt.Sprintf("%.0f", r.mpix)
		}
		fmt.Printf("| %s | %s | %s | %s | %.1f | %.3f | %s |\n", kernel, path, cse, mpix, r.gflops, r.frac, speed)
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return "go (unknown version)"
	}
	return strings.TrimSpace(string(out))
}
