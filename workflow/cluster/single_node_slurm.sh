#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to run the pipeline through Slurm for real.
#
#   workflow/cluster/single_node_slurm.sh start    install (if missing), configure, start, wait for the node
#   workflow/cluster/single_node_slurm.sh status   daemons and node state; exit 0 only if the node takes jobs
#   workflow/cluster/single_node_slurm.sh stop     stop the daemons this script started
#
# Needs root (apt-get, daemons running as root). Installs Debian's slurm-wlm and munge when
# missing. Everything it makes lives in $TRIALFLOW_SLURM_STATE (default /var/lib/trialflow-slurm):
# munge key and socket, Slurm's state and spool, the daemons' logs and pid files; the only file
# outside it is /etc/slurm/slurm.conf, where Debian's Slurm commands look for it, written with a
# marker line so that a slurm.conf this script did not write is never overwritten.
#
# The cluster: this host's short hostname as the only node (CPUs and memory as `slurmd -C`
# reports them), reached on 127.0.0.1; one default partition `local`; no accounting (no
# slurmdbd: `sacct` answers "accounting storage is disabled", so job status comes from
# `squeue`, which keeps finished jobs for MinJobAge seconds); no cgroups (a container):
# proctrack/linuxproc, task/none; jobs share the node by cores and memory (select/cons_tres).
# `start` twice is fine: a running cluster is left as it is.
set -euo pipefail

STATE=${TRIALFLOW_SLURM_STATE:-/var/lib/trialflow-slurm}
CONF=/etc/slurm/slurm.conf
MARKER="# Written by trialflow workflow/cluster/single_node_slurm.sh"
TIMEOUT=${TRIALFLOW_SLURM_TIMEOUT:-60}
MUNGE_SOCKET=$STATE/munge/munge.socket
MIN_JOB_AGE=600 # seconds squeue keeps a finished job: must exceed the executor's status-check interval

say() { printf 'single_node_slurm: %s\n' "$*"; }
die() {
    say "ERROR: $*" >&2
    exit 1
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it installs Debian packages and starts daemons)"
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    say "installing slurm-wlm and munge from Debian (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian's packages try to start their own services on install; in a container
    # policy-rc.d refuses that, elsewhere this script's daemons use their own socket and files.
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

node_line() {
    # "NodeName=<host> CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
    slurmd -C | head -n 1
}

write_conf() {
    local node host new
    node=$(node_line)
    host=$(hostname -s)
    [[ $node == "NodeName=$host "* ]] || die "slurmd -C names the node '${node%% *}', expected NodeName=$host"
    new=$(
        cat <<EOF
$MARKER; state in $STATE.
ClusterName=trialflow
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No accounting database, no job accounting, no cgroups (this may be a container).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
# Several small jobs share the node, by cores and memory.
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Finished jobs stay visible to squeue this long (the executor polls squeue, not sacct).
MinJobAge=$MIN_JOB_AGE
ReturnToService=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    )
    if [[ -e $CONF ]] && ! grep -qxF "$MARKER; state in $STATE." "$CONF"; then
        die "$CONF exists and was not written by this script (for state $STATE); not overwriting it"
    fi
    mkdir -p "$(dirname "$CONF")"
    CONF_CHANGED=0
    if [[ -e $CONF ]] && [[ $(cat "$CONF") == "$new" ]]; then
        return 0
    fi
    printf '%s\n' "$new" >"$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
    CONF_CHANGED=1
    say "wrote $CONF"
}

