#!/usr/bin/env bash
# install.sh: downloads shipsafe SHIPSAFE_VERSION for this runner from
# SHIPSAFE_DOWNLOAD_URL (VERSION in it is replaced), checks it against the release's
# SHA256SUMS, and puts it on the job's PATH.
set -euo pipefail
version=${SHIPSAFE_VERSION:?set SHIPSAFE_VERSION to a release tag}
url=${SHIPSAFE_DOWNLOAD_URL//VERSION/$version}
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=windows ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; arm64 | aarch64) arch=arm64 ;; *)
	echo "::error title=shipsafe install::no shipsafe build for $(uname -m)"
	exit 2
	;;
esac
archive=shipsafe-$os-$arch.tar.gz
dir=${RUNNER_TOOL_CACHE:-$HOME/.cache}/shipsafe/$version/$arch
mkdir -p "$dir"
cd "$dir"
curl -fsSLo "$archive" "$url/$archive"
curl -fsSLo SHA256SUMS "$url/SHA256SUMS"
grep " $archive\$" SHA256SUMS | sha256sum -c -
tar -xzf "$archive"
echo "$dir" >>"${GITHUB_PATH:?}"
"$dir/shipsafe" version
