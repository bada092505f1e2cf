#!/usr/bin/env bash
# Installs (when asked) and starts a single-node SLURM cluster on this machine: munge, slurmctld
# and slurmd, with the node named after this host and sized by `slurmd -C`. Needs root.
#
#   tests/slurm/start-cluster.sh [--install]
#
# Exits 0 once `sinfo` shows the node idle, 1 when the cluster cannot start (the caller reports
# the reason and skips); everything it writes lives in /etc/slurm, /var/spool/slurm* and
# /var/log/slurm*. Accounting is off (no slurmdbd): `anneal status` reads squeue and the shard
# folders, which is what a cluster without sacct offers too.
set -uo pipefail

fail() {
  echo "start-cluster: $*" >&2
  exit 1
}

if [[ ${1:-} == --install ]]; then
  command -v apt-get >/dev/null || fail "no apt-get to install SLURM with"
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    apt-get install -y -qq slurmctld slurmd munge >/dev/null || fail "apt-get install slurmctld slurmd munge failed"
  fi
fi
for tool in slurmctld slurmd munged sinfo sbatch squeue scancel; do
  command -v "$tool" >/dev/null || fail "\`$tool\` is not installed (run with --install as root)"
done
[[ $(id -u) == 0 ]] || fail "starting the daemons needs root"

host=$(hostname -s)
# The node's CPUs and memory as slurmd sees them, so that the configuration matches the machine.
node=$(slurmd -C | head -n 1) || fail "slurmd -C failed"
[[ $node == NodeName=* ]] || fail "unexpected \`slurmd -C\` output: $node"

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
# proctrack/linuxproc and task/none need no cgroups, which containers often lack; jobs run as
# the submitting user (root here) and SlurmUser is root so that no system user is needed.
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=anneal-test
# The loopback address, so that the cluster works where the host name does not resolve.
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# Finished jobs stay visible to squeue --states=all for an hour (anneal status reads it).
MinJobAge=3600
MaxArraySize=1001
$node State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
# slurmd -C names the node after the short host name; SlurmctldHost must agree with it.
sed -i "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/" /etc/slurm/slurm.conf

if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null >/dev/null 2>&1; then
  if command -v runuser >/dev/null && id munge >/dev/null 2>&1; then
    runuser -u munge -- munged --force || fail "munged does not start"
  else
    munged --force || fail "munged does not start"
  fi
fi
for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null 2>&1 || fail "munge does not answer"

# A cluster of this script started earlier is restarted with the configuration just written.
pkill_pidfile() {
  local pidfile=$1
  if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 50); do kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  fi
}
pkill_pidfile /run/slurmd.pid
pkill_pidfile /run/slurmctld.pid

slurmctld -c || fail "slurmctld does not start (see /var/log/slurm/slurmctld.log)"
slurmd || fail "slurmd does not start (see /var/log/slurm/slurmd.log)"

for _ in $(seq 120); do
  state=$(sinfo --noheader --nodes="$host" --format=%T 2>/dev/null | head -n 1)
  if [[ $state == idle ]]; then
    echo "start-cluster: node $host idle ($(sinfo --version))"
    exit 0
  fi
  sleep 0.5
done
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 2>/dev/null
fail "the node $host did not become idle (state: ${state:-none})"
