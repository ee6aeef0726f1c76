# SPDX-License-Identifier: MIT
# Shared by scripts/demo and scripts/test: install what goc needs on a
# Debian machine and build it out of tree.  Sourced, not run.

GOC_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The Debian packages, one a line in scripts/packages ('#' starts a comment).
GOC_PACKAGES=$(sed 's/#.*//' "$GOC_SRC/scripts/packages" | tr -s ' \n' ' ')

goc_install_packages() {
    local missing=() pkg
    for pkg in $GOC_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "goc: installing Debian packages: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    if ! command -v apt-get >/dev/null; then
        echo "goc: apt-get not found; install these packages yourself: ${missing[*]}" >&2
        return 1
    fi
    $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

goc_bootstrap() {
    if [ ! -x "$GOC_SRC/configure" ] || [ "$GOC_SRC/configure.ac" -nt "$GOC_SRC/configure" ]; then
        (cd "$GOC_SRC" && autoreconf -fi >/dev/null 2>&1) || {
            echo "goc: autoreconf failed" >&2
            (cd "$GOC_SRC" && autoreconf -fi)
            return 1
        }
    fi
}

# goc_build DIR [configure args...]: configure and build in DIR.
goc_build() {
    local dir=$1
    shift
    mkdir -p "$dir"
    (
        cd "$dir" &&
            { [ -f Makefile ] || "$GOC_SRC/configure" -q "$@"; } &&
            make -s -j"$(nproc)" all build-tests
    )
}
