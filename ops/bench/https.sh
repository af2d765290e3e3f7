#!/bin/bash
# HTTPS beside plain HTTP, one process of the published service on loopback, in one run:
#   - exec-to-ready without and with TLS: ready-probe (built at run time) fork+execs the
#     service and polls GET /readyz, which answers 200 only once the start-up self-check has
#     passed (with TLS configured that includes a real handshake and request on the private TLS
#     port), RUNS (5) runs each, alternating; median, min, max;
#   - handshakes/s: `ab -c C -n HS_N https://...` (ab makes a full TLS handshake per request),
#     beside the same over plain http;
#   - req/s keep-alive: `ab -k -c C -n N` over https and over http.
# The certificate is a throwaway ECDSA P-256 one made with openssl for localhost.
#   ops/bench/https.sh [PATH_TO_OUR_BINARY]     (default $BIN, else build/publish/1.0.0/..., published if missing)
# Env: RUNS (5), C (100), HS_N (5000), N (50000), HTTP_PORT (18090), HTTPS_PORT (18443).
# A benchmark, not a test: always exits 0 once measured.
set -euo pipefail
# shellcheck source=ops/bench/lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5} C=${C:-100} HS_N=${HS_N:-5000} N=${N:-50000} HTTP_PORT=${HTTP_PORT:-18090} HTTPS_PORT=${HTTPS_PORT:-18443}
bin=$(service_binary "${1:-}")
command -v openssl >/dev/null || apt-get install -y openssl >&2
require_free_ports "$HTTP_PORT" "$HTTPS_PORT"
build_ready_probe
build_load_summary

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

plain=("$bin" "--Service:Listen=127.0.0.1:$HTTP_PORT")
tls=("${plain[@]}" "--Service:Https:Listen=127.0.0.1:$HTTPS_PORT"
  "--Service:Https:CertificateFile=$work/cert.pem" "--Service:Https:KeyFile=$work/key.pem")

# --- exec-to-ready (probe_alternating in lib.sh), on /readyz: 200 only after the self-check.
export READY_PATH=/readyz
probe_alternating "$RUNS" "$HTTP_PORT" "$HTTP_PORT" "${plain[@]}" -- "${tls[@]}"
plain_t=("${probe_a[@]}") tls_t=("${probe_b[@]}")
unset READY_PATH
read -r plain_med plain_min plain_max < <(stats "${plain_t[@]}")
read -r tls_med tls_min tls_max < <(stats "${tls_t[@]}")

# --- load: one process serving both ports, so both columns share its warm-up.
load1=$(cut -d' ' -f1-3 /proc/loadavg)
start_server https "https://127.0.0.1:$HTTPS_PORT/" "${tls[@]}"
echo "load test: http and https (pid $server_pid)..." >&2
http_hs=$(rps -c "$C" -n "$HS_N" "http://127.0.0.1:$HTTP_PORT/")
https_hs=$(rps -c "$C" -n "$HS_N" "https://127.0.0.1:$HTTPS_PORT/")
http_k=$(rps -k -c "$C" -n "$N" "http://127.0.0.1:$HTTP_PORT/")
https_k=$(rps -k -c "$C" -n "$N" "https://127.0.0.1:$HTTPS_PORT/")
stop_server
load2=$(cut -d' ' -f1-3 /proc/loadavg)

row() { printf '%-50s %12s %12s %8s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
echo
echo "https: $(nproc) CPUs, $(uname -r), $(openssl version | cut -d' ' -f1-2), ECDSA P-256 certificate, startup runs $RUNS"
echo "ours: $bin"
echo "load average before/after load tests: $load1 / $load2"
echo
printf '%-50s %12s %12s %8s\n' figure http https https/http
row "exec-to-ready median (ms, GET /readyz 200)" "$plain_med" "$tls_med"
row "exec-to-ready min (ms)" "$plain_min" "$tls_min"
row "exec-to-ready max (ms)" "$plain_max" "$tls_max"
row "new connection each (req/s; https: handshakes/s)" "$http_hs" "$https_hs"
row "keep-alive (req/s, ab -k)" "$http_k" "$https_k"
echo
echo "commands: ab -c $C -n $HS_N URL; ab -k -c $C -n $N URL"
echo "exec-to-ready runs (ms): http ${plain_t[*]}; https ${tls_t[*]}"
exit 0
