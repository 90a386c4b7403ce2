#!/usr/bin/env bash
# build.sh - build (or reuse) Aero's GOOS=tamago Go toolchain.
#
# Prints exactly one line on stdout: the absolute path of the toolchain's
# `go` binary. Everything else (progress, make.bash output, errors) goes to
# stderr, so callers can write  AERO_GO=$(toolchain/build.sh).
#
# The toolchain is pristine Go $GO_VERSION plus the patch series in
# toolchain/patches/*.patch (applied in lexical order), built once into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/aero/toolchain/<version>-<hash>
# where <hash> covers the Go version and every patch's name and contents.
# See toolchain/README.md.
#
# Usage:
#   toolchain/build.sh              build or reuse; print the path of bin/go
#   toolchain/build.sh --print-dir  print the cache directory it would use
#   toolchain/build.sh --help
#
# Environment:
#   TAMAGO            path to an existing GOOS=tamago `go` (e.g. an official
#                     tamago-go build): checked and printed, nothing is built
#   GO                host go used for bootstrapping and downloads (default: go)
#   AERO_PATCHES_DIR  patch series directory (default: toolchain/patches)
#   XDG_CACHE_HOME    cache root (default: $HOME/.cache)

set -euo pipefail
export LC_ALL=C # lexical patch order and stable tool messages

readonly GO_VERSION=go1.26.8
readonly MIN_BOOTSTRAP=1.24.6 # what Go 1.26's make.bash requires
readonly STAMP=.aero-toolchain-complete
readonly KEEP=3 # cache directories kept

say() { printf 'toolchain: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

print_dir=false
case "${1-}" in
"") ;;
--print-dir) print_dir=true ;;
-h | --help) usage; exit 0 ;;
*) usage; die "unknown argument: $1" ;;
esac

# --- TAMAGO: use a toolchain someone else built ---------------------------

if [[ -n "${TAMAGO-}" && $print_dir == false ]]; then
	tamago=$TAMAGO
	[[ $tamago == /* ]] || tamago=$PWD/$tamago
	[[ -f $tamago && -x $tamago ]] || die "TAMAGO=$TAMAGO: no executable file there"
	version=$("$tamago" version 2>&1) || die "TAMAGO=$TAMAGO does not run: $version"
	say "using TAMAGO: $version"
	printf '%s\n' "$tamago"
	exit 0
fi

# --- Where the result lives ----------------------------------------------

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
patches_dir=${AERO_PATCHES_DIR:-$here/patches}
if [[ -d $patches_dir ]]; then
	patches_dir=$(cd "$patches_dir" && pwd)
elif [[ -n ${AERO_PATCHES_DIR-} ]]; then
	die "AERO_PATCHES_DIR=$AERO_PATCHES_DIR is not a directory"
fi

patches=()
if [[ -d $patches_dir ]]; then
	shopt -s nullglob
	patches=("$patches_dir"/*.patch)
	shopt -u nullglob
fi

# The manifest names what goes into the toolchain: the Go version and, in
# order, each patch's name with the sha256 of its contents. Its hash names the
# cache directory, so any change to the series selects a new directory.
manifest() {
	printf 'aero toolchain\n%s\n' "$GO_VERSION"
	if ((${#patches[@]})); then
		(cd "$patches_dir" && sha256sum -- "${patches[@]##*/}")
	fi
}
manifest=$(manifest)
hash=$(printf '%s\n' "$manifest" | sha256sum)
hash=${hash:0:16}

