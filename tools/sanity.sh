#!/usr/bin/env bash
# Run `ansible-test sanity` on the collection.
#
# ansible-test only works from a path ending in ansible_collections/<namespace>/<name>, and it
# lists the collection's files through git. So this script copies the working tree's git-tracked
# files (uncommitted edits to tracked files count; untracked files do not) into a temporary
# ansible_collections/tap/multiregion, commits them to a throw-away git repository there, puts
# amazon.aws and community.aws beside it (our docs and imports use them), and runs ansible-test.
#
# Usage: tools/sanity.sh [extra ansible-test sanity options, e.g. --test validate-modules]
#        SANITY_INCLUDE_UNTRACKED=1 tools/sanity.sh   (also checks untracked files)
# Exit status: ansible-test's.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo_root/.venv}"
python_version="${SANITY_PYTHON:-3.11}"
# SANITY_INCLUDE_UNTRACKED=1 also copies untracked (not ignored) files: to check new files before
# committing them.
include_untracked="${SANITY_INCLUDE_UNTRACKED:-}"
if [[ "$include_untracked" == 0 ]]; then include_untracked=""; fi
site_packages="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# ansible-test bootstraps pip in each of its per-test virtual environments with get-pip.py,
# downloaded from a host that is unreachable here. tools/get_pip_shim.py does the same job with
# ensurepip and the package index; ansible-test uses a cached copy when one exists.
pip_cache="${HOME}/.ansible/test/cache"
# The pip version ansible-test bootstraps (python_requirements.py: default_packages pip='24.2').
pip_version="$(sed -n "s/^ *pip='\([0-9.]*\)',\$/\1/p" \
    "$site_packages/ansible_test/_internal/python_requirements.py" | head -n 1)"
if [[ -z "$pip_version" ]]; then
    echo "tools/sanity.sh: cannot tell which pip version ansible-test bootstraps" >&2
    exit 2
fi
pip_script="$pip_cache/get_pip_${pip_version//./_}.py"
if [[ ! -f "$repo_root/tools/get_pip_shim.py" ]]; then
    echo "tools/sanity.sh: tools/get_pip_shim.py is missing" >&2
    exit 2
fi
mkdir -p "$pip_cache"
if ! cmp -s "$repo_root/tools/get_pip_shim.py" "$pip_script"; then
    cp "$repo_root/tools/get_pip_shim.py" "$pip_script"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tap-sanity.XXXXXX")"
trap 'rm -rf "$work"' EXIT

collections="$work/ansible_collections"
dest="$collections/tap/multiregion"
mkdir -p "$dest"

# Tracked files as they are in the working tree (symlinks kept as symlinks); a tracked file that
# was deleted in the working tree is left out, and so are .venv (a local environment) and
# .collections (the link that makes this checkout resolve as tap.multiregion): neither is content
# of the collection, and ansible-test would reject them as symlinks to directories.
(
    cd "$repo_root"
    git ls-files -z --cached ${include_untracked:+--others --exclude-standard} | while IFS= read -r -d '' path; do
        if [[ "$path" == .venv || "$path" == .venv/* || "$path" == .collections/* ]]; then
            continue
        fi
        if [[ -e "$path" || -L "$path" ]]; then
            printf '%s\0' "$path"
        fi
    done | tar --null --no-recursion -T - -cf - | tar -C "$dest" -xf -
)

# Our dependencies as siblings, so doc fragments and module_utils imports resolve.
for ns in amazon community; do
    mkdir -p "$collections/$ns"
done
ln -s "$site_packages/ansible_collections/amazon/aws" "$collections/amazon/aws"
ln -s "$site_packages/ansible_collections/community/aws" "$collections/community/aws"

(
    cd "$dest"
    git init -q
    git add -A
    git -c user.name=sanity -c user.email=sanity@localhost -c commit.gpgsign=false \
        commit -q -m "sanity snapshot"
)

# Every sanity test runs here; none is skipped (their requirements come from the package index).
# The shellcheck test is the only one that needs a program outside the venv (Debian package shellcheck);
# without it ansible-test prints a warning and skips that test.
cd "$dest"
set +e
"$venv/bin/ansible-test" sanity --python "$python_version" --color no "$@"
status=$?
set -e
exit "$status"
