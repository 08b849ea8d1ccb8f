#!/bin/sh
# r alone against r+i on the M2 cutout (issue 14), one seed; see README.md.
# Usage: run.sh PROBCAT OUTDIR   (data from $PROBCAT_DATA, default ../shared/data)
set -eu
P=$1
OUT=$2
D=${PROBCAT_DATA:-../shared/data}/m2-sdss-2583-2-136
T=$D/true_hubble_m2.npy
COMMON="--sdss $D/frame-r-002583-2-0136.fits.bz2 --psfield $D/psField-002583-2-0136.fit
  --cutout 310,630,100,100 --threads 1 --seed 1 --chains 4 --burn-in 1000 --max-burn-in 1000
  --samples 300 --quiet"
mkdir -p "$OUT"
run() { # name, extra flags
	name=$1
	shift
	/usr/bin/time -f "%U %S %e %M" -o "$OUT/$name.time" $P sample $COMMON "$@" --out "$OUT/$name"
	for f in ensemble catalogue; do
		for cut in "" "--faint 19.8"; do
			# the r band of every run, StarNet's rule against HST
			$P score "$OUT/$name/$f.parquet" $cut --truth "$T" --truth-shift 310,630 \
				--frame 310,630,100,100 --rule starnet --zero-point 28.1551 \
				> "$OUT/$name-$f${cut:+-bright}.json"
		done
	done
}
run r
run r-fixed --sample-slope=false
run ri --bands r,i
run ri-spread --bands r,i --colour-spread 0.5
run ri-fixed --bands r,i --sample-slope=false
run ri-colour --bands r,i --sample-slope=false --colour-prior=-0.4,0.3
