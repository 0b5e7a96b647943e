#!/usr/bin/env bash
# Executes every notebook through Jupyter's own client (nbconvert --execute, no --allow-errors):
# a cell error fails the run. Order: notebooks listed in notebooks/README.md (lines "N. `name`"),
# else all *.ipynb sorted. The peft4j kernelspec is installed into a temporary prefix first.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JUPYTER="${JUPYTER:-/usr/bin/jupyter}"
[ -x "$JUPYTER" ] || { echo "notebooks: $JUPYTER not found (apt-get install jupyter-client jupyter-nbconvert python3-nbclient python3-nbformat)" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/peft4j-notebooks.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
"$ROOT/bin/peft4j" kernel install --prefix "$TMP/prefix" >&2
export JUPYTER_PATH="$TMP/prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export PEFT4J_CI="${PEFT4J_CI:-1}"

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

passed=0; failed=0
for nb in "${list[@]}"; do
  start=$(date +%s)
  if "$JUPYTER" nbconvert --to notebook --execute --ExecutePreprocessor.timeout="${NOTEBOOK_TIMEOUT:-900}" \
       --output-dir "$TMP/out" "$HERE/$nb" > "$TMP/log" 2>&1; then
    passed=$((passed + 1)); echo "notebook $nb: ok ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1)); echo "notebook $nb: FAILED"; tail -40 "$TMP/log"
    break
  fi
done
echo "notebooks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
