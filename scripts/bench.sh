#!/usr/bin/env bash
# Reproduce the README "Performance" figures with public tools.
#
#   scripts/bench.sh [CORPUS] [SIZES]
#
# CORPUS defaults to ../shared/corpus/changelog.csv.gz (2,048 Changelog episodes, CC BY-SA 4.0,
# © Changelog Media LLC, from thechangelog/transcripts; see that directory's README).
# SIZES defaults to 300,1000,2048 (the first N episodes of the corpus).
#
# 1. cargo build --release
# 2. per size: the first N records into a temp CSV; `/usr/bin/time -v gdbot import` (wall time,
#    peak RSS), `hyperfine` if installed, and the sqlite3 shell (.import + FTS5) on the same CSV;
# 3. `gdbot bench` itself (search / ask percentiles, idle RSS, the same import figures).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus/changelog.csv.gz}
SIZES=${2:-300,1000,2048}
[ -r "$CORPUS" ] || { echo "corpus $CORPUS not readable" >&2; exit 1; }

cargo build --release
BIN=$PWD/target/release/gdbot
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RUST_LOG=warn
unset OPENAI_API_KEY

echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%d MB", $2/1024}' /proc/meminfo) RAM"
echo "sqlite3: $(command -v sqlite3 >/dev/null && sqlite3 -version | cut -d' ' -f1 || echo 'not installed')"

# The first N records of the corpus (CSV-aware: transcripts are quoted fields), same header.
subset() { # N OUT
    # (the reader stops early: ignore the SIGPIPE this gives zcat/cat under pipefail)
    { case "$CORPUS" in *.gz) zcat "$CORPUS" ;; *) cat "$CORPUS" ;; esac || true; } | python3 -c '
import csv, sys
csv.field_size_limit(sys.maxsize)
n = int(sys.argv[1]); out = csv.writer(open(sys.argv[2], "w", newline=""))
for i, row in enumerate(csv.reader(sys.stdin)):
    if i > n: break
    out.writerow(row)' "$1" "$2"
}

IFS=, read -ra NS <<<"$SIZES"
for n in "${NS[@]}"; do
    csv=$WORK/subset_$n.csv
    subset "$n" "$csv"
    echo "== $n episodes: $(du -m "$csv" | cut -f1) MB CSV"

    rm -f "$WORK"/g.db*
    DATABASE_URL=sqlite://$WORK/g.db /usr/bin/time -v "$BIN" import "$csv" 2>"$WORK/time.txt" >/dev/null
    grep -E 'Elapsed \(wall|Maximum resident' "$WORK/time.txt" | sed 's/^\s*/  gdbot import: /'
    echo "  gdbot DB: $(du -m "$WORK/g.db" | cut -f1) MB"

    if command -v sqlite3 >/dev/null; then
        rm -f "$WORK"/s.db*
        printf "%s\n" ".mode csv" ".import '$csv' t" \
            "CREATE VIRTUAL TABLE f USING fts5(transcript);" \
            "INSERT INTO f SELECT transcript FROM t;" >"$WORK/import.sql"
        /usr/bin/time -v sqlite3 "$WORK/s.db" <"$WORK/import.sql" 2>"$WORK/time.txt" >/dev/null
        grep -E 'Elapsed \(wall|Maximum resident' "$WORK/time.txt" | sed 's/^\s*/  sqlite3 shell: /'
    fi

    if command -v hyperfine >/dev/null; then
        hyperfine --runs 3 \
            --prepare "rm -f $WORK/h.db $WORK/h.db-wal $WORK/h.db-shm" \
            "DATABASE_URL=sqlite://$WORK/h.db $BIN import $csv" \
            --prepare "rm -f $WORK/hs.db" "sqlite3 $WORK/hs.db < $WORK/import.sql"
    fi
done

echo "== gdbot bench (search, ask, idle RSS; import figures again)"
"$BIN" bench "$CORPUS" --sizes "$SIZES"
