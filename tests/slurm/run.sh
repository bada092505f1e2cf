#!/usr/bin/env bash
# `anneal submit` and `anneal status` against a real single-node SLURM cluster (docs/cluster.md).
#
#   tests/slurm/run.sh            # as root; installs SLURM with apt-get when CI=true
#   ANNEAL=target/release/anneal tests/slurm/run.sh
#
# 1. Runs the library tests/slurm/lib locally (`anneal test --sweeps-only --out`): the reference.
# 2. Submits it as an array of 4 tasks and a dependent merge, waits, and compares the merged
#    folder with the reference byte for byte.
# 3. Submits it again, cancels task 2 while it runs (scancel), checks that `anneal status`
#    reports it cancelled and that `anneal merge` refuses the shards, resumes with
#    `anneal status --resume`, waits, and compares again.
#
# When the cluster cannot start (no root, no packages, daemons that do not come up), the test
# prints SKIPPED with the reason and exits 0; every other failure exits 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS

say() { echo "slurm test: $*"; }
fail() {
  echo "slurm test: FAILED: $*" >&2
  exit 1
}

install=()
if [[ ${CI:-} == true ]]; then
  install=(--install)
fi
if ! reason=$(tests/slurm/start-cluster.sh "${install[@]}" 2>&1); then
  echo "================================================================"
  echo "SKIPPED: the SLURM test, because a SLURM cluster cannot start here:"
  echo "$reason"
  echo "================================================================"
  exit 0
fi
say "$reason"

if [[ -z ${ANNEAL:-} ]]; then
  cargo build --release --locked --bin anneal
  ANNEAL=target/release/anneal
fi
ANNEAL=$(realpath "$ANNEAL")
[[ -x $ANNEAL ]] || fail "no anneal executable at $ANNEAL"

# On one node every folder is shared; a cluster would need this under a shared filesystem.
scratch=$(mktemp -d /tmp/anneal-slurm.XXXXXX)
cp -r "$root/tests/slurm/lib" "$scratch/lib"
cd "$scratch"
say "working in $scratch with $ANNEAL"
export NO_COLOR=1

"$ANNEAL" test lib --sweeps-only --out local >local.log || {
  cat local.log
  fail "the local run failed"
}
[[ -f local/cooling.rates/sweep.yaml && -f local/small/seeds.seeds/sweep.yaml ]] ||
  fail "the local run wrote no sweep folders"

# The array job of a work folder, from its submission.yaml (the first job is the array).
array_job() { sed -n "s/^  id: '\{0,1\}\([0-9]*\)'\{0,1\}$/\1/p" "$1/submission.yaml" | head -n 1; }

# Waits until `anneal status WORK` reports every task done and the merge done.
wait_for_merge() {
  local work=$1
  for _ in $(seq 600); do
    # anneal status exits 1 as soon as a task or the merge failed.
    if ! "$ANNEAL" status "$work" >status.log 2>&1; then
      cat status.log
      tail -n 20 "$work"/logs/* 2>/dev/null || true
      fail "$work: a task or the merge failed"
    fi
    grep -q '^merge: done' status.log && return 0
    sleep 0.5
  done
  cat status.log
  fail "$work: not merged after 5 minutes"
}

compare() {
  local work=$1
  if ! diff -r local "$work/sweeps"; then
    fail "$work/sweeps differs from the local run's folder"
  fi
  say "$work/sweeps is byte for byte the local run's folder ($(find local -type f | wc -l) files)"
}

# --- 1. A whole sweep: 4 tasks, then the merge. ---
"$ANNEAL" submit lib --work sweep-a --tasks 4 | tee submit-a.log
grep -q '4 tasks of at most 4 items' submit-a.log || fail "the sweep was not split into 4 tasks"
job=$(array_job sweep-a)
[[ -n $job ]] || fail "no job id in sweep-a/submission.yaml"
tasks=$(squeue --noheader --array --states=all --jobs="$job" --format=%i | grep -c "^${job}_" || true)
[[ $tasks == 4 ]] || fail "the array job $job has $tasks tasks, not 4"
wait_for_merge sweep-a
compare sweep-a
say "part 1 (submit, wait, compare) passed at $((SECONDS - started)) s"

# --- 2. Cancel a running task, see it in status, resume. ---
# A task runs for a few seconds; should it finish before scancel reaches it (a much faster
# machine), the attempt proves nothing, so it is made again in a new work folder.
cancelled=
for attempt in 1 2 3; do
  b=sweep-b$attempt
  "$ANNEAL" submit lib --work "$b" --tasks 4 >submit-b.log
  job=$(array_job "$b")
  running=
  for _ in $(seq 1200); do
    state=$(squeue --noheader --array --states=all --jobs="${job}_2" --format=%T 2>/dev/null || true)
    [[ $state == RUNNING ]] && running=yes && break
    [[ -n $state && $state != PENDING && $state != CONFIGURING ]] && break
    sleep 0.05
  done
  [[ -n $running ]] || fail "task 2 of job $job never ran (state: ${state:-none})"
  scancel "${job}_2"
  # Let the other tasks end, so that only the cancellation is missing.
  for _ in $(seq 600); do
    active=$(squeue --noheader --array --jobs="$job" --format=%i 2>/dev/null | grep -c "^${job}_" || true)
    [[ $active == 0 ]] && break
    sleep 0.5
  done
  if [[ ! -e "$b"/shards/2 ]]; then
    cancelled=yes
    say "cancelled task ${job}_2 while it ran (attempt $attempt)"
    break
  fi
  say "task ${job}_2 finished before scancel reached it (attempt $attempt); again"
done
[[ -n $cancelled ]] || fail "no attempt cancelled task 2 while it ran"
if "$ANNEAL" status "$b" >status-b.log; then
  cat status-b.log
  fail "anneal status exits 0 with a cancelled task"
fi
cat status-b.log
grep -q '^  task 2: CANCELLED' status-b.log || fail "anneal status does not report task 2 cancelled"
grep -q '3 done, 0 queued, 1 failed' status-b.log || fail "anneal status does not count 3 done and 1 failed"
[[ ! -e "$b"/shards/2 ]] || fail "the cancelled task left $b/shards/2"
if "$ANNEAL" merge "$b"/shards/{1..4} --out refused >merge-b.log 2>&1; then
  fail "anneal merge accepted the shards of a sweep with a cancelled task"
fi
[[ ! -e refused ]] || fail "the refused merge wrote refused/"
say "anneal merge refuses the shards: $(cat merge-b.log)"
"$ANNEAL" status "$b" --resume | tee resume-b.log
grep -q '^resubmitted task 2: job' resume-b.log || fail "--resume did not resubmit task 2 alone"
wait_for_merge "$b"
compare "$b"
say "part 2 (scancel, status, --resume) passed"

cd "$root"
rm -rf "$scratch"
say "passed in $((SECONDS - started)) s"
