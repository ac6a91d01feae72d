# Shared by scripts/*: the Debian packages D0 builds and tests with, the cache location, and an
# installer that only installs what is missing.
# shellcheck shell=bash

D0_DEBIAN_PACKAGES=(
  clang lld llvm libclang-rt-14-dev          # kernel/ (UEFI PE32+), host tests, fuzzers
  libsodium-dev valgrind                     # bench: Ed25519 reference and instruction counts
  qemu-system-x86 ovmf                       # boot tests (UEFI under TCG, SVM/NPT)
  swtpm swtpm-tools                          # TPM 2.0 for the epoch-floor tests (QEMU -tpmdev emulator)
  tpm2-tools python3                         # measured boot: PCRs read back from swtpm (test/support/tpm2-tools.ts)
  bochs bochsbios vgabios bochs-term         # VMX/EPT tests
  gdisk mtools dosfstools                    # GPT + FAT32 ESP images
  sbsigntool openssl efitools                # Secure Boot: sbsign/sbverify; site keys, .esl/.auth
  e2fsprogs erofs-utils                      # micro-VM disk images
  docker.io debootstrap busybox-static       # OCI inputs, builder images, test images
  musl-tools linux-source flex bison libelf-dev cpio bc  # guest PID1 and guest kernel
  linux-image-amd64                          # bench: Debian's stock kernel as the guest baseline
  curl                                       # the main job fetches the published page
  gcc libc6-dev                              # network tests: a static UDP tool for busybox images
  socat                                      # pull tests: QEMU's guestfwd relays each connection to a test server
  rsyslog                                    # fleet tests: the hosts' report collector (RFC 5424 over UDP)
)

# Slow builds (guest kernel, Pulumi engine, builder images) are cached here, outside the clone,
# keyed by their inputs.
export D0_CACHE="${D0_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/d0}"

d0_missing_packages() {
  local p missing=()
  for p in "${D0_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]}"
}

d0_install_debian() {
  local missing
  missing=$(d0_missing_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "d0: missing Debian packages: $missing" >&2
    echo "d0: install them as root: apt-get install -y $missing" >&2
    return 1
  fi
  echo "d0: installing Debian packages: $missing" >&2
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
}

d0_install_npm() {
  # A node_modules that is a link is an install shared with other clones: npm ci here would empty
  # it under them and leave a private copy here. It is installed where it points, not from here.
  if [ -L node_modules ] && [ -d node_modules/ ]; then
    return 0
  fi
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    d0_npm_from_cache || npm ci --no-audit --no-fund --loglevel=error
    d0_npm_to_cache
  fi
}

# npm ci in a clean clone takes ~30 s; the tree it makes depends only on package-lock.json, so a
# copy is kept under $D0_CACHE keyed by the lock file's SHA-256 (published by an atomic rename) and
# a clone with that lock file gets a copy of it instead (~3 s). A copy, not a link: a clone may
# change its own node_modules.
d0_npm_cache_dir() {
  echo "${D0_CACHE:?}/node_modules/$(sha256sum package-lock.json | cut -c1-32)"
}

d0_npm_from_cache() {
  local cached
  cached=$(d0_npm_cache_dir)
  [ -f "$cached/node_modules/.package-lock.json" ] || return 1
  rm -rf node_modules
  cp -a "$cached/node_modules" node_modules || { rm -rf node_modules; return 1; }
  touch node_modules/.package-lock.json # newer than this clone's package-lock.json
}

d0_npm_to_cache() {
  local cached tmp
  cached=$(d0_npm_cache_dir)
  [ -d "$cached" ] && return 0
  mkdir -p "$(dirname "$cached")"
  tmp=$(mktemp -d "$cached.tmp.XXXXXX")
  if cp -a node_modules "$tmp/node_modules" && mv -T "$tmp" "$cached" 2>/dev/null; then
    return 0
  fi
  rm -rf "$tmp" # another clone published it first, or the copy failed: the next run tries again
}

d0_setup() {
  d0_install_debian
  d0_install_npm
  mkdir -p "$D0_CACHE"
}

# Starts the slow cache builds in the background (scripts/prebuild.ts), each under its own lock,
# so that with empty caches they overlap tsc and the first suites instead of waiting inside the
# first test that needs them. Logs in $D0_CACHE/prebuild.log. Sets D0_PREBUILD_PID.
d0_prebuild() {
  npx tsx scripts/prebuild.ts >"$D0_CACHE/prebuild.log" 2>&1 &
  D0_PREBUILD_PID=$!
}
