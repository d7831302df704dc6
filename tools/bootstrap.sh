#!/usr/bin/env bash
# Create or refresh the project's environment: .venv with the locked Python
# packages and the plugin (editable), plus anvil from the npm registry linked
# into .venv/bin. Every Make target runs this first.
#
# Idempotent: a stamp file records the hash of everything the environment was
# built from; when nothing changed, the script exits in well under a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.venv"
TOOLS_DIR="${ROOT}/.tools"
ANVIL_VERSION="1.7.1"
STAMP="${VENV}/.aiarena-stamp"

die() {
    echo "bootstrap: $*" >&2
    exit 1
}

# Only pip's own chatter about unused local mirrors is dropped; every real
# warning and error still reaches the terminal.
quiet_pip() {
    "${VENV}/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

anvil_package() {
    local os arch
    case "$(uname -s)" in
        Linux) os="linux" ;;
        Darwin) os="darwin" ;;
        *) die "no anvil build for $(uname -s); run on Linux or macOS." ;;
    esac
    case "$(uname -m)" in
        x86_64 | amd64) arch="amd64" ;;
        aarch64 | arm64) arch="arm64" ;;
        *) die "no anvil build for $(uname -m); run on x86_64 or arm64." ;;
    esac
    echo "@foundry-rs/anvil-${os}-${arch}"
}

# --- prerequisites ----------------------------------------------------------
PYTHON="${PYTHON:-python3}"
command -v "${PYTHON}" >/dev/null 2>&1 \
    || die "python3 (3.10 to 3.12) is required; install it (Debian/Ubuntu: apt-get install python3 python3-venv) and run again."
"${PYTHON}" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' \
    || die "python3 is $("${PYTHON}" -c 'import platform; print(platform.python_version())'), but 3.10 to 3.12 is required; install one and set PYTHON=/path/to/python3.x."
"${PYTHON}" -c 'import venv, ensurepip' 2>/dev/null \
    || die "python3 cannot create virtual environments; install the venv module (Debian/Ubuntu: apt-get install python3-venv) and run again."
command -v npm >/dev/null 2>&1 \
    || die "npm is required to install anvil; install Node.js with npm (Debian/Ubuntu: apt-get install npm) and run again."

ANVIL_PKG="$(anvil_package)"
WANT="$(cat "${ROOT}/requirements.lock" "${ROOT}/pyproject.toml" | sha256sum | cut -d' ' -f1) ${ANVIL_PKG}@${ANVIL_VERSION} $("${PYTHON}" -c 'import sys; print(sys.version_info[:2])')"

# --- the explorer's browser test: Debian's chromium and its driver -----------
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
        echo "bootstrap: installing chromium and chromium-driver (Debian packages) for the browser test"
        ${SUDO} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
            || { ${SUDO} apt-get update -q >/dev/null && ${SUDO} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; } \
            || die "apt-get could not install chromium and chromium-driver; install them (the explorer's browser test drives them) and run again."
    else
        die "chromium and chromedriver are needed for the explorer's browser test; install them (Debian/Ubuntu: apt-get install chromium chromium-driver) and run again."
    fi
fi

if [[ -f "${STAMP}" && "$(cat "${STAMP}")" == "${WANT}" && -x "${VENV}/bin/anvil" && -x "${VENV}/bin/ape" ]]; then
    exit 0
fi

# --- Python environment ----------------------------------------------------
if [[ ! -x "${VENV}/bin/python" ]]; then
    echo "bootstrap: creating ${VENV}"
    "${PYTHON}" -m venv "${VENV}"
fi
rm -f "${STAMP}"
echo "bootstrap: installing the locked Python packages (a minute or two the first time)"
quiet_pip install --quiet --disable-pip-version-check -r "${ROOT}/requirements.lock"
quiet_pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e "${ROOT}"

# --- anvil -----------------------------------------------------------------
ANVIL_BIN="${TOOLS_DIR}/node_modules/.bin/anvil"
if [[ ! -x "${ANVIL_BIN}" ]] || ! "${ANVIL_BIN}" --version 2>/dev/null | grep -q "${ANVIL_VERSION}"; then
    echo "bootstrap: installing anvil ${ANVIL_VERSION} (${ANVIL_PKG}) from the npm registry"
    mkdir -p "${TOOLS_DIR}"
    npm install --silent --no-audit --no-fund --no-package-lock --no-save \
        --prefix "${TOOLS_DIR}" "${ANVIL_PKG}@${ANVIL_VERSION}" \
        || die "npm could not install ${ANVIL_PKG}@${ANVIL_VERSION}; check that the npm registry is reachable and run again."
fi
"${ANVIL_BIN}" --version >/dev/null 2>&1 \
    || die "the anvil binary does not run here (it needs glibc 2.35 or newer); upgrade the OS or put a working anvil on PATH."
ln -sf "${ANVIL_BIN}" "${VENV}/bin/anvil"

echo "${WANT}" >"${STAMP}.tmp"
mv "${STAMP}.tmp" "${STAMP}"
echo "bootstrap: ready ($("${VENV}/bin/anvil" --version | head -n 1))"
