#!/usr/bin/env bash
# Installs everything the local stack and the tests need, on a fresh machine, idempotently:
# the virtualenv and packages, firebase-tools (Auth emulator) in .tools/, the BigQuery
# emulator's offline DuckDB extension, and checks Terraform, the Google Cloud CLI emulators and
# Java.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PIP_VERSION=26.3
# The pins of duckdb and duckdb-extension-spatial in requirements-dev.txt and constraints.txt
# (tests/unit/test_stack_bootstrap.py holds them equal).
DUCKDB_VERSION=1.5.5
# 3.11 exactly: the functions deploy on python311, and a unit test fails when the Python the
# tests run on differs (tests/unit/test_terraform.py): move both together.
PY_MINOR=3.11

say() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
minor() { "$1" -c "import sys${2:+, $2}; print('%d.%d' % sys.version_info[:2])" 2>/dev/null; }
# A virtualenv bootstrap can install into: its python runs, is $PY_MINOR and has pip. Not one
# whose creation was interrupted (`python -m venv` makes bin/python seconds before pip), one on
# an interpreter removed since (a dangling bin/python) or one made by hand on another Python.
venv_ok() { [ "$(minor "$1/bin/python" pip)" = "$PY_MINOR" ]; }

# Not PYTHON: make exports its own (.venv/bin/python) to recipes, which a fresh clone lacks.
PY=${BOOTSTRAP_PYTHON:-python3}
command -v "$PY" >/dev/null || die "python3 ($PY_MINOR) is required: $PY not found (BOOTSTRAP_PYTHON names another)"
[ "$(minor "$PY")" = "$PY_MINOR" ] \
  || die "python $PY_MINOR is required (the functions deploy on python${PY_MINOR/./}), $PY is $("$PY" -V 2>&1): set BOOTSTRAP_PYTHON (e.g. BOOTSTRAP_PYTHON=python$PY_MINOR)"
# Checked first, before minutes of installs: `make test` lints the Terraform files with it.
command -v terraform >/dev/null \
  || die "Terraform 1.7+ is required (make test checks the files under terraform/ with terraform fmt): https://developer.hashicorp.com/terraform/install"
# The versions too, not only the commands: firebase-tools 15 (the Auth emulator) exits on a Node
# older than 20, so with Debian 12's nodejs (18) bootstrap passed and `make run` / `make test`
# died later with "auth exited during start-up".
command -v node >/dev/null || die "Node.js 20+ and npm are required for the Firebase Auth emulator"
node_version=$(node -p process.versions.node 2>/dev/null) || node_version=unknown
[ "${node_version%%.*}" -ge 20 ] 2>/dev/null \
  || die "Node.js 20+ is required (found $node_version) for the Firebase Auth emulator (firebase-tools); Debian 12's nodejs package is 18: https://nodejs.org/en/download"
