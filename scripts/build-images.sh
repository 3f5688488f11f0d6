#!/usr/bin/env bash
# Build the guest programs of every phone image under images/.
#
# For each images/<name>/ that holds a manifest.json or <name>.c, compile the C source
# named by the manifest's program.source (default: <name>.c), together with
# every other .c file of the image folder (in sorted order), into the
# program.elf path (default: build/<name>), as a static ARMv7 hard-float
# Linux EABI executable. Extra compiler flags for one image can be put in
# images/<name>/cflags (whitespace separated, '#' starts a comment).
#
# An image is skipped when its binary is newer than its sources and headers,
# its manifest, its cflags file and this script, so running this is cheap.
#
# An image whose manifest has a "debianRoot" ({"dir", "packages"}) gets that
# folder built from Debian armhf packages with `clonecloud rootfs add` (which
# returns at once when they are all there); its program may come from that
# root instead of a C source. A root that cannot be built (no Debian mirror)
# is a warning: only that image then fails to boot, saying why.
#
# Usage: scripts/build-images.sh [name...]   (default: every image)
# Environment: CC overrides the cross compiler.
set -euo pipefail

CC="${CC:-arm-linux-gnueabihf-gcc}"
BASE_CFLAGS=(-std=c11 -static -O2 -march=armv7-a -mthumb -mfpu=neon-vfpv4 -mfloat-abi=hard
  -Wall -Wextra)

script_path="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$script_path")/.." && pwd)"
images_dir="$root/images"

die() {
  echo "build-images: $*" >&2
  exit 1
}

command -v "$CC" >/dev/null 2>&1 ||
  die "cross compiler '$CC' not found: install gcc-arm-linux-gnueabihf (apt-get install gcc-arm-linux-gnueabihf)"

# Print the value of a string field of the manifest's "program" object, or
# nothing when the field is absent. Node is used for real JSON parsing when
# present; otherwise the default applies.
manifest_field() {
  local manifest="$1" field="$2"
  [[ -f "$manifest" ]] || return 0
  command -v node >/dev/null 2>&1 || return 0
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = m && m.program && m.program[process.argv[2]];
    if (typeof v === "string") process.stdout.write(v);
  ' "$manifest" "$field" ||
    die "cannot parse $manifest"
}

# True when $1 exists and is newer than every other argument.
newer_than_all() {
  local target="$1"
  shift
  [[ -e "$target" ]] || return 1
  local dep
  for dep in "$@"; do
    [[ "$target" -nt "$dep" ]] || return 1
  done
}

# Print "<dir> <package>..." of the manifest's debianRoot, or nothing.
debian_root() {
  local manifest="$1"
  [[ -f "$manifest" ]] || return 0
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const r = m && m.debianRoot;
    if (r && typeof r.dir === "string" && Array.isArray(r.packages)) process.stdout.write([r.dir, ...r.packages].join(" "));
  ' "$manifest" || die "cannot parse $manifest"
}

build_debian_root() {
  local dir="$1" name="$2"
  local spec
  spec="$(debian_root "$dir/manifest.json")"
  [[ -n "$spec" ]] || return 0
  local words
  read -r -a words <<<"$spec"
  if [[ ! -x "$root/bin/clonecloud" || ! -f "$root/dist/emulator/cli/main.js" ]]; then
    echo "build-images: warning: $name: clonecloud is not built yet, so its Debian root was not made (run scripts/setup.sh)" >&2
    return 0
  fi
  "$root/bin/clonecloud" rootfs add --quiet "$dir/${words[0]}" "${words[@]:1}" >/dev/null ||
    echo "build-images: warning: $name: its Debian root ${words[0]} could not be built; booting it will fail until it is" >&2
}

build_image() {
  local dir="$1"
  local name
  name="$(basename "$dir")"
  local manifest="$dir/manifest.json"

  build_debian_root "$dir" "$name"
  # An image that runs a program of its Debian root has nothing to compile.
  if [[ -n "$(debian_root "$manifest")" && -z "$(manifest_field "$manifest" source)" && ! -f "$dir/$name.c" ]]; then
    return 0
  fi

  local source elf
  source="$(manifest_field "$manifest" source)"
  elf="$(manifest_field "$manifest" elf)"
  source="${source:-$name.c}"
  elf="${elf:-build/$name}"

  [[ -f "$dir/$source" ]] || die "$name: source $source not found"

  local extra=()
  if [[ -f "$dir/cflags" ]]; then
    # shellcheck disable=SC2207 # word splitting is the point here
    extra=($(sed 's/#.*//' "$dir/cflags"))
  fi

  # The main source first, then the image's other .c files in byte order
  # (a program may be split into several files, one job each). The main
  # source is skipped in the folder listing by identity, not by name, so a
  # manifest spelling it "./x.c" does not compile it twice.
  local sources=("$dir/$source")
  local f
  while IFS= read -r f; do
    if [[ -f "$f" && ! "$f" -ef "$dir/$source" ]]; then
      sources+=("$f")
    fi
  done < <(compgen -G "$dir/*.c" | LC_ALL=C sort)

  # Every file the binary depends on: the sources, local headers, the
  # manifest (it may rename the source), cflags and this script.
  local deps=("${sources[@]}" "$script_path")
  for f in "$dir"/*.h "$manifest" "$dir/cflags"; do
    [[ -f "$f" ]] && deps+=("$f")
  done

  local out="$dir/$elf"
  if newer_than_all "$out" "${deps[@]}"; then
    return 0
  fi

  mkdir -p "$(dirname "$out")"
  # Compile to a temporary name so an interrupted build never leaves a
  # fresh-looking but broken binary behind.
  local tmp="$out.tmp.$$"
  if ! "$CC" "${BASE_CFLAGS[@]}" ${extra[@]+"${extra[@]}"} -o "$tmp" "${sources[@]}"; then
    rm -f "$tmp"
    die "$name: compilation of $source failed"
  fi
  mv -f "$tmp" "$out"
  echo "built images/$name/$elf"
}

main() {
  [[ -d "$images_dir" ]] || die "no images directory at $images_dir"
  local dirs=()
  if (($# > 0)); then
    local n
    for n in "$@"; do
      [[ -d "$images_dir/$n" ]] || die "no image named $n"
      dirs+=("$images_dir/$n")
    done
  else
    local d
    for d in "$images_dir"/*/; do
      d="${d%/}"
      if [[ -f "$d/manifest.json" || -f "$d/$(basename "$d").c" ]]; then
        dirs+=("$d")
      fi
    done
  fi
  local d
  for d in ${dirs[@]+"${dirs[@]}"}; do
    build_image "$d"
  done
}

main "$@"