[[ -n ${XDG_CACHE_HOME-} || -n ${HOME-} ]] || die "neither XDG_CACHE_HOME nor HOME is set: no place for the cache"
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/aero/toolchain
[[ $cache_root == /* ]] || cache_root=$PWD/$cache_root # we print absolute paths
name=$GO_VERSION-$hash
final=$cache_root/$name

if $print_dir; then
	printf '%s\n' "$final"
	exit 0
fi

complete() { [[ -x $1/bin/go && -f $1/$STAMP ]]; }

if complete "$final"; then
	touch "$final/$STAMP" 2>/dev/null || true # mark as recently used
	printf '%s\n' "$final/bin/go"
	exit 0
fi

# --- Build ---------------------------------------------------------------

say "building $name: $GO_VERSION + ${#patches[@]} patch(es) from $patches_dir"
((${#patches[@]})) || say "warning: no patches: this will be a plain $GO_VERSION without GOOS=tamago"
start=$SECONDS
mkdir -p "$cache_root"

# Builders of the same toolchain take turns: the second one finds the
# first one's result instead of building it again.
if command -v flock >/dev/null; then
	exec 9>"$cache_root/.lock-$name"
	if ! flock -n 9; then
		say "another build of $name is running; waiting for it"
		flock 9
	fi
	if complete "$final"; then
		printf '%s\n' "$final/bin/go"
		exit 0
	fi
fi

host_go=${GO:-go}
command -v "$host_go" >/dev/null ||
	die "no host Go found (looked for '$host_go'): building the toolchain needs Go >= $MIN_BOOTSTRAP as bootstrap; install $GO_VERSION or set TAMAGO=/path/to/tamago-go/bin/go"
host_go=$(command -v "$host_go")

# Ask the host go about itself from a neutral place: no go.work, no
# toolchain switching.
hostenv() { (cd / && env -u GOFLAGS GOWORK=off GOTOOLCHAIN=local "$host_go" "$@"); }

host_version=$(hostenv env GOVERSION) || die "$host_go does not run"
host_goroot=$(hostenv env GOROOT)
say "host go: $host_version at $host_goroot"

# Bootstrap check, for a clear message (make.bash would refuse too).
if [[ $host_version =~ ^go([0-9]+)\.([0-9]+)(\.([0-9]+))? ]]; then
	IFS=. read -r min_maj min_min min_pat <<<"$MIN_BOOTSTRAP"
	have=$((BASH_REMATCH[1] * 1000000 + BASH_REMATCH[2] * 1000 + ${BASH_REMATCH[4]:-0}))
	need=$((min_maj * 1000000 + min_min * 1000 + min_pat))
	((have >= need)) || die "host $host_version is too old to bootstrap $GO_VERSION (need >= go$MIN_BOOTSTRAP)"
else
	say "warning: cannot parse host version '$host_version'; trying it as bootstrap anyway"
fi

# Pristine source: the host GOROOT when it is exactly our version, else the
# version-pinned toolchain module from the Go module proxy.
if [[ $host_version == "$GO_VERSION" && -d $host_goroot/src ]]; then
	src=$host_goroot
else
	say "host go is not $GO_VERSION; downloading golang.org/toolchain@v0.0.1-$GO_VERSION.linux-amd64"
	json=$(hostenv mod download -json "golang.org/toolchain@v0.0.1-$GO_VERSION.linux-amd64") ||
		die "downloading the Go $GO_VERSION source failed: $json"
	src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
	[[ -n $src && -d $src/src ]] || die "downloaded toolchain module has no src/ (got: $json)"
fi
[[ -f $src/src/make.bash ]] || die "$src is not a Go source tree (no src/make.bash)"
say "source: $src"

# Work in a temporary directory beside the final one (same filesystem, so
# the final rename is atomic); removed on any failure.
tmp=$(mktemp -d "$cache_root/.tmp-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

say "copying source"
tar -C "$src" --anchored --exclude=./pkg --exclude=./bin -cf - . | tar -C "$tmp" -xf -
chmod -R u+w "$tmp"
# The golang.org/toolchain module zip stores nested go.mod files as _go.mod
# (a module zip may not contain other modules) and drops executable bits.
if [[ ! -f $tmp/src/go.mod ]]; then
	find "$tmp" -name _go.mod -execdir mv _go.mod go.mod \;
fi

# Apply the series, each patch checked with a dry run first so a failure
# leaves a readable report and no half-applied patch.
apply_patch() {
	local p=$1 out
	if command -v patch >/dev/null; then
		if ! out=$(cd "$tmp" && patch -p1 --forward --batch --fuzz=0 --dry-run -i "$p" 2>&1); then
			printf 'toolchain: patch %s failed:\n%s\n' "${p##*/}" "$out" >&2
			return 1
		fi
		(cd "$tmp" && patch -p1 --forward --batch --fuzz=0 --silent --no-backup-if-mismatch -i "$p") >&2
	else
		if ! out=$(cd "$tmp" && git apply --check -v -p1 "$p" 2>&1); then
			printf 'toolchain: patch %s failed:\n%s\n' "${p##*/}" "$out" >&2
			return 1
		fi
		(cd "$tmp" && git apply -p1 "$p") >&2
	fi
}
for p in "${patches[@]}"; do
	say "applying ${p##*/}"
	apply_patch "$p" || exit 1
done

say "running make.bash (GOROOT_BOOTSTRAP=$host_goroot; takes minutes)"
(
	cd "$tmp/src"
	# A clean environment for the build: nothing from the caller's Go
	# settings may leak into the toolchain.
	unset GOROOT_FINAL GOROOT GOOS GOARCH GOAMD64 GOFLAGS GOEXPERIMENT GOWORK GO111MODULE
	export GOROOT_BOOTSTRAP=$host_goroot GOTOOLCHAIN=local
	bash ./make.bash
) >&2 || die "make.bash failed"

[[ -x $tmp/bin/go ]] || die "make.bash finished but left no bin/go"

{
	printf '%s\n' "$manifest"
	printf 'source %s\nbootstrap %s\nbuilt %s\n' "$src" "$host_version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$tmp/$STAMP"

# Install: an incomplete leftover at the final place is garbage (complete
# trees only ever arrive there by rename); a complete one means another
# builder finished first, and its result is as good as ours.
if [[ -e $final ]] && ! complete "$final"; then
	rm -rf "$final"
fi
if ! mv -T "$tmp" "$final" 2>/dev/null; then
	complete "$final" || die "cannot move $tmp to $final"
	say "another builder installed $name first; using that"
fi
trap - EXIT
rm -rf "$tmp" # only still there if the other builder won

say "built $name in $((SECONDS - start))s"

# Keep the $KEEP most recently used toolchains; drop temporaries of builds
# that died more than half a day ago.
prune() {
	local d n=0
	while IFS= read -r d; do
		d=${d#* }
		n=$((n + 1))
		if ((n > KEEP)) && [[ $d != "$final" ]]; then
			say "removing old toolchain ${d##*/}"
			rm -rf "$d" "$cache_root/.lock-${d##*/}"
		fi
	done < <(find "$cache_root" -mindepth 2 -maxdepth 2 -name "$STAMP" -printf '%T@ %h\n' | sort -rn)
	find "$cache_root" -mindepth 1 -maxdepth 1 -name '.tmp-*' -mmin +720 -exec rm -rf {} + 2>/dev/null || true
	for d in "$cache_root"/.lock-*; do
		[[ -e $d && ! -e $cache_root/${d##*/.lock-} ]] || continue
		if [[ -n $(find "$d" -mmin +720) ]]; then rm -f "$d"; fi
	done
}
prune || say "warning: pruning $cache_root failed"

printf '%s\n' "$final/bin/go"
