#!/bin/sh
# deb.sh - builds build/mapwatch_VERSION-1_ARCH.deb from `make install` into a staging tree, with dpkg-shlibdeps and dpkg-deb.
# Usage: sh scripts/deb.sh VERSION BUILD_DIR
set -eu
version=$1
build=$2
rev=1
arch=$(dpkg --print-architecture)
stage=$build/deb
root=$stage/root
rm -rf "$stage"
mkdir -p "$root/DEBIAN" "$stage/debian"
make -s install DESTDIR="$PWD/$root" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system STRIP=1 >/dev/null
doc=$root/usr/share/doc/mapwatch

# the Debian-specific files: copyright, changelog
cat > "$doc/copyright" <<EOT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: mapwatch
Comment: mapwatch watches memory-mapping system calls with eBPF. Its BPF programs
 declare the GPL to the kernel (src/bpf/mapwatch.bpf.c); no other license has
 been stated for the project.

Files: *
Copyright: 2026 the mapwatch authors
License: GPL
 On Debian systems, the complete text of the GNU General Public License
 can be found in /usr/share/common-licenses/GPL.
EOT
date=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")
cat > "$stage/changelog" <<EOT
mapwatch ($version-$rev) unstable; urgency=medium

  * Package built from the mapwatch source tree (make deb).

 -- mapwatch maintainers <mapwatch@example.org>  $date
EOT
gzip -9n -c "$stage/changelog" > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/copyright" "$doc/changelog.Debian.gz"

# shared-library dependencies, as dpkg-shlibdeps computes them
cat > "$stage/debian/control" <<EOT
Source: mapwatch

Package: mapwatch
Architecture: any
EOT
deps=$(cd "$stage" && dpkg-shlibdeps -O -e"root/usr/sbin/mapwatch" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)

cat > "$root/DEBIAN/control" <<EOT
Package: mapwatch
Version: $version-$rev
Architecture: $arch
Maintainer: mapwatch maintainers <mapwatch@example.org>
Installed-Size: $size
Depends: $deps
Section: admin
Priority: optional
Description: eBPF monitor of memory-mapping system calls, with W+X alerts
 mapwatch reports every mmap, mmap2, munmap, mprotect, pkey_mprotect, mremap
 and msync of a host or of one command, with its arguments decoded and the
 kernel's answer, and raises alerts on writable and executable memory,
 protection flips, fileless and device mappings. It runs as a systemd
 service configured by /etc/mapwatch/mapwatch.conf, writes JSON or table
 lines to a rotated file, ships RFC 5424 syslog over unix, UDP or TCP, and
 serves Prometheus metrics.
EOT
echo /etc/mapwatch/mapwatch.conf > "$root/DEBIAN/conffiles"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
out=$build/mapwatch_${version}-${rev}_$arch.deb
rm -f "$build"/mapwatch_*.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
