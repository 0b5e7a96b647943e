#!/usr/bin/env bash
# The library as a user's own project sees it (part of `bin/peft4j test`, after `mvn verify`):
#  1. `mvn install` of this checkout into a TEMPORARY local repository (seeded from ~/.m2 by hard links,
#     io/peft4j left out), so the shared ~/.m2 is never written;
#  2. a throw-away Maven project outside the checkout (dsl/src/it/consumer) that depends on the installed
#     io.peft4j:peft4j-dsl only, compiled and run: two LoRA AdamW steps on the shared tiny T5 fixture,
#     checked against PyTorch's loss trajectory;
#  3. the installed POM binds no logging backend; `java -jar` of the app answers a real command.
# Skips (exit 0, with a message) where the shared fixture is absent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SHARED="${PEFT4J_SHARED:-$ROOT/../shared}"
FIXTURE="$SHARED/fixtures/t5/tiny_flan"
if [ ! -f "$FIXTURE/expected.json" ]; then
  echo "consumer test: skipped (no shared fixture at $FIXTURE; set PEFT4J_SHARED)"; exit 0
fi
M2="${PEFT4J_M2:-$HOME/.m2/repository}"
VERSION="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$ROOT/pom.xml" | head -1)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/peft4j-consumer.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
REPO="$TMP/repo"
start=$(date +%s)

# 1. seed: directories and small files copied, jars hard-linked (Maven never rewrites a jar in place)
mkdir -p "$REPO"
if [ -d "$M2" ]; then
  (cd "$M2" && find . -path ./io/peft4j -prune -o -type d -print) | (cd "$REPO" && xargs mkdir -p)
  (cd "$M2" && find . -path ./io/peft4j -prune -o -type f ! -name '*.jar' -print0) | (cd "$M2" && xargs -0 -r cp --parents -t "$REPO")
  (cd "$M2" && find . -path ./io/peft4j -prune -o -type f -name '*.jar' -print0) | (cd "$M2" && xargs -0 -r cp -l --parents -t "$REPO" 2>/dev/null) \
    || (cd "$M2" && find . -path ./io/peft4j -prune -o -type f -name '*.jar' -print0 | xargs -0 -r cp --parents -t "$REPO")
fi
install=(mvn -B -q install -DskipTests -Dmdep.skip=true -Dmaven.repo.local="$REPO")
(cd "$ROOT" && { "${install[@]}" -o >"$TMP/install.log" 2>&1 || "${install[@]}" >"$TMP/install.log" 2>&1; }) \
  || { echo "consumer test: mvn install FAILED"; tail -40 "$TMP/install.log"; exit 1; }
for a in peft4j-parent/$VERSION/peft4j-parent-$VERSION.pom peft4j-dsl/$VERSION/peft4j-dsl-$VERSION.jar \
         peft4j-kernel/$VERSION/peft4j-kernel-$VERSION.jar peft4j-app/$VERSION/peft4j-app-$VERSION.jar; do
  [ -f "$REPO/io/peft4j/$a" ] || { echo "consumer test: FAILED, mvn install did not install io/peft4j/$a"; exit 1; }
done
[ ! -e "$M2/io/peft4j/peft4j-dsl/$VERSION/peft4j-dsl-$VERSION.jar" ] || [ "$M2/io/peft4j/peft4j-dsl/$VERSION/peft4j-dsl-$VERSION.jar" -ot "$TMP" ] \
  || { echo "consumer test: FAILED, the shared local repository was written"; exit 1; }
if grep -q "slf4j-simple\|logback\|log4j-slf4j" <(sed -n '/<dependencies>/,/<\/dependencies>/p' "$REPO/io/peft4j/peft4j-dsl/$VERSION/peft4j-dsl-$VERSION.pom" | grep -v '<scope>test</scope>'); then
  echo "consumer test: FAILED, the library POM binds a logging backend"; exit 1
fi

# 2. the user's project, outside the checkout
cp -r "$ROOT/dsl/src/it/consumer" "$TMP/consumer"
sed -i "s|@PEFT4J_VERSION@|$VERSION|" "$TMP/consumer/pom.xml"
build=(mvn -B -q -Dmaven.repo.local="$REPO" compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath
       -Dmdep.outputFile=cp.txt -Dmdep.includeScope=runtime)
(cd "$TMP/consumer" && { "${build[@]}" -o >"$TMP/consumer.log" 2>&1 || "${build[@]}" >"$TMP/consumer.log" 2>&1; }) \
  || { echo "consumer test: the consumer project did not build"; tail -40 "$TMP/consumer.log"; exit 1; }
grep -q "peft4j-dsl-$VERSION.jar" "$TMP/consumer/cp.txt" || { echo "consumer test: FAILED, peft4j-dsl not on the consumer's class path"; exit 1; }
(cd "$TMP/consumer" && java -Xmx1g -cp "target/classes:$(cat cp.txt)" example.LoraStep "$FIXTURE") | tee "$TMP/run.log"
grep -q "consumer LoRA step: OK" "$TMP/run.log"

# 3. java -jar without the bash launcher
JAR="$ROOT/app/target/peft4j-app-$VERSION.jar"
TOK="$SHARED/models/t5-tokenizer"
if [ -f "$TOK/tokenizer.json" ] || [ -f "$TOK/spiece.model" ]; then
  out="$(echo '{"text": "Hello world"}' | java -jar "$JAR" tokenize --tokenizer "$TOK" 2>/dev/null)"
  [[ "$out" == *'"ids"'* ]] || { echo "consumer test: FAILED, java -jar tokenize printed '$out'"; exit 1; }
fi
java -jar "$JAR" kernel --help >/dev/null
echo "consumer test ($(( $(date +%s) - start )) s): installed into a temporary repository, built a project outside the checkout, LoRA steps matched PyTorch, java -jar answered"
echo "consumer: 1 passed, 0 failed"
