#!/usr/bin/env bash
# krew-manifest.sh VERSION DIST URL: prints the krew plugin manifest for the archives in
# DIST (shipsafe-OS-ARCH.tar.gz), each downloaded from URL/<archive>, with its SHA-256.
set -euo pipefail
version=$1 dist=$2 url=$3
# krew wants a semantic version with a leading v; a build between tags is a pre-release.
semver=$version
[[ $semver =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || semver=v0.0.0-${version#v}
cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: shipsafe
spec:
  version: ${semver}
  homepage: https://github.com/shipsafe/shipsafe
  shortDescription: Deploy safely; whole and healthy, or rolled back
  description: |
    shipsafe deploys a release from plain YAML, kustomize or a Helm chart, tracks every
    object until it is ready, fails fast with events and logs, and rolls back to the last
    good revision on any failure, timeout or signal. Run it as 'kubectl shipsafe'.
  platforms:
YAML
for archive in "$dist"/shipsafe-*.tar.gz; do
	base=$(basename "$archive" .tar.gz)
	os=${base#shipsafe-}
	arch=${os#*-}
	os=${os%%-*}
	bin=shipsafe
	[ "$os" = windows ] && bin=shipsafe.exe
	sum=$(sha256sum "$archive" | cut -d' ' -f1)
	cat <<YAML
  - selector:
      matchLabels:
        os: ${os}
        arch: ${arch}
    uri: ${url}/${base}.tar.gz
    sha256: ${sum}
    bin: ${bin}
    files:
    - from: ${bin}
      to: .
    - from: LICENSE
      to: .
YAML
done
