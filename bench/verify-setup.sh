#!/usr/bin/env bash
# Prepares a running Gatehouse at $BASE for bench/verify.lua, using the gatehouse binary $BIN on
# the same database ($GATEHOUSE_DATABASE_URL): an administrator, an org, a caller API key with
# gatehouse:verify, and two credentials to check (a PAT and an API key, both calls:read).
# Prints the environment to export.
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8080}
BIN=${BIN:-gatehouse}
post() { curl -sf "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
field() { sed "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/"; }
echo "benchmark admin password" | "$BIN" admin create-user --username benchadmin --admin --password-stdin >/dev/null
admin=$(curl -sf "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"benchadmin","password":"benchmark admin password"}' | field token)
org=$(post /v1/orgs "$admin" '{"name":"bench-org"}' | field id)
caller=$(post "/v1/orgs/$org/api-keys" "$admin" '{"name":"verifier","scopes":["gatehouse:verify"],"environment":"live"}' | field key)
pat=$(post /v1/auth/tokens "$admin" '{"name":"bench","expires_in":"never","scopes":["calls:read"]}' | field token)
key=$(post "/v1/orgs/$org/api-keys" "$admin" '{"name":"backend","scopes":["calls:read"],"environment":"live","allowed_cidrs":["10.0.0.0/8"]}' | field key)
echo "export CALLER_TOKEN=$caller PAT_TOKEN=$pat KEY_TOKEN=$key ORG_ID=$org"
