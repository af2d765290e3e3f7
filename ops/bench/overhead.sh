#!/bin/bash
# What the handover adds to an idle `dpkg -i` in a real systemd (ops/systemd-box): PAIRS (6)
# interleaved pairs of an upgrade V1 -> V2 with the handover and a `dpkg -i` with a
# policy-rc.d that exits 101 (the postinst's bookkeeping, no start, no stop); prints both
# medians and their ratio (goal: at most 1.5x).
#   ops/bench/overhead.sh [V1 V2]     env: PAIRS (6), DEBS (the packages' directory, build/)
# The work is done by the shared harness (src/Harness) through `UpgradeDemo bench-overhead`.
exec "$(dirname "$0")/harness.sh" bench-overhead "${1:-1.0.0}" "${2:-2.0.0}"
