#!/bin/bash
# A fleet on one machine: N throwaway systemd hosts (ops/systemd-box), a signed apt repository
# (ops/repo) served over HTTP, and HAProxy in front of the hosts, all on 127.0.0.1. Ansible
# reaches the hosts over SSH, as it would real ones (docs/fleet.md, "Simulating a fleet on one
# machine").
#
#   simulate.sh up DIR [-n N] [--publish DEB...]   boot the fleet; its state goes to DIR
#   simulate.sh down DIR                           end what `up DIR` started, and nothing else
#   simulate.sh [-n N] [--publish DEB...] [-- CMD...]
#                                                  up in a temporary directory, run CMD (with
#                                                  GUE_FLEET_DIR set) or wait for Ctrl-C, then
#                                                  down: on exit, on failure and on Ctrl-C
#
# Host hN (N = 1..9) is the box gue-fleet-hN, with sshd on 127.0.0.1:220N and the service on
# 127.0.0.1:808N (its conffile is preseeded before the first install). HAProxy listens on
# 127.0.0.1:8080; the repository is http://127.0.0.1:8099/. DIR then holds:
#   inventory.ini   group app, gue_port per host, the SSH settings and the repository variables
#   id_ed25519      the control node's SSH key (authorized for root on every host)
#   gnupg/, repo/   the signing key and the repository (keyring: repo/*-archive-keyring.gpg)
#   haproxy.cfg, haproxy.sock (runtime API), pids (every process started), boxes
# Needs root (systemd-nspawn, overlay mounts).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
readonly BOX=$top/ops/systemd-box
readonly LB_PORT=8080 REPO_PORT=8099 SSH_BASE=2200 APP_BASE=8080
readonly KEYRING_NAME=graceful-upgrade-example-archive-keyring.gpg
readonly CONFFILE=/etc/graceful-upgrade-example/config.json
readonly READY_DEADLINE=30

die() { echo "simulate.sh: $*" >&2; exit 1; }
log() { echo "simulate.sh: $*" >&2; }
usage() { die "usage: simulate.sh up DIR [-n N] [--publish DEB...] | down DIR | [-n N] [--publish DEB...] [-- CMD...]"; }

box_name() { echo "gue-fleet-h$1"; }

# Records a process we started, with what it runs, so that `down` ends exactly it and never a
# process that got the same pid later.
record() { echo "$1 $2" >>"$dir/pids"; }

# Writes a host's files into its overlay before it boots: nothing listens on a port another
# host needs, and the host's other apt sources (the internet) are gone.
prepare_host() {
  local i=$1 root
  root=/dev/shm/$(box_name "$1")/root
  mkdir -p "$root/etc/ssh/sshd_config.d" "$root/root/.ssh" "$(dirname "$root$CONFFILE")"
  # Every box would otherwise start sshd on 0.0.0.0:22 of the one shared network namespace.
  printf 'Port %d\nListenAddress 127.0.0.1\nPermitRootLogin prohibit-password\n' $((SSH_BASE + i)) \
    >"$root/etc/ssh/sshd_config.d/gue-fleet.conf"
  install -m 600 "$dir/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  chmod 700 "$root/root/.ssh"
  # The package's own conffile with this host's port: dpkg keeps it on the first install (see
  # docs/fleet.md: it is "created by you", and apt runs dpkg with --force-confold by Ansible).
  sed -E "s|(\"Listen\": *)\"0\.0\.0\.0:8080\"|\1\"127.0.0.1:$((APP_BASE + i))\"|" \
    "$top/ops/package/config.json" >"$root$CONFFILE"
  grep -q "\"127.0.0.1:$((APP_BASE + i))\"" "$root$CONFFILE" || die "could not set Listen in the conffile of h$i"
  # Only our repository: apt on a simulated host never reaches off this machine.
  rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
  # The host's own HAProxy (installed for this script) would start in every host too.
  ln -sfn /dev/null "$root/etc/systemd/system/haproxy.service"
}