command -v java >/dev/null || die "Java 17+ is required for the Firestore and Pub/Sub emulators"
java_version=unknown
[[ "$(java -version 2>&1)" =~ version\ \"([0-9][^\"]*)\" ]] && java_version=${BASH_REMATCH[1]}
# The major version: its leading digits ("21", "17.0.9", "23-ea", "17-internal").
[[ "$java_version" =~ ^([0-9]+) ]] && java_major=${BASH_REMATCH[1]}
[ "${java_major:-0}" -ge 17 ] 2>/dev/null \
  || die "Java 17+ is required (found $java_version) for the Firestore and Pub/Sub emulators (Debian 12: openjdk-17-jre-headless, 13: openjdk-21-jre-headless)"

mkdir -p .tools/logs
# One bootstrap at a time in a checkout (make run and make test at once would install into the
# same virtualenvs and run npm ci twice): a second one waits, then finds the first's stamps.
if command -v flock >/dev/null; then
  exec 9>.tools/bootstrap.lock
  flock -n 9 || { say "waiting for another bootstrap of this checkout to finish"; flock 9; }
else
  say "WARNING: flock (util-linux) not found: two bootstraps at once in this checkout would collide"
fi

# A virtualenv that is not usable is made afresh, whatever its stamp says.
remake=()
for venv in .venv .venv-model .venv-checkov; do venv_ok "$venv" || remake+=("$venv"); done
if [ ${#remake[@]} -gt 0 ]; then
  # `python -m venv` needs ensurepip, which Debian and Ubuntu ship apart from python3: asked only
  # when a virtualenv is to be made (usable ones may come from virtualenv or uv).
  "$PY" -c 'import ensurepip' 2>/dev/null \
    || die "python3-venv is missing: $PY cannot create virtualenvs (no ensurepip); on Debian/Ubuntu: apt-get install python$PY_MINOR-venv"
  for venv in "${remake[@]}"; do
    if [ -e "$venv" ] || [ -L "$venv" ]; then  # -L: a dangling link
      say "remaking $venv: its bin/python is not a working Python $PY_MINOR with pip (an interrupted set-up, or its Python changed)"
      rm -rf "$venv"
    fi
  done
fi

# Installs that need nothing from each other run in the background while the model is set up
# (a fresh machine saves minutes); each writes its log to .tools/logs/,
# shown if it fails, and is waited for before the step that needs it or at the end.
# Every install is --no-compile: pip compiles each installed .py file, one at a time, and on a
# 2-vCPU machine that was most of the set-up (the model's virtualenv: 135-151 s with it, 37 s
# without, 2026-12-05); Python compiles the modules it imports on first use instead.
background=()
in_background() {  # name command...: run the command in the background, logged
  local name=$1; shift
  say "installing $name in the background (log: .tools/logs/$name.log)"
  # In its own process group (job control for this launch only), so that the trap below stops
  # pip and npm too, not only the subshell that started them.
  set -m; ("$@") > ".tools/logs/$name.log" 2>&1 & set +m
  background+=("$!:$name")
}
wait_background() {  # [name]: wait for that install, or for all of them
  local entry left=()
  for entry in ${background[@]+"${background[@]}"}; do
    if [ -n "${1:-}" ] && [ "${entry#*:}" != "$1" ]; then left+=("$entry"); continue; fi
    wait "${entry%%:*}" || { cat ".tools/logs/${entry#*:}.log" >&2; die "installing ${entry#*:} failed"; }
  done
  background=(${left[@]+"${left[@]}"})
}
# An early failure leaves nothing running: each background install's whole process group.
trap 'for job in $(jobs -p); do kill -- "-$job" 2>/dev/null || true; done' EXIT

# checkov (Terraform static checks) in its own virtualenv: its pins clash with .venv's.
install_checkov() {
  [ -x .venv-checkov/bin/python ] || "$PY" -m venv .venv-checkov
  .venv-checkov/bin/python -m pip install --quiet "pip==$PIP_VERSION"
  .venv-checkov/bin/python -m pip install --quiet --no-compile -r requirements-checkov.txt
  echo "$checkov_hash" > .venv-checkov/.bootstrap
}
checkov_hash=$(sha256sum requirements-checkov.txt | cut -c1-16)
stamp_ok .venv-checkov/.bootstrap "$checkov_hash" || in_background checkov install_checkov

# firebase-tools for the Auth emulator, in a local prefix (no global install). Without its
# optional dependencies (re2 and the node-gyp toolchain to build it, whose install scripts npm
# does not run anyway): on a 2-vCPU machine with an empty npm cache the install took 167 s
# wall and 266 s of CPU with them, 35 s and 29 s without (2026-12-05), and the Auth emulator
# needs none of them.
install_firebase_tools() {  # from the committed lockfile: every machine gets the same tree
  cp scripts/firebase-tools/package.json scripts/firebase-tools/package-lock.json .tools/
  NO_UPDATE_NOTIFIER=1 npm ci --no-fund --no-audit --omit=optional --prefix .tools
  echo "$firebase_hash" > .tools/.firebase
}
firebase_hash=$(cat scripts/firebase-tools/package.json scripts/firebase-tools/package-lock.json | sha256sum | cut -c1-16)
if ! stamp_ok .tools/.firebase "$firebase_hash"; then
  command -v npm >/dev/null || die "Node.js 20+ and npm are required for the Firebase Auth emulator"
  in_background firebase-tools install_firebase_tools
fi

# The persona model's own virtualenv (torch for training never reaches the functions), in the
# background beside .venv: the two installs share no files, and together they are most of a
# fresh machine's set-up time.
install_model_venv() {
  [ -x .venv-model/bin/python ] || "$PY" -m venv .venv-model
  .venv-model/bin/python -m pip install --quiet "pip==$PIP_VERSION"
  .venv-model/bin/python -m pip install --quiet --no-compile -r model_serving/requirements-train.txt \
    -c model_serving/constraints-model.txt
  echo "$model_hash" > .venv-model/.bootstrap
}
model_hash=$(cat model_serving/requirements-train.txt model_serving/requirements-retrain.txt model_serving/requirements.txt model_serving/constraints-model.txt | sha256sum | cut -c1-16)
stamp_ok .venv-model/.bootstrap "$model_hash" || in_background model-venv install_model_venv

# 1. Python virtualenv with the pinned packages (reinstalled when a requirements file changes),
#    in the background too: the persona model (3.) needs only its own virtualenv, and checking
#    it (CPU) while this install waits on the network saves about a minute on a fresh machine.
install_venv() {
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet "pip==$PIP_VERSION"
  .venv/bin/python -m pip install --quiet --no-compile -r requirements-dev.txt -c constraints.txt
  echo "$req_hash" > .venv/.bootstrap
}
req_hash=$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-16)
stamp_ok .venv/.bootstrap "$req_hash" || in_background venv install_venv

# 2. Google Cloud CLI emulators (Firestore, Pub/Sub); the Java they run on is checked above.
need_pkgs=()
command -v gcloud >/dev/null || need_pkgs+=(google-cloud-cli)
sdk_root=$( (gcloud info --format='value(installation.sdk_root)' 2>/dev/null) || true)
[ -n "$sdk_root" ] && [ -d "$sdk_root/platform/cloud-firestore-emulator" ] || need_pkgs+=(google-cloud-cli-firestore-emulator)
[ -n "$sdk_root" ] && [ -d "$sdk_root/platform/pubsub-emulator" ] || need_pkgs+=(google-cloud-cli-pubsub-emulator)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} with apt-get"
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q "${need_pkgs[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need_pkgs[@]}" >/dev/null 2>&1; }) \
      || die "could not install ${need_pkgs[*]}: install the Google Cloud CLI and its Firestore and Pub/Sub emulator components"
  else
    die "missing ${need_pkgs[*]}: install the Google Cloud CLI with its Firestore and Pub/Sub emulators"
  fi
