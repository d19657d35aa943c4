# bench/lib.sh — process helpers shared by bench/run and its parts
# (run_routes, run_templates, run_runtime); sourced, never run.
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

# utime+stime, in clock ticks, summed over the process tree of $1 (every
# thread of each process: /proc/PID/stat counts them all).
cpu_ticks() {
    local sum=0 p stat f
    for p in $(tree "$1"); do
        stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
        read -r -a f <<<"${stat##*) }" # fields from 3 (state) on
        sum=$((sum + f[11] + f[12]))   # fields 14 and 15
    done
    echo "$sum"
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
