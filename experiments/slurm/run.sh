#!/bin/bash
# Runs probcat's tiles as a real Slurm job array on a single-node cluster on loopback and
# checks the merged ensemble equals the single-process `probcat sample --tile` run.
#
#   experiments/slurm/run.sh            (as root, from the module root; needs apt access)
#
# It installs Debian's slurm-wlm and munge, starts munged, slurmctld and slurmd with a minimal
# slurm.conf describing this machine (its real CPUs and memory), submits
# `probcat run-tile` as an array (probcat-tile.sbatch) and the merge with
# --dependency=afterok, waits, compares, and stops the daemons it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${WORK:-/tmp/probcat-slurm}
size=${SIZE:-128}
tile=${TILE:-48}
flags=(--samples 20 --burn-in 20 --proposals 50 --chains 2 --seed 3)
t0=$(date +%s)

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
t_install=$(date +%s)

rm -rf "$work"
mkdir -p "$work"/{state,spool,munge,log}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# munge: a fresh key and a private socket.
mungekey --create --keyfile "$work/munge/munge.key" --force
chmod 600 "$work/munge/munge.key"
munged --foreground --force --key-file "$work/munge/munge.key" --socket "$work/munge/munge.socket" \
	--pid-file "$work/munge/munged.pid" --log-file "$work/log/munged.log" --seed-file "$work/munge/seed" \
	>"$work/log/munged.out" 2>&1 &
pids+=($!)

# slurm.conf for this node: CPUs and memory as slurmd measures them.
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2/1024*0.9)}' /proc/meminfo)
cat > "$work/slurm.conf" <<CONF
ClusterName=probcat
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
for i in $(seq 60); do
	if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then break; fi
	sleep 1
done
sinfo
t_cluster=$(date +%s)

# probcat, an image, a plan.
cd "$root"
go build -o "$work/probcat" ./cmd/probcat
export PROBCAT=$work/probcat
"$PROBCAT" simulate --out "$work/sim" --width "$size" --height "$size" --density 0.02 --seed 9 >/dev/null
"$PROBCAT" plan "$work/sim/image.fits" --out "$work/plan" --tile "$tile" "${flags[@]}"
n=$(grep -c '"index"' "$work/plan/manifest.json")

# The array and the dependent merge.
cd "$work"
export PLAN=$work/plan
array=$(sbatch --parsable --array=0-$((n - 1)) --mem=1G --export=ALL "$root/experiments/slurm/probcat-tile.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"$array" --mem=2G --export=ALL --job-name=probcat-merge \
	--output="$work/merge-%j.out" --wrap '"$PROBCAT" merge "$PLAN" --quiet')
echo "submitted array $array ($n tasks) and merge $merge"
for i in $(seq 1800); do
	if ! squeue -h -j "$array,$merge" 2>/dev/null | grep -q .; then break; fi
	sleep 1
done
state=$(scontrol show job "$merge" | grep -o 'JobState=[A-Z_]*')
tasks=$(scontrol show job "$array" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ' | paste -sd,)
echo "array tasks:$tasks; merge job: $state"
t_slurm=$(date +%s)

# The same run in one process.
"$PROBCAT" sample "$work/sim/image.fits" --out "$work/single" --tile "$tile" "${flags[@]}" --quiet
result=DIFFERENT
if cmp "$work/plan/ensemble.parquet" "$work/single/ensemble.parquet"; then result=IDENTICAL; fi
echo "ensemble.parquet, Slurm array + merge vs probcat sample --tile: $result"
for f in samples.parquet condensed.parquet model.fits; do
	cmp -s "$work/plan/$f" "$work/single/$f" && echo "$f: identical" || echo "$f: DIFFERENT"
done
echo "slurm $(sinfo -V), $cpus CPUs, ${mem} MB; $n tiles of $tile px on a ${size}x${size} image"
echo "times: install $((t_install - t0)) s, cluster start $((t_cluster - t_install)) s, array + merge $((t_slurm - t_cluster)) s"
[ "$result" = IDENTICAL ] && [ "$state" = JobState=COMPLETED ]
