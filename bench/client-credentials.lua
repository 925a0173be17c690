-- POST /oauth2/token, grant_type=client_credentials, authenticated with client_secret_basic:
-- $BASIC is base64(client_id:client_secret) of the confidential client bench/oauth-setup.sh
-- made. Failed answers show in wrk's "Non-2xx or 3xx responses" line.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")
wrk.body = "grant_type=client_credentials"
