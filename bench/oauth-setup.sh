#!/usr/bin/env bash
# Prepares a running Gatehouse at $BASE for the OAuth benchmarks (docs/benchmarks.md, "OAuth"),
# using the gatehouse binary $BIN on the same database ($GATEHOUSE_DATABASE_URL):
#   - an administrator and an organization;
#   - a confidential client with the client_credentials grant (scope calls:read), for
#     bench/client-credentials.lua and as the caller of bench/introspect.lua (client_secret_basic);
#   - a JWT access token of that client and a PAT (calls:read), to introspect, and an API key
#     holding gatehouse:verify, the other kind of introspection caller;
#   - $CHAINS refresh tokens (default 66: one per wrk connection at -c64 -t2, plus one per thread
#     that wrk spends on checking the script) of the built-in client
#     gatehouse-cli, scope offline_access (no ID token), each from its own device flow, written one
#     per line to $OUT_DIR/refresh-tokens for bench/refresh.lua. The device approvals come from
#     distinct loopback addresses (127.0.0.10, …) by $CHAINS/8 users, because user-code look-ups
#     are limited per person and per client address (10 per 10 minutes each).
# Prints the environment to export. Needs curl and jq; runs on Linux (all of 127/8 is loopback).
# A refresh run spends the chains (the newest tokens live only in wrk): SEED_ONLY=1 seeds
# $CHAINS new ones for the next run (with new users; each address approves once per round, so
# up to 9 rounds fit in 10 minutes).
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8080}
BIN=${BIN:-gatehouse}
CHAINS=${CHAINS:-66}
OUT_DIR=${OUT_DIR:-$PWD}
PASSWORD="benchmark password of the oauth setup"

json() { curl -sf "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
login() {
	curl -sf "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | jq -r .token
}

users=$(((CHAINS + 7) / 8))
declare -a sessions
if [ "${SEED_ONLY:-}" != 1 ]; then
	echo "$PASSWORD" | "$BIN" admin create-user --username oauthadmin --admin --password-stdin >/dev/null
	admin=$(login oauthadmin)
	org=$(json /v1/orgs "$admin" '{"name":"oauth-bench"}' | jq -r .id)
	client=$(json "/v1/orgs/$org/oauth-clients" "$admin" \
		'{"name":"bench service","grant_types":["client_credentials"],"scopes":["calls:read"]}')
	client_id=$(jq -r .client_id <<<"$client")
	client_secret=$(jq -r .client_secret <<<"$client")
	basic=$(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)
	jwt=$(curl -sf "$BASE/oauth2/token" -H "Authorization: Basic $basic" -d grant_type=client_credentials | jq -r .access_token)
	pat=$(json /v1/auth/tokens "$admin" '{"name":"oauth-bench","expires_in":"never","scopes":["calls:read"]}' | jq -r .token)
	caller=$(json "/v1/orgs/$org/api-keys" "$admin" '{"name":"introspector","scopes":["gatehouse:verify"],"environment":"live"}' | jq -r .key)
fi
# New users every round: each may approve only 10 user codes per 10 minutes.
round=$(date +%s%N | cut -c9-16)
for u in $(seq 0 $((users - 1))); do
	echo "$PASSWORD" | "$BIN" admin create-user --username "oauthbench${round}u$u" --password-stdin >/dev/null
	sessions[u]=$(login "oauthbench${round}u$u")
done
: >"$OUT_DIR/refresh-tokens"
for i in $(seq 0 $((CHAINS - 1))); do
	flow=$(curl -sf "$BASE/oauth2/device_authorization" -d client_id=gatehouse-cli -d scope=offline_access)
	curl -sf -o /dev/null --interface "127.0.0.$((10 + i))" "$BASE/v1/device/approve" \
		-H "Authorization: Bearer ${sessions[i / 8]}" -H 'Content-Type: application/json' \
		-d "{\"user_code\":\"$(jq -r .user_code <<<"$flow")\"}"
	curl -sf "$BASE/oauth2/token" -d client_id=gatehouse-cli \
		-d grant_type=urn:ietf:params:oauth:grant-type:device_code \
		-d "device_code=$(jq -r .device_code <<<"$flow")" | jq -r .refresh_token >>"$OUT_DIR/refresh-tokens"
done
if [ "${SEED_ONLY:-}" = 1 ]; then
	echo "export REFRESH_TOKENS=$OUT_DIR/refresh-tokens"
else
	echo "export CLIENT_ID=$client_id CLIENT_SECRET=$client_secret BASIC=$basic JWT_TOKEN=$jwt PAT_TOKEN=$pat CALLER_TOKEN=$caller REFRESH_TOKENS=$OUT_DIR/refresh-tokens"
fi
