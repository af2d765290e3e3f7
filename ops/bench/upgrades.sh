#!/bin/bash
# Upgrade figures in a real systemd (ops/systemd-box): for each of UPGRADES consecutive
# upgrades, alternating between two versions, under `ab -c 1000 -n N` (ab's default 30 s
# timeout):
#   - the handover duration: wall time of `dpkg -i` (start NEW, READY=1, stop and drain OLD);
#   - the new instance's exec-to-ready, from systemd's own timestamps
#     (ExecMainStartTimestampMonotonic to ActiveEnterTimestampMonotonic);
#   - ab's failed requests, non-2xx responses and longest request; a request stalled past 30 s
#     aborts ab's run, and the row says ABORTED;
#   - the kernel's counters for this handover: queued connections moved to the new instance
#     (TcpExtTCPMigrateReqSuccess), ones that could not be (…Failure), SYN retransmissions;
# then the same handover idle (no load), IDLE times. Prints one line per run and a summary.
#   ops/bench/upgrades.sh [V1 V2]     env: UPGRADES (10), N (100000), IDLE (5)
# The work is done by the shared harness (src/Harness) through `UpgradeDemo bench-upgrades`.
exec "$(dirname "$0")/harness.sh" bench-upgrades "${1:-1.0.0}" "${2:-2.0.0}"
