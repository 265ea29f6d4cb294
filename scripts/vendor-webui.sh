#!/usr/bin/env bash
# Vendors the browser assets that internal/webui embeds (GraphiQL + React for
# the Playground, Swagger UI for /docs) at pinned versions from the npm
# registry, so the binary serves them itself and works offline.
#
#   scripts/vendor-webui.sh [graphiql-version] [swagger-ui-dist-version]
#
# Only `npm pack` is used (in a temporary directory): nothing is installed
# into the repository and no node_modules is created. Only the minified
# production files the pages load are copied, each package's licence beside
# them, and no source maps. The files are copied byte for byte, so they can be
# checked against the registry's tarballs; the pinned versions and the
# tarballs' integrity hashes are recorded in assets/vendor/VERSIONS.
set -euo pipefail

GRAPHIQL_VERSION="${1:-3.9.0}"
SWAGGER_UI_VERSION="${2:-5.35.0}"
# GraphiQL 3's UMD bundle expects React 18 as the globals React and ReactDOM.
REACT_VERSION="18.3.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/internal/webui/assets/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v npm >/dev/null || { echo "npm not found (apt-get install npm)" >&2; exit 1; }

integrity=()

# fetch PKG VERSION: downloads and unpacks the tarball into $work/PKG/package.
fetch() {
	local pkg="$1" version="$2" tgz
	mkdir -p "$work/$pkg"
	tgz="$(cd "$work/$pkg" && npm pack --silent "$pkg@$version" | tail -n 1)"
	tar -xzf "$work/$pkg/$tgz" -C "$work/$pkg"
	integrity+=("$pkg $version $(npm view "$pkg@$version" dist.integrity)")
}

# copy PKG FILE...: copies files of an unpacked package to $vendor/PKG.
copy() {
	local pkg="$1"
	shift
	mkdir -p "$vendor/$pkg"
	for f in "$@"; do
		cp "$work/$pkg/package/$f" "$vendor/$pkg/$(basename "$f")"
	done
}

rm -rf "$vendor"
mkdir -p "$vendor"

fetch graphiql "$GRAPHIQL_VERSION"
copy graphiql graphiql.min.js graphiql.min.css LICENSE

fetch react "$REACT_VERSION"
copy react umd/react.production.min.js LICENSE

fetch react-dom "$REACT_VERSION"
copy react-dom umd/react-dom.production.min.js LICENSE

fetch swagger-ui-dist "$SWAGGER_UI_VERSION"
# The bundle's third-party licence notices travel with it.
copy swagger-ui-dist swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE

{
	echo "# Written by scripts/vendor-webui.sh; do not edit by hand."
	echo "# package version npm-integrity"
	printf '%s\n' "${integrity[@]}"
} >"$vendor/VERSIONS"

echo "vendored into $vendor:"
cat "$vendor/VERSIONS"
du -sh "$vendor"
