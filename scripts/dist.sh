#!/usr/bin/env bash
# dist.sh: release binaries, archives, SHA256SUMS and a krew manifest into $DIST.
#
# Every binary is static (CGO_ENABLED=0), stripped (-s -w) and reproducible (-trimpath,
# an empty build id, and the date taken from the commit, not the clock): two runs from
# the same commit with the same Go version give byte-identical files, whoever builds.
# Archives are reproducible too (sorted, fixed owner, modes and mtime, gzip without a
# name or time). The builder's own go settings are overridden: GOFLAGS (an empty
# GOFLAGS would fall back to `go env -w GOFLAGS=...`, so it is set), GOAMD64, GOARM64.
#
# Environment: VERSION, COMMIT, DATE (defaults from git), PLATFORMS (os/arch list),
# DIST (output directory), DIST_URL (where the archives will be downloaded from, for
# the krew manifest), GO.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # the order of SHA256SUMS and the krew manifest's platforms

GO=${GO:-go}
DIST=${DIST:-dist}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
DATE=${DATE:-$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || echo unknown)}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}
DIST_URL=${DIST_URL:-https://github.com/shipsafe/shipsafe/releases/download/$VERSION}
# SOURCE_DATE_EPOCH fixes archive mtimes to the commit's time.
EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)

pkg=github.com/shipsafe/shipsafe/internal/cli
ldflags="-s -w -buildid= -X $pkg.Version=$VERSION -X $pkg.Commit=$COMMIT -X $pkg.Date=$DATE"

rm -rf "$DIST"
mkdir -p "$DIST"
for p in $PLATFORMS; do
	os=${p%/*} arch=${p#*/}
	ext=""
	[ "$os" = windows ] && ext=.exe
	name=shipsafe-$os-$arch
	echo "build $name$ext ($VERSION)"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOFLAGS=-mod=readonly GOAMD64=v1 GOARM64=v8.0 \
		$GO build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$DIST/$name$ext" ./cmd/shipsafe
	# The archive holds the binary under its plain name (and as the kubectl plugin),
	# plus the licence, as krew expects; modes fixed, not the builder's umask.
	stage=$(mktemp -d)
	install -m 0755 "$DIST/$name$ext" "$stage/shipsafe$ext"
	install -m 0644 LICENSE "$stage/LICENSE"
	tar --format=gnu --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner \
		-C "$stage" -cf - "shipsafe$ext" LICENSE | gzip -n >"$DIST/$name.tar.gz"
	rm -rf "$stage"
done

(cd "$DIST" && sha256sum -- * >SHA256SUMS)
scripts/krew-manifest.sh "$VERSION" "$DIST" "$DIST_URL" >"$DIST/shipsafe.krew.yaml"
ls -l "$DIST"
