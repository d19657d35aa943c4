# bench/lib.sh — process helpers shared by bench/run and its parts
# (run_routes, run_templates, run_runtime, run_ws); sourced, never run.
#
# Uses the caller's PY (the Python that picks free ports) and
# START_TIMEOUT (seconds a server gets to accept); defines nothing else
# global.
# shellcheck shell=bash

say() { printf '%s\n' "$*" >&2; }

# The pid and all its descendants, one per line.
tree() {
    local p=$1 c
    [[ -d /proc/$p ]] || return 0
    echo "$p"
    # shellcheck disable=SC2013 # the file is a space-separated list of pids
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done
}

# "utime stime", in clock ticks, each summed over the process tree of $1
# (every thread of each process: /proc/PID/stat counts them all).
cpu_split() {
    local user=0 sys=0 p stat f
    for p in $(tree "$1"); do
        stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
        read -r -a f <<<"${stat##*) }" # fields from 3 (state) on
        user=$((user + f[11]))          # field 14
        sys=$((sys + f[12]))            # field 15
    done
    echo "$user $sys"
}

# utime+stime, in clock ticks, over the process tree of $1.
cpu_ticks() {
    local user sys
    read -r user sys < <(cpu_split "$1")
    echo $((user + sys))
}

# "busy total" jiffies of core $1 from /proc/stat: busy = user nice system irq
# softirq, total = busy + idle iowait steal.
core_jiffies() {
    awk -v c="cpu$1" '$1 == c {b = $2 + $3 + $4 + $7 + $8; print b, b + $5 + $6 + $9}' /proc/stat
}

# Is process $1 running (not gone, not a zombie waiting to be reaped)?
alive() {
    local stat
    stat=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Stop process $1 and its descendants: TERM to all of them, up to 5 s to
# exit cleanly, then KILL; reaps $1 if it is the caller's child.
stop_pid() {
    local all p left
    all=$(tree "$1")
    # shellcheck disable=SC2086 # one pid per word
    [[ -n $all ]] && kill -TERM $all 2>/dev/null
    for _ in $(seq 50); do
        left=0
        for p in $all; do alive "$p" && left=1; done
        ((left)) || break
        sleep 0.1
    done
    for p in $all; do [[ -d /proc/$p ]] && kill -KILL "$p" 2>/dev/null; done
    wait "$1" 2>/dev/null
}

# torn's build directory, absolute: BUILD as make takes it (relative to
# the top of the tree, $1; default build). Build into it with
# `make -C "$1" BUILD="${BUILD:-build}" ...`.
build_dir() {
    local b=${BUILD:-build}
    b=${b%/}
    if [[ $b == /* ]]; then echo "$b"; else echo "$1/$b"; fi
}

# A port nobody listens on right now.
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until 127.0.0.1:$2 accepts, while process $1 is alive (START_TIMEOUT
# seconds at most).
wait_accepting() {
    local pid=$1 port=$2 deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        alive "$pid" || return 1
        if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# kb FIELD PID: a memory figure in kB summed over the process tree of PID:
# Pss_Anon from smaps_rollup (anonymous pages, each split between the
# processes sharing it: the heap, stacks, copy-on-write pages of nginx's
# master and worker), or VmRSS from status. Pss itself would also count the
# shares of library pages, which move whenever another process maps the
# same library (the client, this script's awk).
kb() {
    local field=$1 sum=0 p v
    for p in $(tree "$2"); do
        if [[ $field == anon ]]; then
            v=$(awk '/^Pss_Anon:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null)
        else
            v=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null)
        fi
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# raise_nofile N: the soft (and if need be the hard) limit on descriptors to
# at least N, for this shell and so for every server and client it starts.
raise_nofile() {
    local hard
    hard=$(ulimit -Hn)
    if [[ $hard != unlimited ]] && ((hard < $1)); then
        ulimit -Hn "$1" 2>/dev/null || return 1
    fi
    (($(ulimit -Sn) >= $1)) || ulimit -Sn "$1"
}
