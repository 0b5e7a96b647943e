#!/usr/bin/env bash
# Executes every notebook through Jupyter's own client (nbconvert --execute, no --allow-errors):
# a cell error fails the run. Order: notebooks listed in notebooks/README.md (lines "N. `name`"),
# else all *.ipynb sorted. The peft4j kernelspec is installed into a temporary prefix first.
#   notebooks/run-all.sh            CI preset (PEFT4J_CI=1 unless set): executed copies go to a temp folder
#   notebooks/run-all.sh --write    full size (PEFT4J_CI=0 unless set): the executed notebooks, with their
#                                   outputs, replace the committed ones (each only when it ran without error)
#   notebooks/run-all.sh --out DIR  also keep the executed copies in DIR
#   notebooks/run-all.sh [--write] NAME.ipynb...   only these notebooks
set -euo pipefail
WRITE=0
KEEP=""
only=()
while [ $# -gt 0 ]; do
  arg="$1"; shift
  case "$arg" in
    --write) WRITE=1 ;;
    --out) [ $# -gt 0 ] || { echo "run-all.sh: --out needs a DIR" >&2; exit 2; }; KEEP="$1"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "run-all.sh: unknown option '$arg'; valid: --write, NAME.ipynb" >&2; exit 2 ;;
    *) only+=("$(basename "$arg")") ;;
  esac
done
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JUPYTER="${JUPYTER:-/usr/bin/jupyter}"
[ -x "$JUPYTER" ] || { echo "notebooks: $JUPYTER not found (apt-get install jupyter-client jupyter-nbconvert python3-nbclient python3-nbformat)" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/peft4j-notebooks.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
"$ROOT/bin/peft4j" kernel install --prefix "$TMP/prefix" >&2
export JUPYTER_PATH="$TMP/prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
if [ "$WRITE" = 1 ]; then export PEFT4J_CI="${PEFT4J_CI:-0}"; else export PEFT4J_CI="${PEFT4J_CI:-1}"; fi

list=()
if [ -f "$HERE/README.md" ]; then
  while IFS= read -r name; do
    [ -f "$HERE/$name" ] && list+=("$name")
  done < <(grep -oE '[A-Za-z0-9_.-]+\.ipynb' "$HERE/README.md" | awk '!seen[$0]++')
fi
while IFS= read -r f; do
  name="$(basename "$f")"
  printf '%s\n' "${list[@]:-}" | grep -qxF "$name" || list+=("$name")
done < <(find "$HERE" -maxdepth 1 -name '*.ipynb' | sort)

if [ "${#only[@]}" -gt 0 ]; then
  for name in "${only[@]}"; do [ -f "$HERE/$name" ] || { echo "run-all.sh: no notebook $HERE/$name" >&2; exit 2; }; done
  list=("${only[@]}")
fi

passed=0; failed=0; total_start=$(date +%s)
for nb in "${list[@]}"; do
  start=$(date +%s)
  if "$JUPYTER" nbconvert --to notebook --execute --ExecutePreprocessor.timeout="${NOTEBOOK_TIMEOUT:-900}" \
       --output-dir "$TMP/out" "$HERE/$nb" > "$TMP/log" 2>&1; then
    passed=$((passed + 1)); echo "notebook $nb: ok ($(( $(date +%s) - start )) s, PEFT4J_CI=$PEFT4J_CI)"
    if [ "$WRITE" = 1 ]; then
      cp "$TMP/out/$nb" "$HERE/.$nb.tmp" && mv "$HERE/.$nb.tmp" "$HERE/$nb"
      echo "  wrote $HERE/$nb with outputs"
    fi
    if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$TMP/out/$nb" "$KEEP/$nb"; fi
  else
    failed=$((failed + 1)); echo "notebook $nb: FAILED"; tail -40 "$TMP/log"
    break
  fi
done
echo "notebooks: $passed passed, $failed failed in $(( $(date +%s) - total_start )) s"
[ "$failed" -eq 0 ]
