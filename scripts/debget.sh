#!/bin/sh
# debget.sh - fetch Debian packages of any architecture with apt-get download, unpack them with dpkg-deb -x into a cache (no install), print their directories.
#
# Usage: scripts/debget.sh ARCH [--only DIR] PKG[=VERSION]...   unpack each package, print one directory per line
#                                   (--only DIR: keep only that top directory of each, e.g. boot)
#        scripts/debget.sh ARCH --newest ERE       print the newest package name apt knows matching ERE
#        scripts/debget.sh ARCH --dir              print the cache directory of ARCH's packages
#   ARCH  a Debian architecture (amd64, arm64, armhf, ...). A foreign one is
#         looked up in private package lists under the cache (apt-get update
#         with APT::Architectures=ARCH once): dpkg --add-architecture is not
#         needed and the host's packages and lists are left alone.
# A package already unpacked in the cache is used without the network.
# Environment: MW_VM_CACHE  cache directory (default /var/cache/mapwatch-vm)
# Exit status: 0 ok, 77 a package cannot be had (reason on stderr, one line), 2 usage.
set -u

CACHE=${MW_VM_CACHE:-/var/cache/mapwatch-vm}
skip() { echo "debget.sh: $*" >&2; exit 77; }
usage() { echo "usage: $0 ARCH PKG[=VERSION]... | ARCH --newest ERE | ARCH --dir" >&2; exit 2; }

case ${1:-} in -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
[ $# -ge 2 ] || usage
arch=$1; shift
case $arch in ''|*[!a-z0-9]*) echo "debget.sh: ARCH '$arch' is not a Debian architecture name" >&2; exit 2 ;; esac
native=$(dpkg --print-architecture 2>/dev/null || echo amd64)
if [ "$arch" = "$native" ]; then
	dir=$CACHE
	apt_opts=
else
	dir=$CACHE/$arch
	lists=$CACHE/apt-$arch
	apt_opts="-o APT::Architectures=$arch -o Dir::State::Lists=$lists/lists -o Dir::Cache=$lists/cache"
fi
[ "$1" = --dir ] && { echo "$dir"; exit 0; }

command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (needs a Debian/Ubuntu host)"
command -v dpkg-deb >/dev/null 2>&1 || skip "dpkg-deb not found"

updated=0
refresh() { # once per run: the private lists of a foreign arch, or the host's when missing (root only)
	[ $updated = 0 ] || return 1
	updated=1
	[ "$(id -u)" = 0 ] || return 1
	if [ -n "$apt_opts" ]; then
		mkdir -p "$lists/lists/partial" "$lists/cache/archives/partial" || return 1
		chown -R _apt "$lists" 2>/dev/null
	fi
	# shellcheck disable=SC2086
	apt-get -qq $apt_opts update >/dev/null 2>&1
}
[ -n "$apt_opts" ] && [ ! -d "$lists/lists" ] && refresh

candidate() { # $1 = package; prints its candidate version or nothing
	# shellcheck disable=SC2086
	LC_ALL=C apt-cache $apt_opts policy "$1:$arch" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)'
}
newest() { # $1 = ERE
	# shellcheck disable=SC2086
	apt-cache $apt_opts pkgnames 2>/dev/null | grep -E "$1" | sort -V | tail -n 1
}

if [ "$1" = --newest ]; then
	[ $# -eq 2 ] || usage
	n=$(newest "$2")
	[ -z "$n" ] && refresh && n=$(newest "$2")
	[ -n "$n" ] || skip "apt knows no $arch package matching $2 (needs Debian bookworm lists incl. bookworm-security)"
	echo "$n"
	exit 0
fi

only=
if [ "$1" = --only ]; then
	[ $# -ge 3 ] || usage
	only=$2; shift 2
fi
mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] || skip "cache dir $dir is not writable (set MW_VM_CACHE)"
for spec in "$@"; do
	pkg=${spec%%=*}
	ver=
	[ "$pkg" != "$spec" ] && ver=${spec#*=}
	# offline: a cached copy of the pinned version, or else of any version
	cached=$(ls -d "$dir/${pkg}_${ver#*:}"* 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$ver" ]; then
		ver=$(candidate "$pkg")
		[ -z "$ver" ] && [ -z "$cached" ] && refresh && ver=$(candidate "$pkg")
		[ -z "$ver" ] && [ -n "$cached" ] && { echo "$cached"; continue; }
		[ -n "$ver" ] || skip "apt knows no version of $pkg:$arch"
	fi
	dest="$dir/${pkg}_${ver#*:}" # (without the epoch: no ':' in paths that make sees)
	[ -d "$dest" ] && { echo "$dest"; continue; }
	tmp=$(mktemp -d "$dir/.fetch.XXXXXX") || skip "cannot create a temporary dir in $dir"
	# apt drops privileges to _apt for downloads; let it write the temporary dir.
	chmod 755 "$tmp"; chown _apt "$tmp" 2>/dev/null
	echo "debget.sh: downloading $pkg:$arch=$ver into $dir" >&2
	# shellcheck disable=SC2086
	if ! (cd "$tmp" && apt-get download -q $apt_opts "$pkg:$arch=$ver" >download.log 2>&1); then
		why=$(grep -E '^(E|Err)' "$tmp/download.log" | head -n 1)
		# stale lists name a version the mirror dropped: refresh once and retry
		nver=
		[ "$pkg" = "$spec" ] && refresh && nver=$(candidate "$pkg")
		# shellcheck disable=SC2086
		if [ -n "$nver" ] && (cd "$tmp" && apt-get download -q $apt_opts "$pkg:$arch=$nver" >download.log 2>&1); then
			ver=$nver dest="$dir/${pkg}_${nver#*:}"
		elif [ -n "$cached" ]; then
			rm -rf "$tmp"
			echo "$cached"
			continue
		else
			rm -rf "$tmp"
			skip "apt-get download $pkg:$arch=$ver failed: $why"
		fi
	fi
	deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] && mkdir "$tmp/x" && dpkg-deb -x "$deb" "$tmp/x" || { rm -rf "$tmp"; skip "unpacking $pkg:$arch=$ver failed"; }
	if [ -n "$only" ]; then
		for e in "$tmp/x"/* "$tmp/x"/.[!.]*; do
			[ -e "$e" ] && [ "$(basename "$e")" != "$only" ] && rm -rf "$e"
		done
	fi
	chmod -R a+rX "$tmp/x"
	# (another run may have finished first: then keep its copy)
	[ -d "$dest" ] || mv -T "$tmp/x" "$dest" 2>/dev/null || [ -d "$dest" ] || { rm -rf "$tmp"; skip "cannot move $pkg into $dest"; }
	rm -rf "$tmp"
	echo "$dest"
done
exit 0