fi

# 2b. Debian's Chromium, headless, for the insights dashboard's browser test.
if ! command -v chromium >/dev/null; then
  say "installing chromium with apt-get (the dashboard's browser test)"
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }) \
      || die "could not install chromium: install Debian's chromium package"
  else
    die "chromium is missing: install Debian's chromium package (apt-get install chromium)"
  fi
fi

# 3. The persona model for the committed corpus and code, as soon as its virtualenv is complete:
#    the committed heads (model_serving/released/) around a freshly exported encoder, checked
#    against their recorded held-out scores (about two minutes), or trained here when none match.
wait_background model-venv
.venv-model/bin/python -m model_serving.ensure || die "building the persona model failed"
wait_background venv

# 4. The BigQuery emulator downloads DuckDB's spatial extension at start; install the copy that
#    ships on PyPI into its HOME instead, so it starts offline.
if ! stamp_ok .tools/.bqhome "$DUCKDB_VERSION"; then
  say "installing DuckDB's spatial extension for the BigQuery emulator (offline)"
  mkdir -p .tools/bqhome
  HOME="$ROOT/.tools/bqhome" .venv/bin/python - "$DUCKDB_VERSION" <<'PY'
import pathlib, sys
import duckdb, duckdb_extension_spatial
ext = pathlib.Path(duckdb_extension_spatial.__file__).parent / "extensions" / f"v{sys.argv[1]}" / "spatial.duckdb_extension"
duckdb.sql(f"INSTALL '{ext}'")
PY
  echo "$DUCKDB_VERSION" > .tools/.bqhome
fi

wait_background