write_inventory() {
  {
    echo "[app]"
    for i in $(seq 1 "$hosts"); do
      echo "h$i ansible_port=$((SSH_BASE + i)) gue_port=$((APP_BASE + i))"
    done
    cat <<EOF

[app:vars]
ansible_host=127.0.0.1
ansible_user=root
ansible_ssh_private_key_file=$dir/id_ed25519
ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'
ansible_python_interpreter=/usr/bin/python3
gue_repo_url=http://127.0.0.1:$REPO_PORT/
gue_repo_keyring=$dir/repo/$KEYRING_NAME
gue_health_address=127.0.0.1
EOF
  } >"$dir/inventory.ini"
}

write_haproxy_config() {
  cat >"$dir/haproxy.cfg" <<EOF
# Written by ops/fleet/simulate.sh; docs/fleet.md ("HAProxy") says why each setting is there.
global
    # ab -c 1000 needs a client and a server connection per request in flight; 4000
    # connections (8000 descriptors) stay inside the usual 20000 descriptor limit.
    maxconn 4000
    # The runtime API (show servers state, set server ... state drain): no reload needed.
    stats socket $dir/haproxy.sock mode 600 level admin
    log stderr format short local0 notice

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    # The claim under test is that a host hands over without losing a request. HAProxy's
    # default (retries 3, a connect failure retried, with option redispatch on another
    # server) would hide a refused connection from the client: no retries, no redispatch.
    retries 0
    no option redispatch
    # A new connection to the host for every request (the client side stays keep-alive).
    # Idle server connections kept for reuse race with a draining host that closes them: a
    # request HAProxy writes on a connection the host is closing becomes a 502 that the
    # client sees (measured: docs/fleet.md, "HAProxy"). With one request per server
    # connection, every request meets the host's listener, which the kernel hands over.
    option http-server-close

frontend fleet
    bind 127.0.0.1:$LB_PORT
    maxconn 4000
    default_backend app

backend app
    balance roundrobin
    # A host that is not ready (starting, or a failed start) takes no traffic; the check
    # only adds safety, the handover does not depend on it.
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 2 maxconn 2000
EOF
  for i in $(seq 1 "$hosts"); do
    echo "    server h$i 127.0.0.1:$((APP_BASE + i))" >>"$dir/haproxy.cfg"
  done
}

wait_for_port() {
  local port=$1 what=$2 deadline=$((SECONDS + READY_DEADLINE))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    ((SECONDS < deadline)) || die "$what not listening on 127.0.0.1:$port after ${READY_DEADLINE}s"
    sleep 0.1
  done
}

