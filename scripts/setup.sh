#!/usr/bin/env bash
# Install what clonecloud needs and build it. Idempotent: every step checks first and returns
# quickly when its result is already there.
#   - distro packages: the ARM cross compiler (sample images), qemu-user (the test oracle) and
#     the xxHash header (the native page hashing)
#   - Chromium from the distro: the run report's spec loads the page in a real headless browser
#   - libunicorn 2.1.4 from Unicorn's official wheel, unpacked into vendor/unicorn
#   - npm packages (npm ci), which also builds the native hook helper with node-gyp
#   - the TypeScript build (dist/) and the sample images' ARM programs
#   - Debian's armhf static programs for the real-program suite, into vendor/debian (fetch-debian.sh)
#   - a root of Debian armhf packages for the real-program suite, into vendor/rootfs (clonecloud rootfs add)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { echo "setup: $*" >&2; }
die() { echo "setup: $*" >&2; exit 1; }

UNICORN_VERSION=2.1.4
APT_PACKAGES=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user libxxhash-dev)
command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || APT_PACKAGES+=(python3-pip)

# 1. Distro packages.
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them by hand"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  say "installing ${missing[*]}"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi

# 1b. Chromium, without the desktop's recommended extras (the report spec only runs it headless).
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  command -v apt-get >/dev/null || die "missing package chromium and no apt-get: install it by hand"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  say "installing chromium"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
    die "apt-get install chromium failed"
fi

# 2. libunicorn from the official wheel (the distro's 2.0.1 is too slow; see the README).
lib="vendor/unicorn/lib/libunicorn.so.2"
if [[ ! -f "$lib" || ! -f vendor/unicorn/VERSION || "$(cat vendor/unicorn/VERSION)" != "$UNICORN_VERSION" ]]; then
  say "fetching libunicorn $UNICORN_VERSION (unicorn wheel)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download "unicorn==$UNICORN_VERSION" --no-deps --only-binary=:all: \
    --retries 0 --timeout 5 -d "$tmp" -q 2>"$tmp/pip.log" ||
    die "could not download the unicorn $UNICORN_VERSION wheel: $(tail -n 1 "$tmp/pip.log")"
  whl="$(ls "$tmp"/unicorn-"$UNICORN_VERSION"-*.whl 2>/dev/null | head -n 1)"
  [[ -n "$whl" ]] || die "pip did not leave a unicorn wheel in $tmp"
  rm -rf vendor/unicorn "$tmp/x"
  mkdir -p vendor "$tmp/x"
  # Only the shared library and the headers are needed (the wheel also holds a 33 MB static lib).
  python3 - "$whl" "$tmp/x" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith('unicorn/include/') or n == 'unicorn/lib/libunicorn.so.2':
            z.extract(n, sys.argv[2])
PY
  mv "$tmp/x/unicorn" vendor/unicorn
  echo "$UNICORN_VERSION" > vendor/unicorn/VERSION
fi

# 3. npm packages and the native helper.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
native_stale() {
  [[ ! -f build/Release/cchooks.so ]] && return 0
  local f
  for f in native/*.c binding.gyp; do [[ $f -nt build/Release/cchooks.so ]] && return 0; done
  return 1
}
if native_stale; then
  say "building the native hook helper"
  npx --no-install node-gyp rebuild --loglevel=error >/dev/null
fi

# 4. TypeScript (incremental, so a no-change build is quick).
npx --no-install tsc -p tsconfig.json

# 5. Sample images.
bash scripts/build-images.sh

# 6. Debian armhf static programs for spec/realprog (needs the distro's mirrors). Without them
# only that suite fails, naming this step, so a machine without a mirror can still build and run.
bash scripts/fetch-debian.sh || say "warning: the Debian armhf programs are missing; spec/realprog will fail until scripts/fetch-debian.sh succeeds"

# 7. A root of Debian armhf packages (dynamically linked lua5.4, python3.11, perl, gawk, sqlite3,
# coreutils and their libraries) for the real-program suite, into vendor/rootfs, by clonecloud
# itself; the .debs stay in the user's cache folder. It returns at once when the root holds them.
rootfs_packages="$(node -p 'require("./spec/fixtures/test-rootfs.json").packages.join(" ")')"
# shellcheck disable=SC2086 # one word per package
./bin/clonecloud rootfs add vendor/rootfs $rootfs_packages >/dev/null ||
  say "warning: vendor/rootfs is incomplete; the real-program suite's dynamic programs fail until 'clonecloud rootfs add vendor/rootfs $rootfs_packages' succeeds"
