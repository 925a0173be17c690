#!/usr/bin/env bash
# Compares two gatehouse binaries on the hot paths, alternating in one run (old, new, old, new,
# ...): POST /v1/verify (an API key holding gatehouse:verify checks a calls:read PAT) and
# GET /v1/me with a session token, each on a fresh SQLite database (or PostgreSQL with PG_URL, a
# server URL whose databases this script may create and drop), wrk -t2 -c64 for $DURATION.
# PATHS adds others (default "verify me"): cc (client_credentials), refresh (refresh-token
# rotation of the CLI client, bench/oauth-setup.sh), login (password logins over 128 accounts,
# wrk -c2: at -c64 most are shed with fast 503s and the figure would count those).
# Every run also reports the server's resident memory right after start (rss_kb, idle).
# Usage: bench/ab.sh OLD_BIN NEW_BIN [ROUNDS]   Prints one line per run: binary, then rps by path.
set -euo pipefail
OLD=$1 NEW=$2 ROUNDS=${3:-3} DURATION=${DURATION:-10s}
cd "$(dirname "$0")/.."
export GATEHOUSE_ADDR=127.0.0.1:18471 GATEHOUSE_PUBLIC_URL=http://127.0.0.1:18471 BASE=http://127.0.0.1:18471
export GATEHOUSE_AUTH_RATE_LIMIT=1000000/m GATEHOUSE_LOG_FORMAT=json
rps() { awk '/Requests\/sec/ {print $2}'; }
run() { # run BIN LABEL
	local bin=$1 data db pid
	data=$(mktemp -d)
	if [ -n "${PG_URL:-}" ]; then
		db="gh_ab_$$_$RANDOM"
		psql "$PG_URL/postgres" -qc "CREATE DATABASE $db"
		export GATEHOUSE_DATABASE_URL="$PG_URL/$db?sslmode=disable"
	else
		export GATEHOUSE_DATABASE_URL=sqlite://$data/gatehouse.db
	fi
	"$bin" serve 2>"$data/serve.log" &
	pid=$!
	for _ in $(seq 50); do curl -sf "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
	sleep 1
	local rss
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	eval "$(BIN=$bin bench/verify-setup.sh)"
	local session
	session=$(curl -sf "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
		-d '{"username":"benchadmin","password":"benchmark admin password"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
	local line="$2 rss_kb $rss" p
	for p in ${PATHS:-verify me}; do
		case $p in
		verify) line+=" verify $(CHECK_TOKEN=$PAT_TOKEN wrk -t2 -c64 -d"$DURATION" -s bench/verify.lua "$BASE/v1/verify" | rps)" ;;
		me) line+=" me $(wrk -t2 -c64 -d"$DURATION" -H "Authorization: Bearer $session" "$BASE/v1/me" | rps)" ;;
		cc | refresh)
			if [ -z "${BASIC_DONE:-}" ]; then
				eval "$(BIN=$bin OUT_DIR=$data bench/oauth-setup.sh)"
				BASIC_DONE=1
			fi
			if [ "$p" = cc ]; then
				line+=" cc $(wrk -t2 -c64 -d"$DURATION" -s bench/client-credentials.lua "$BASE/oauth2/token" | rps)"
			else
				line+=" refresh $(wrk -t2 -c64 -d"$DURATION" -s bench/refresh.lua "$BASE/oauth2/token" | rps)"
			fi
			;;
		login)
			BASE=$BASE bench/setup.sh >/dev/null
			line+=" login $(wrk -t2 -c2 -d"$DURATION" -s bench/login.lua "$BASE/v1/auth/login" | rps)" # -c2: successful logins, not shed ones
			;;
		esac
	done
	unset BASIC_DONE
	echo "$line"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	rm -rf "$data"
	if [ -n "${PG_URL:-}" ]; then psql "$PG_URL/postgres" -qc "DROP DATABASE $db"; fi
}
for _ in $(seq "$ROUNDS"); do
	run "$OLD" old
	run "$NEW" new
done
