#!/usr/bin/env bash
# Prepares a running Gatehouse at $BASE (default http://127.0.0.1:8080) for the benchmarks in
# docs/benchmarks.md: 128 accounts bench0..bench127 and a session token in bench/token.
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8080}
for i in $(seq 0 127); do
	curl -s -o /dev/null "$BASE/v1/auth/register" -H 'Content-Type: application/json' \
		-d "{\"username\":\"bench$i\",\"password\":\"correct horse battery staple\"}"
done
curl -s "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"bench0","password":"correct horse battery staple"}' |
	sed 's/.*"token":"\([^"]*\)".*/\1/' > "$(dirname "$0")/token"
echo "token in $(dirname "$0")/token"
