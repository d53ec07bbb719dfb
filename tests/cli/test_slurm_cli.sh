#!/bin/sh
# test_slurm_cli.sh: a sharded `yolo detect` on a real one-node Slurm cluster.
# The test configures Debian's slurm-wlm and munge in a temporary folder (loopback only, its
# own ports, socket and key), starts munged, slurmctld and slurmd as root, submits
#   sbatch --array=0-3 --wait   running   yolo detect ... IMAGES --json   with no --shard
# (each task takes its shard from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT), merges the
# four per-shard files with `yolo merge --source`, and compares with a single-process run:
# the same lines, byte for byte apart from the "ms" timings. IMAGES is a folder of links to
# the first 32 coco128 images (8 per task): what is checked here is the Slurm plumbing, which
# all 128 images (test_detect_cli.sh runs them) checked no better at 4x the time (168 s of
# the ASan run). Every daemon it started is stopped on exit. Needs root (the daemons run as
# root): as another user it says SKIP.
set -u
YOLO=${YOLO:-build/yolo}; SHARED=${SHARED:-../shared}
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the Slurm daemons need root"; exit 0; fi
for b in munged mungekey slurmctld slurmd sbatch sinfo; do
    command -v "$b" > /dev/null || { echo "FAIL: $b missing (sh scripts/install-deps.sh installs slurm-wlm munge)"; exit 1; }
done
T=$(mktemp -d)
stop() {   # each daemon this test started, by the pid in its own pid file
    for p in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/munged.pid"; do
        [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
    done
    for i in 1 2 3 4 5 6 7 8 9 10; do
        alive=0
        for p in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/munged.pid"; do
            [ -s "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && alive=1
        done
        [ $alive -eq 0 ] && break; sleep 0.5
    done
    rm -rf "$T"
}
trap stop EXIT
fails=0; checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
strip_ms() { sed 's/"ms": {[^}]*}, //' "$1"; }
C=$T/images; NI=32; PER=$((NI / 4))
mkdir -p "$C"
CA=$(cd "$SHARED/data/coco128/images/train2017" && pwd)
for f in $(ls "$CA" | sort | head -n $NI); do ln -s "$CA/$f" "$C/$f"; done
YOLO_ABS=$(cd "$(dirname "$YOLO")" && pwd)/$(basename "$YOLO")

"$YOLO" build "$SHARED/data/models/yolov8n_dq.onnx" -o "$T/e.engine" > /dev/null 2> "$T/err" ||
    { echo "FAIL: build: $(cat "$T/err")"; exit 1; }
# the single-process run to compare with
env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX "$YOLO" detect "$T/e.engine" "$C" --json --nosave \
    --save-dir "$T/one" -t 1 -q > /dev/null 2> "$T/err" && ok || fail "single run: $(cat "$T/err")"

# ---- the cluster: munge, then a controller and a node on 127.0.0.1
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/D"
chmod 700 "$T/munge"
mungekey -c -k "$T/munge/munge.key" 2> "$T/err" || { echo "FAIL: mungekey: $(cat "$T/err")"; exit 1; }
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" --num-threads=2 \
    --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" ||
    { echo "FAIL: munged did not start"; exit 1; }
# the two ports below Linux's ephemeral range (32768 up): no outgoing connection of a test
# running beside this one, nor a port test_video_live_cli.sh takes from the kernel, lands there
H=$(hostname -s); P=$((20000 + $$ % 12000))
cat > "$T/slurm.conf" <<CONF
ClusterName=yolotest
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
SlurmctldPort=$P
SlurmdPort=$((P + 1))
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
NodeName=$H NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=yolo Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$SLURM_CONF" -i && slurmd -f "$SLURM_CONF" ||
    { echo "FAIL: slurm daemons did not start: $(tail -3 "$T/slurmctld.log" "$T/slurmd.log" 2>&1)"; exit 1; }
state=""
for i in $(seq 60); do
    state=$(sinfo -h -o %t 2>/dev/null); [ "$state" = idle ] && break; sleep 0.5
done
[ "$state" = idle ] && ok || fail "the node is '$state', not idle: $(tail -5 "$T/slurmd.log" 2>&1)"

# ---- the array job: four tasks, no --shard
cat > "$T/job.sh" <<JOB
#!/bin/sh
exec "$YOLO_ABS" detect "$T/e.engine" "$C" --json --nosave --save-dir "$T/D" -t 1 -j 1 -q
JOB
timeout 600 sbatch --array=0-3 --wait --chdir="$(pwd)" -o "$T/job-%a.out" -e "$T/job-%a.err" "$T/job.sh" \
    > "$T/sbatch.out" 2>&1 && ok || fail "sbatch --wait: exit $?: $(cat "$T/sbatch.out" "$T"/job-*.err 2>&1 | tail -8)"
for k in 0 1 2 3; do
    grep -q "^shard $k/4 (from SLURM_ARRAY_TASK_ID=$k of 4 array tasks): images $((k * PER + 1)) to $((k * PER + PER)) of $NI\$" \
        "$T/job-$k.out" && ok || fail "task $k did not say its shard: $(head -3 "$T/job-$k.out" "$T/job-$k.err" 2>&1)"
    [ -s "$T/D/detections.0000$k-of-00004.jsonl" ] && ok || fail "no detections.0000$k-of-00004.jsonl: $(ls "$T/D")"
done
"$YOLO" merge "$T/D" -o "$T/merged.jsonl" --source "$C" > "$T/merge.out" 2>&1 && ok ||
    fail "merge: exit $?: $(cat "$T/merge.out")"
grep -q "^merged 4 files, $NI lines: $NI images, .* 0 failed, 0 duplicates dropped$" "$T/merge.out" &&
    grep -q ": $NI images, 0 gaps" "$T/merge.out" && ok || fail "merge report: $(cat "$T/merge.out")"
strip_ms "$T/merged.jsonl" > "$T/a"; strip_ms "$T/one/detections.jsonl" > "$T/b"
[ "$(wc -l < "$T/a")" -eq $NI ] && cmp -s "$T/a" "$T/b" && ok ||
    fail "the merged array run differs from the single run: $(diff "$T/a" "$T/b" | head -4 | cut -c1-200)"

echo "test_slurm_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
