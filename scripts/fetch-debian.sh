#!/usr/bin/env bash
# Download Debian's armhf static programs for the real-program differential suite
# (spec/realprog): busybox-static, bash-static, mksh (its klibc, dietlibc and musl builds are
# static) and go-md2man (a statically linked Go program). Idempotent: returns at once when the
# manifest and every program are already there.
#
# The system's apt configuration is left alone (no `dpkg --add-architecture`): apt runs with a
# private state and cache folder and armhf as its only architecture, reading the system's sources.
# Nothing is pinned: whatever versions apt resolves are recorded in vendor/debian/manifest.json.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
D="$root/vendor/debian"
say() { echo "fetch-debian: $*" >&2; }
die() { echo "fetch-debian: $*" >&2; exit 1; }

PACKAGES=(busybox-static bash-static mksh go-md2man)
# Paths inside the unpacked packages that the suite runs (all static ARM EABI executables).
PROGRAMS=(bin/busybox bin/bash-static usr/lib/klibc/bin/mksh usr/lib/diet/bin/mksh
  usr/lib/arm-linux-musleabihf/bin/mksh usr/bin/go-md2man)

done_already() {
  [[ -f "$D/manifest.json" ]] || return 1
  for p in "${PROGRAMS[@]}"; do [[ -f "$D/root/$p" ]] || return 1; done
}
done_already && exit 0

command -v apt-get >/dev/null || die "apt-get is needed to download the Debian armhf programs"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack the Debian armhf programs"
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"

say "downloading ${PACKAGES[*]} (armhf)"
rm -rf "$D"
mkdir -p "$D/state/lists/partial" "$D/cache/archives/partial" "$D/debs" "$D/root"
apt_opts=(-o "Dir::State=$D/state" -o "Dir::Cache=$D/cache"
  -o APT::Architecture=armhf -o APT::Architectures=armhf)
# Some secondary index files (e.g. security updates during a mirror sync) may fail to download;
# the main suite's index suffices, so a failed update only matters if no index arrived at all.
$sudo apt-get "${apt_opts[@]}" update >"$D/apt.log" 2>&1 || true
ls "$D/state/lists/"*_Packages* >/dev/null 2>&1 ||
  die "apt-get update fetched no armhf package index (see $D/apt.log)"
(cd "$D/debs" && $sudo apt-get "${apt_opts[@]}" download "${PACKAGES[@]}") >>"$D/apt.log" 2>&1 ||
  die "apt-get download ${PACKAGES[*]} failed (see $D/apt.log)"
[[ -z "$sudo" ]] || $sudo chown -R "$(id -u):$(id -g)" "$D"

entries=()
for pkg in "${PACKAGES[@]}"; do
  deb="$(ls "$D/debs/${pkg}"_*_armhf.deb 2>/dev/null | head -n 1)"
  [[ -n "$deb" ]] || die "apt-get left no .deb for $pkg in $D/debs"
  dpkg-deb -x "$deb" "$D/root"
  version="$(dpkg-deb -f "$deb" Version)"
  sha="$(sha256sum "$deb" | cut -d' ' -f1)"
  entries+=("    { \"package\": \"$pkg\", \"version\": \"$version\", \"deb\": \"$(basename "$deb")\", \"sha256\": \"$sha\" }")
done
for p in "${PROGRAMS[@]}"; do [[ -f "$D/root/$p" ]] || die "the packages hold no $p"; done
# The package indexes and caches are only needed to resolve and download; keep the folder small.
rm -rf "$D/state" "$D/cache"

{
  echo '{'
  echo '  "architecture": "armhf",'
  echo '  "packages": ['
  (IFS=$'\n'; echo "${entries[*]}" | sed '$!s/$/,/')
  echo '  ]'
  echo '}'
} >"$D/manifest.json.tmp"
mv "$D/manifest.json.tmp" "$D/manifest.json"
say "unpacked into vendor/debian/root: $(grep -o '"package": "[^"]*", "version": "[^"]*"' "$D/manifest.json" | sed 's/"package": "\([^"]*\)", "version": "\([^"]*\)"/\1 \2/' | paste -sd, -)"