pid_alive() { # pidfile
    [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

munge_ok() {
    pid_alive "$STATE/run/munged.pid" && munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1
}

start_munge() {
    munge_ok && return 0
    mkdir -p "$STATE/munge"
    chmod 0755 "$STATE/munge" # munged wants its socket folder searchable by all; the key is 0600
    if [[ ! -s $STATE/munge/munge.key ]]; then
        (umask 077 && mungekey --create --keyfile="$STATE/munge/munge.key")
        say "created munge key $STATE/munge/munge.key"
    fi
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    munged --socket="$MUNGE_SOCKET" --key-file="$STATE/munge/munge.key" \
        --log-file="$STATE/log/munged.log" --pid-file="$STATE/run/munged.pid" \
        --seed-file="$STATE/munge/munged.seed"
    munge_ok || {
        tail -n 20 "$STATE/log/munged.log" >&2 || true
        die "munged did not start (log above)"
    }
    say "munged started (pid $(cat "$STATE/run/munged.pid"))"
}

node_state() {
    sinfo --noheader --nodes="$(hostname -s)" --format=%T 2>/dev/null | head -n 1 || true
}

node_takes_jobs() {
    case $(node_state) in
    idle | mixed | allocated | completing) return 0 ;;
    *) return 1 ;;
    esac
}

show_logs() {
    local log
    for log in slurmctld slurmd munged; do
        if [[ -f $STATE/log/$log.log ]]; then
            printf '\n--- last lines of %s ---\n' "$STATE/log/$log.log" >&2
            tail -n 25 "$STATE/log/$log.log" >&2
        fi
    done
}

start() {
    need_root
    install_packages
    mkdir -p "$STATE"/{slurmctld,slurmd,run,log}
    write_conf
    start_munge
    if [[ $CONF_CHANGED -eq 1 ]]; then # a new config: restart daemons that run with an old one
        stop_slurm_daemons
    fi
    if ! pid_alive "$STATE/run/slurmctld.pid"; then
        slurmctld -i # -i: start even if the saved state cannot be read (no job here is worth keeping)
        say "slurmctld started"
    fi
    if ! pid_alive "$STATE/run/slurmd.pid"; then
        slurmd -N "$(hostname -s)"
        say "slurmd started"
    fi
    local waited=0
    until node_takes_jobs; do
        if ((waited >= TIMEOUT)); then
            say "ERROR: node $(hostname -s) not idle after ${TIMEOUT}s (state: '$(node_state)')" >&2
            scontrol show node "$(hostname -s)" >&2 2>&1 || true
            show_logs
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "node $(hostname -s) is $(node_state); partition local takes jobs (sinfo below)"
    sinfo
}

stop_slurm_daemons() {
    local daemon pidfile pid
    for daemon in slurmd slurmctld; do
        pidfile=$STATE/run/$daemon.pid
        pid_alive "$pidfile" || continue
        pid=$(cat "$pidfile")
        kill "$pid"
        for _ in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        rm -f "$pidfile"
        say "$daemon stopped (pid $pid)"
    done
}

stop() {
    need_root
    stop_slurm_daemons
    if pid_alive "$STATE/run/munged.pid"; then
        local pid
        pid=$(cat "$STATE/run/munged.pid")
        kill "$pid"
        rm -f "$STATE/run/munged.pid"
        say "munged stopped (pid $pid)"
    fi
    # With a slurm.conf but no slurmctld, `scontrol show config` waits 9 s before it fails, and
    # snakemake-executor-plugin-slurm runs it when it is imported, i.e. at every snakemake start,
    # local runs included. Without the file scontrol fails at once; `start` writes it again.
    if [[ -e $CONF ]] && grep -qxF "$MARKER; state in $STATE." "$CONF"; then
        rm -f "$CONF"
        say "removed $CONF (start writes it again)"
    fi
}

status() {
    local daemon rc=0
    for daemon in munged slurmctld slurmd; do
        if pid_alive "$STATE/run/$daemon.pid"; then
            say "$daemon running (pid $(cat "$STATE/run/$daemon.pid"))"
        else
            say "$daemon not running"
            rc=1
        fi
    done
    if [[ $rc -eq 0 ]] && node_takes_jobs; then
        say "node $(hostname -s) is $(node_state)"
        sinfo
        squeue
    else
        say "the cluster does not take jobs"
        rc=1
    fi
    return $rc
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
