#!/usr/bin/env bash
# The DPark reference runtime (DPark 0.5.0 on Python 2.7, the faithful runtime of legacy jobs) in its own
# environment, for `migrate translate dpark --verify` and the run-both tests. Idempotent.
#
#   scripts/setup-dpark.sh [VENV]     (default .venv-dpark; needs .venv/bin/uv from `make setup`)
#
# Needs Python 2.7 (pyenv's 2.7.18, or python2.7 on PATH) and PyPI. When it cannot install, it says why on
# stderr AND in VENV/FAILED, and exits 0: `make setup` goes on for everything else, while the dpark tests
# fail (never skip) with that reason.
set -uo pipefail
VENV="${1:-.venv-dpark}"
UV="${UV:-.venv/bin/uv}"
STAMP="$VENV/.installed"
[ -f "$STAMP" ] && exit 0

fail() {
  mkdir -p "$VENV"
  echo "DPark reference runtime not installed: $*" | tee "$VENV/FAILED" >&2
  exit 0
}

PY27=""
for cand in "${PYTHON27:-}" "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/2.7.18/bin/python2.7" \
            "$HOME/.pyenv/versions/2.7.18/bin/python2.7" "$(command -v python2.7 || true)"; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then PY27="$cand"; break; fi
done
[ -n "$PY27" ] || fail "no Python 2.7 found (pyenv install 2.7.18, or set PYTHON27=/path/to/python2.7)"
[ -x "$UV" ] || fail "$UV missing: run make setup first"

rm -rf "$VENV"
mkdir -p "$VENV" && VENV="$(cd "$VENV" && pwd)" && STAMP="$VENV/.installed"
echo "installing the DPark reference runtime into $VENV (Python 2.7: $PY27)" >&2
"$UV" tool run --quiet --from 'virtualenv<20.22' virtualenv --quiet --python "$PY27" "$VENV" >/dev/null \
  || fail "virtualenv<20.22 could not make a Python 2.7 environment with $PY27"
CONSTRAINTS="$VENV/constraints.txt"
printf 'Cython<3\n' > "$CONSTRAINTS"
export PIP_CONSTRAINT="$CONSTRAINTS" PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore
# Cython first: dpark's setup_requires builds its C extension with it (Cython 3 rejects its sources).
"$VENV/bin/pip" install -q 'Cython==0.29.37' >"$VENV/pip.log" 2>&1 || fail "pip install Cython (see $VENV/pip.log)"
"$VENV/bin/pip" install -q --no-deps dpark==0.5.0 pymesos==0.3.15 http-parser==0.9.0 pyzmq==19.0.2 \
  msgpack-python==0.5.6 psutil==6.1.1 addict==2.4.0 pyquicklz==1.4.1 py-lz4framed==0.14.0 six==1.17.0 \
  >>"$VENV/pip.log" 2>&1 || fail "pip install dpark==0.5.0 and its dependencies (see $VENV/pip.log)"

# Smoke test: a word count in local mode.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf "DPARK_WORK_DIR = '%s'\n" "$work/dpark" > "$work/dpark.conf"
cat > "$work/smoke.py" <<'PY'
from dpark import DparkContext
ctx = DparkContext()
r = ctx.makeRDD(["a b", "b"], 2).flatMap(lambda l: l.split()).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
assert sorted(r.collect()) == [("a", 1), ("b", 2)], r.collect()
print("dpark ok")
PY
out="$(cd "$work" && DPARK_CONF="$work/dpark.conf" "$VENV/bin/python" smoke.py -m local 2>&1)" \
  || fail "the smoke test failed: $(echo "$out" | tail -3)"
echo "$out" | grep -q "dpark ok" || fail "the smoke test printed no result: $(echo "$out" | tail -3)"
rm -f "$VENV/FAILED"
touch "$STAMP"
echo "DPark 0.5.0 ready in $VENV" >&2