up() {
  local started=$SECONDS i
  [[ -e $dir/pids ]] && die "$dir already holds a fleet: simulate.sh down $dir first"
  for i in $(seq 1 "$hosts"); do
    [[ ! -e /dev/shm/$(box_name "$i") ]] || die "/dev/shm/$(box_name "$i") exists: another fleet is up (simulate.sh down DIR)"
  done
  for port in $LB_PORT $REPO_PORT; do
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "127.0.0.1:$port is in use"
  done
  mkdir -p "$dir"
  : >"$dir/pids"
  : >"$dir/boxes"

  # The repository: a fresh signing key, the packages asked for.
  mkdir -p "$dir/repo"
  local fingerprint
  fingerprint=$("$top/ops/repo/new-key.sh" "$dir/gnupg" "graceful-upgrade-example fleet simulation" | tail -n 1)
  if ((${#debs[@]})); then
    GNUPGHOME=$dir/gnupg GUE_REPO_SIGNING_KEY=$fingerprint "$top/ops/repo/publish.sh" "$dir/repo" "${debs[@]}" >&2
  fi
  echo "$fingerprint" >"$dir/signing-key"
  ssh-keygen -q -t ed25519 -N '' -C gue-fleet-control -f "$dir/id_ed25519"

  # Boxes: created, prepared and booted in parallel (each boot is mostly waiting).
  for i in $(seq 1 "$hosts"); do
    box_name "$i" >>"$dir/boxes"
    "$BOX" create "$(box_name "$i")" >/dev/null
    prepare_host "$i"
  done
  local boots=()
  for i in $(seq 1 "$hosts"); do
    "$BOX" boot "$(box_name "$i")" >/dev/null &
    boots+=($!)
  done
  for i in "${!boots[@]}"; do
    wait "${boots[$i]}" || die "host h$((i + 1)) did not boot"
  done

  python3 -m http.server --bind 127.0.0.1 --directory "$dir/repo" "$REPO_PORT" >>"$dir/http.log" 2>&1 &
  record $! http.server
  write_haproxy_config
  haproxy -c -q -f "$dir/haproxy.cfg" || die "haproxy rejects $dir/haproxy.cfg"
  haproxy -db -f "$dir/haproxy.cfg" >>"$dir/haproxy.log" 2>&1 &
  record $! haproxy
  write_inventory

  for i in $(seq 1 "$hosts"); do wait_for_port $((SSH_BASE + i)) "sshd of h$i"; done
  wait_for_port $REPO_PORT "the repository's HTTP server"
  wait_for_port $LB_PORT haproxy
  log "fleet of $hosts up in $((SECONDS - started)) s: HAProxy 127.0.0.1:$LB_PORT, repository http://127.0.0.1:$REPO_PORT/, inventory $dir/inventory.ini"
}

down() {
  local pid name
  if [[ -f $dir/pids ]]; then
    while read -r pid name; do
      # Only if that pid still runs what we started (not a reused pid).
      if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
        [[ ! -e /proc/$pid ]] || kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$dir/pids"
  fi
  if [[ -f $dir/boxes ]]; then
    local stops=()
    while read -r name; do
      "$BOX" stop "$name" &
      stops+=($!)
    done <"$dir/boxes"
    for pid in "${stops[@]}"; do wait "$pid" || true; done
  fi
  # gpg started an agent for the signing key's home; it would outlive the fleet.
  if [[ -d $dir/gnupg ]]; then gpgconf --homedir "$dir/gnupg" --kill gpg-agent 2>/dev/null || true; fi
  rm -f "$dir/pids" "$dir/boxes"
}

hosts=4
debs=()
parse_options() {
  while (($#)); do
    case $1 in
      -n) [[ ${2:-} =~ ^[1-9]$ ]] || die "-n takes 1..9"; hosts=$2; shift 2 ;;
      --publish)
        shift
        while (($#)) && [[ $1 != -* ]]; do debs+=("$(realpath "$1")"); shift; done ;;
      --) shift; command=("$@"); return ;;
      *) usage ;;
    esac
  done
}

[[ $EUID -eq 0 ]] || die "needs root (systemd-nspawn, overlay mounts)"
command=()
case ${1:-} in
  up)
    [[ $# -ge 2 ]] || usage
    dir=$(realpath -m "$2")
    shift 2
    parse_options "$@"
    ((${#command[@]} == 0)) || usage
    up ;;
  down)
    [[ $# -eq 2 ]] || usage
    dir=$(realpath -m "$2")
    down ;;
  *)
    parse_options "$@"
    dir=$(mktemp -d /tmp/gue-fleet.XXXXXX)
    # Everything comes down however this ends: the command's exit, a failure in up, Ctrl-C.
    sleeper=""
    trap 'down; [[ -z $sleeper ]] || kill "$sleeper" 2>/dev/null; rm -rf "$dir"' EXIT
    trap 'exit 130' INT TERM
    up
    if ((${#command[@]})); then
      GUE_FLEET_DIR=$dir "${command[@]}"
    else
      log "Ctrl-C ends the fleet"
      sleep infinity &
      sleeper=$!
      wait "$sleeper"
    fi ;;
esac
