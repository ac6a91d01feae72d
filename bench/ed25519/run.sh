#!/usr/bin/env bash
# Instructions per Ed25519 verification, D0 (kernel/crypto) vs libsodium (the baseline), on the
# same inputs, counted by callgrind inside verify_all() only; then instructions per MiB of
# SHA-256 and SHA-512, D0 vs libsodium. Both builds: clang -O2, no
# sanitizers (-gdwarf-4: valgrind 3.19 cannot read clang-14's default DWARF 5). Prints both counts and the ratio D0 / libsodium (the goal is <= 1.5).
#
#   bash bench/ed25519/run.sh            # 64-byte messages
#   MSG_LEN=4096 bash bench/ed25519/run.sh
#   bash bench/ed25519/run.sh --quick   # CI: the same single run (instruction counts are exact, so
#                                       # there is nothing to shorten); the 64-byte size only
set -euo pipefail
case "${1:-}" in
  --quick) MSG_LEN=64 ;;
  "") ;;
  *) echo "usage: bash bench/ed25519/run.sh [--quick]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
OUT=kernel/build/bench-ed25519
MSG_LEN="${MSG_LEN:-64}"
N_SIGS=32
mkdir -p "$OUT"

D0_SRCS=(kernel/crypto/*.c kernel/lib/ct.c)
CFLAGS=(-std=c11 -O2 -gdwarf-4 -DMSG_LEN="$MSG_LEN" -Ikernel/include -Wall -Wextra -Werror)
clang-14 "${CFLAGS[@]}" -o "$OUT/bench_d0" bench/ed25519/bench.c "${D0_SRCS[@]}" -lsodium
clang-14 "${CFLAGS[@]}" -DUSE_SODIUM -o "$OUT/bench_sodium" bench/ed25519/bench.c -lsodium
clang-14 "${CFLAGS[@]}" -o "$OUT/bench_sha2" bench/ed25519/sha2.c kernel/crypto/sha256.c \
  kernel/crypto/sha512.c -lsodium

count() {
  local log="$OUT/callgrind-$1.log"
  valgrind --tool=callgrind --toggle-collect=verify_all --callgrind-out-file=/dev/null \
    "$OUT/bench_$1" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  grep -q "verified $N_SIGS of $N_SIGS" "$log" || { echo "bench_$1 failed to verify" >&2; cat "$log" >&2; exit 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}

d0=$(count d0)
sodium=$(count sodium)
echo "message length:             $MSG_LEN bytes, $N_SIGS verifications"
echo "libsodium $(pkg-config --modversion libsodium 2>/dev/null || echo '?'): $((sodium / N_SIGS)) instructions per verify"
echo "D0:                         $((d0 / N_SIGS)) instructions per verify"
awk -v a="$d0" -v b="$sodium" 'BEGIN { printf "ratio D0 / libsodium:       %.3f\n", a / b }'

# callgrind count inside one function of bench_sha2
count_fn() {
  local log="$OUT/callgrind-$1.log"
  valgrind --tool=callgrind --toggle-collect="$1" --callgrind-out-file=/dev/null \
    "$OUT/bench_sha2" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}
for h in sha256 sha512; do
  d0=$(count_fn "d0_$h")
  sodium=$(count_fn "sodium_$h")
  awk -v h="$h" -v a="$d0" -v b="$sodium" \
    'BEGIN { printf "%s per MiB: libsodium %d, D0 %d instructions, ratio %.3f\n", h, b, a, a / b }'
done
