#!/usr/bin/env bash
# Adds N API keys (random hashes, calls:read) to organization $ORG_ID in the database
# $GATEHOUSE_DATABASE_URL, for the 1,000 vs 1,000,000 stored-credentials comparison in
# docs/benchmarks.md. Usage: bench/seed-keys.sh N   (needs sqlite3 or psql)
set -euo pipefail
n=${1:?how many keys}
url=${GATEHOUSE_DATABASE_URL:?}
run=$(date +%s%N) # seeded IDs are unique per run, so the script can be run again
case "$url" in
sqlite://*)
	sqlite3 "${url#sqlite://}" "PRAGMA busy_timeout=10000;
		WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n)
		INSERT INTO api_keys (id, org_id, environment, token_hash, scopes, created_at)
		SELECT printf('key_seed_${run}_%08d', i), '$ORG_ID', 'live', randomblob(32), '[\"calls:read\"]', 1700000000000 FROM k;" ;;
postgres://*|postgresql://*)
	psql "$url" -qc "INSERT INTO api_keys (id, org_id, environment, token_hash, scopes, created_at)
		SELECT 'key_seed_${run}_' || i, '$ORG_ID', 'live', sha256(convert_to(random()::text || i, 'UTF8')), '{calls:read}', now()
		FROM generate_series(1, $n) AS i" ;;
*) echo "unsupported database URL" >&2; exit 1 ;;
esac
echo "seeded $n keys into $ORG_ID"
