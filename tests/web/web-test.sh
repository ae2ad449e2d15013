#!/bin/sh
# Web-tier tests: what the web server in front of bpg-gateway must do on
# its own, whichever it is.  Run by tests/integ.sh once per web server
# (the stack's BPG_WEB) with the same cases and the same expectations, so
# lighttpd and Apache are held to identical answers.
#
#   . DIR/env; sh tests/web/web-test.sh      (DIR from tests/stack.sh)
#
# Two backends:
#   - the stack itself (web server + bpg-gateway + the Kubernetes
#     stand-in), for answers as clients see them;
#   - a second instance of the same web server configuration in front of
#     tests/web/fcgi-echo instead of the gateway (DIR/web-echo, ports
#     BPG_HTTPS_PORT+10 and +18), which reports the CGI parameters that
#     reached it and logs every request that got through.  "Refused by the
#     web server" means: the right status, and no line in that log.
#
# Cases: TLS versions and suites, SNI, HTTP/2, the HTTP->HTTPS redirect,
# basic auth (and the paths that need none), REMOTE_USER and User-Account
# forgery, body limits, dot segments and encoded slashes, CR/LF and other
# header injection, security headers, the gateway being down.
#
# Output is TAP; the exit status is 0 when every case passed.  Every
# network call is bounded (curl --max-time, timeout(1)).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
: "${BPG_STACK_DIR:?run through tests/integ.sh (source DIR/env)}"
: "${BPG_URL:?}" "${BPG_CA:?}" "${BPG_HTTPS_PORT:?}" "${BPG_WEB:?}"
: "${BPG_HTTP_REDIRECT_PORT:?}" "${BPG_SHARED_DIR:?}"

WEB=$BPG_WEB
CA=$BPG_CA
P=$BPG_HTTPS_PORT
U=https://127.0.0.1:$P
H=http://127.0.0.1:$BPG_HTTP_REDIRECT_PORT
E=$BPG_STACK_DIR/web-echo
EP=$((P + 10))
EU=https://127.0.0.1:$EP
EH=http://127.0.0.1:$((EP + 8))
ELOG=$E/echo.log
T=$BPG_STACK_DIR/web-test.tmp
ALICE=alice:alice-pw

rm -rf "$T"
mkdir -p "$T" "$E/pki"

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - [$WEB] $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - [$WEB] $1"
	shift
	for l in "$@"; do
		echo "#   $l"
	done
}
skip() {
	n=$((n + 1))
	echo "ok $n - [$WEB] $1 # SKIP $2"
}

# ---- HTTP helpers ----------------------------------------------------

# fetch URL [curl options...]: sets status, ctype; headers in $T/h, body
# in $T/b.  HTTP/1.1 unless the options say otherwise.
fetch() {
	url=$1
	shift
	rm -f "$T/h" "$T/b"
	status=$(curl -s --max-time 30 --cacert "$CA" --http1.1 -D "$T/h" \
	    -o "$T/b" -w '%{http_code}' "$@" "$url" 2>/dev/null)
	[ -n "$status" ] || status=000
	ctype=$(hdr Content-Type)
}

# hdr NAME: the (last) value of a response header, without CR.
hdr() {
	[ -f "$T/h" ] || return 0
	tr -d '\r' < "$T/h" | awk -v n="$1" 'BEGIN { n = tolower(n) }
	    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n)
	      { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); last = v } }
	    END { if (last != "") print last }'
}

body() {
	head -c 300 "$T/b" 2>/dev/null | tr '\n' ' '
}

# jbody FILTER: jq on the body; true when it yields true.
jbody() {
	jq -e "$1" "$T/b" >/dev/null 2>&1
}

# expect DESC STATUS [jq-filter]: status, and optionally the body.
expect() {
	if [ "$status" = "$2" ] && { [ $# -lt 3 ] || jbody "$3"; }; then
		ok "$1"
	else
		not_ok "$1" "want $2${3:+ and $3}, got $status $ctype" \
		    "body: $(body)"
	fi
}

# The web server's own JSON error documents (BPG's envelope).
is_error_doc() {	# is_error_doc CODE
	case $1 in
	401) jbody '.code == "401" and .message == "HTTP 401 Unauthorized."' ;;
	*) jbody ".code == $1 and (.message | type) == \"string\"" ;;
	esac && case $ctype in application/json*) true ;; *) false ;; esac
}

expect_doc() {	# expect_doc DESC STATUS
	if [ "$status" = "$2" ] && is_error_doc "$2"; then
		ok "$1"
	else
		not_ok "$1" "want $2 with a JSON error document, got $status" \
		    "$ctype: $(body)"
	fi
}

# raw PORT BYTES: send a hand-made HTTP/1.1 request over TLS (printf
# escapes allowed); the answer goes to $T/raw, its status code (000 if
# none) to stdout.
raw() {
	# shellcheck disable=SC2059 # the request is the format (escapes)
	printf "$2" | timeout 15 openssl s_client -quiet -connect \
	    "127.0.0.1:$1" -alpn http/1.1 -CAfile "$CA" > "$T/raw" 2>/dev/null
	head -1 "$T/raw" | tr -d '\r' | awk '$2 ~ /^[0-9][0-9][0-9]$/ {
	    print $2; found = 1 } END { if (!found) print "000" }'
}

# The JSON body of the last raw answer (chunked or not).
raw_body() {
	tr -d '\r' < "$T/raw" | awk 'b && /^\{/ { print } /^$/ { b = 1 }'
}

# The echo backend's request log.
echo_lines() {
	if [ -f "$ELOG" ]; then wc -l < "$ELOG"; else echo 0; fi
}
# not_reached DESC BEFORE: the echo backend saw nothing since BEFORE.
not_reached() {
	if [ "$(echo_lines)" -eq "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "the backend got: $(tail -n +$(($2 + 1)) "$ELOG" |
		    head -3 | tr '\n' ' ')"
	fi
}

# ---- the echo backend ----------------------------------------------

start_echo() {
	rm -f "$E/gateway.sock"
	spawn-fcgi -s "$E/gateway.sock" -M 0660 -n -- "$E/fcgi-echo" \
	    "$ELOG" > "$E/echo.out" 2>&1 &
	echo $! > "$E/echo.pid"
	i=0
	while [ ! -S "$E/gateway.sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$E/gateway.sock" ] || return 1
	[ "$(id -u)" != 0 ] || chgrp www-data "$E/gateway.sock"
}

stop_echo() {
	[ -f "$E/echo.pid" ] || return 0
	pid=$(cat "$E/echo.pid")
	kill "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$E/echo.pid"
}

cleanup() {
	WEB=$WEB sh tests/stack.sh web-stop "$E" >/dev/null 2>&1
	stop_echo
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

${CC:-cc} -O2 -Wall -Wextra -o "$E/fcgi-echo" tests/web/fcgi-echo.c -lfcgi ||
    { echo "Bail out! cannot build fcgi-echo"; exit 1; }
# The same CA and server certificate as the stack (pki.sh keeps them).
cp -p "$BPG_STACK_DIR"/pki/* "$E/pki/"
: > "$ELOG"
[ "$(id -u)" != 0 ] || chmod 666 "$ELOG"
start_echo || { echo "Bail out! fcgi-echo did not start"; exit 1; }
WEB=$WEB sh tests/stack.sh web-start "$E" "$EP" ||
    { echo "Bail out! $WEB in front of fcgi-echo did not start"; exit 1; }

# jecho FILTER: jq on the echo backend's report (the body).
jecho() {
	jbody "$1"
}

echo "# web tier: $WEB, stack $U, echo $EU"

# ---- TLS -------------------------------------------------------------

tls() {	# tls VERSION-OPTION [more s_client options]: handshake succeeds?
	timeout 15 openssl s_client -connect "127.0.0.1:$P" "$@" \
	    -CAfile "$CA" -verify_return_error -verify_ip 127.0.0.1 \
	    </dev/null >"$T/tls" 2>&1
}
for v in 1.0:tls1 1.1:tls1_1; do
	# SECLEVEL=0 lets the client offer the old versions at all.
	if tls -"${v#*:}" -cipher 'DEFAULT:@SECLEVEL=0'; then
		not_ok "TLS ${v%:*} refused" "handshake succeeded"
	else
		ok "TLS ${v%:*} refused"
	fi
done
for v in 1.2:tls1_2 1.3:tls1_3; do
	if tls -"${v#*:}"; then
		ok "TLS ${v%:*} accepted, certificate verified"
	else
		not_ok "TLS ${v%:*} accepted" "$(grep -i error "$T/tls" | head -2)"
	fi
done
for c in AES128-SHA AES256-GCM-SHA384 ECDHE-RSA-AES128-SHA256 \
    ECDHE-ECDSA-AES128-SHA; do
	if tls -tls1_2 -cipher "$c"; then
		not_ok "TLS 1.2 suite $c refused" "handshake succeeded"
	else
		ok "TLS 1.2 suite $c refused (no forward secrecy or no AEAD)"
	fi
done
if tls -noservername; then
	ok "TLS without SNI accepted (default certificate)"
else
	not_ok "TLS without SNI accepted" "$(grep -i error "$T/tls" | head -2)"
fi
fetch "https://localhost:$P/skatev2/healthcheck/status" -u "$ALICE" \
    --resolve "localhost:$P:127.0.0.1"
expect "SNI localhost: healthcheck 200" 200
fetch "https://other.example:$P/skatev2/healthcheck/status" -k \
    --resolve "other.example:$P:127.0.0.1"
expect_doc "unknown SNI name: same site, auth still required (401)" 401
v=$(curl -s -o /dev/null --max-time 20 --cacert "$CA" --http2 \
    -w '%{http_version}' -u "$ALICE" "$BPG_URL/healthcheck/status")
if [ "$v" = 2 ]; then ok "HTTP/2 over ALPN"; else
	not_ok "HTTP/2 over ALPN" "got HTTP/$v"; fi

# ---- plain HTTP -> HTTPS ---------------------------------------------

before=$(echo_lines)
fetch "$H/skatev2/healthcheck/status?a=b&c=%20"
if [ "$status" = 308 ] && [ "$(hdr Location)" = \
    "$U/skatev2/healthcheck/status?a=b&c=%20" ] &&
    [ -z "$(hdr WWW-Authenticate)" ] &&
    [ -z "$(hdr Strict-Transport-Security)" ]; then
	ok "HTTP redirects (308) to the same URL on HTTPS, no challenge"
else
	not_ok "HTTP redirects to HTTPS" "got $status Location: $(hdr Location)"
fi
fetch "$EH/skatev2/spark" -u "$ALICE" -H 'Content-Type: application/json' \
    --data-binary '{}'
if [ "$status" = 308 ] && [ "$(hdr Location)" = "$EU/skatev2/spark" ]; then
	ok "HTTP POST with credentials: 308 to HTTPS"
else
	not_ok "HTTP POST with credentials: 308" "got $status $(hdr Location)"
fi
fetch "$H/swagger-ui/"
if [ "$status" = 308 ] && [ "$(hdr Location)" = "$U/swagger-ui/" ]; then
	ok "HTTP /swagger-ui/ redirects to HTTPS"
else
	not_ok "HTTP /swagger-ui/ redirects" "got $status $(hdr Location)"
fi
fetch "$H/skatev2/a%2Fb"
expect_doc "HTTP port applies the same path rules (400)" 400
not_reached "nothing on the plain-HTTP port reached the backend" "$before"

# ---- basic auth ------------------------------------------------------

fetch "$BPG_URL/healthcheck/status"
expect_doc "no credentials: 401 from the web server" 401
case $(hdr WWW-Authenticate) in
'Basic realm="bpg"'*) ok "401 challenge: Basic realm=\"bpg\"" ;;
*) not_ok "401 challenge: Basic realm=\"bpg\"" \
    "WWW-Authenticate: $(hdr WWW-Authenticate)" ;;
esac
fetch "$BPG_URL/healthcheck/status" -u "$ALICE"
expect "right password: healthcheck 200" 200 '. == {"status":"OK"}'

before=$(echo_lines)
fetch "$EU/skatev2/healthcheck/status" -u alice:wrong
expect_doc "wrong password: 401" 401
fetch "$EU/skatev2/healthcheck/status" -u nobody:alice-pw
expect_doc "unknown user: 401" 401
fetch "$EU/skatev2/healthcheck/status" -u alice:
expect_doc "empty password: 401" 401
fetch "$EU/skatev2/healthcheck/status" -H 'Authorization: Basic Og=='
expect_doc "empty user and password: 401" 401
fetch "$EU/skatev2/healthcheck/status" -H 'Authorization: Bearer alice'
expect_doc "other auth scheme: 401" 401
# Undecodable credentials: lighttpd answers 400, Apache 401; both refuse.
fetch "$EU/skatev2/healthcheck/status" -H 'Authorization: Basic !!!'
if { [ "$status" = 400 ] || [ "$status" = 401 ]; } &&
    is_error_doc "$status"; then
	ok "undecodable Basic credentials refused ($status)"
else
	not_ok "undecodable Basic credentials refused" "$status $(body)"
fi
not_reached "refused credentials never reach the backend" "$before"

# Paths without authentication: only these exact ones.
for p in admin/version openapi.json openapi.yaml; do
	fetch "$EU/skatev2/$p" -H 'User-Account: alice'
	if [ "$status" = 200 ] && jecho '.REMOTE_USER == null and
	    .HTTP_USER_ACCOUNT == null'; then
		ok "/skatev2/$p reaches the backend without a user"
	else
		not_ok "/skatev2/$p without a user" "$status $(body)"
	fi
	fetch "$EU/skatev2/$p" -u alice:wrong
	expect "/skatev2/$p: a wrong password does not matter" 200 \
	    '.REMOTE_USER == null'
	fetch "$BPG_URL/$p"
	if [ "$status" != 401 ] && [ "$status" != 000 ] && [ -s "$T/b" ]; then
		ok "/skatev2/$p answered by the gateway without credentials ($status)"
	else
		not_ok "/skatev2/$p answered by the gateway" "$status $(body)"
	fi
done
for p in admin/version/ admin/versionx admin/version/x openapi.jsonx \
    openapi.json/x openapi.yml admin/ admin; do
	fetch "$EU/skatev2/$p"
	expect_doc "/skatev2/$p needs a user (exact paths only)" 401
done
fetch "$EU/skatev2/%61dmin/version"
expect "/skatev2/%61dmin/version: decoded alike, no user needed" 200 \
    '.REQUEST_URI == "/skatev2/%61dmin/version"'

# Livy's batches at the root (livy.path /batches): basic auth as under
# the prefix, then the gateway.
before=$(echo_lines)
fetch "$EU/batches"
expect_doc "/batches needs a user" 401
fetch "$EU/batches/1/state" -u alice:wrong
expect_doc "/batches/1/state: wrong password: 401" 401
not_reached "/batches without a user never reaches the backend" "$before"
fetch "$EU/batches/7/log?from=0&size=5" -u "$ALICE"
expect "/batches/...: REQUEST_URI as sent, REMOTE_USER" 200 \
    '.REQUEST_URI == "/batches/7/log?from=0&size=5" and
     .REMOTE_USER == "alice"'

# ---- what reaches the gateway ----------------------------------------

fetch "$EU/skatev2/spark/x%41y/status?q=a%2Fb&r=1" -u "$ALICE"
expect "REQUEST_URI as sent, REMOTE_USER, HTTPS" 200 \
    '.REQUEST_URI == "/skatev2/spark/x%41y/status?q=a%2Fb&r=1" and
     .REMOTE_USER == "alice" and .AUTH_TYPE == "Basic" and .HTTPS == "on"'
fetch "$EU/skatev2/spark" -u "$ALICE" -H 'Content-Type: application/json' \
    --data-binary '{"a":1}'
expect "POST: CONTENT_TYPE, CONTENT_LENGTH and the body" 200 \
    '.REQUEST_METHOD == "POST" and .CONTENT_TYPE == "application/json" and
     .CONTENT_LENGTH == "7" and .body_bytes == 7'
fetch "$EU/skatev2/spark" -u "$ALICE" -H 'Content-Type: text/yaml' \
    -H 'Transfer-Encoding: chunked' --data-binary 'a: 1'
expect "chunked POST: the whole body arrives" 200 '.body_bytes == 4'

for h in 'User-Account: bob' 'user-account: bob' 'USER-ACCOUNT: bob' \
    'User_Account: bob' 'User.Account: bob' 'User~Account: bob'; do
	fetch "$EU/skatev2/spark/mySubmissions" -u "$ALICE" -H "$h"
	expect "forged '$h': REMOTE_USER stays alice, no HTTP_USER_ACCOUNT" \
	    200 '.REMOTE_USER == "alice" and .HTTP_USER_ACCOUNT == null'
done
fetch "$EU/skatev2/spark/mySubmissions" -u "$ALICE" -H 'Remote-User: bob' \
    -H 'REMOTE_USER: bob'
expect "a Remote-User header cannot set REMOTE_USER" 200 \
    '.REMOTE_USER == "alice"'
fetch "$EU/skatev2/healthcheck/status" -H 'User-Account: alice'
expect_doc "User-Account without credentials: still 401" 401
code=$(raw "$EP" "GET /skatev2/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic $(printf %s "$ALICE" | base64)\r\nX-A: a\r\n User-Account: bob\r\nConnection: close\r\n\r\n")
if [ "$code" = 400 ] || { [ "$code" = 200 ] && raw_body |
    jq -e '.REMOTE_USER == "alice" and .HTTP_USER_ACCOUNT == null' \
    >/dev/null 2>&1; }; then
	ok "obs-fold 'User-Account' continuation: refused or folded ($code)"
else
	not_ok "obs-fold continuation line" "got $code: $(raw_body | head -c 300)"
fi

# Through the real gateway: the submission belongs to the authenticated
# user, whatever the client claims.
fetch "$BPG_URL/spark" -u "$ALICE" -H 'Content-Type: application/json' \
    -H 'User-Account: bob' --data-binary "@$BPG_SHARED_DIR/spec/sparkpi-request.json"
id=$(jq -r '.submissionId // empty' "$T/b" 2>/dev/null)
if [ "$status" = 200 ] && [ -n "$id" ]; then
	case $id in
	spark-cluster-a-*) kube=$BPG_KUBE_A ;;
	*) kube=$BPG_KUBE_B ;;
	esac
	curl -s --max-time 20 --cacert "$BPG_KUBE_CA" \
	    -H "Authorization: Bearer $BPG_KUBE_TOKEN" -o "$T/b" \
	    "$kube/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications/$id"
	if jbody '.metadata.labels.proxyUser == "alice"'; then
		ok "SparkPi with 'User-Account: bob' is alice's (proxyUser label)"
	else
		not_ok "SparkPi with a forged User-Account is alice's" \
		    "$(jq -c .metadata.labels "$T/b" 2>/dev/null)"
	fi
else
	not_ok "SparkPi with a forged User-Account submitted" "$status $(body)"
fi

# ---- body limits -----------------------------------------------------

mkbody() {	# mkbody FILE BYTES
	head -c "$2" /dev/zero | tr '\0' 'a' > "$1"
}
mkbody "$T/1m" 1048576
mkbody "$T/1m1" 1048577
mkbody "$T/3m" 3145728

before=$(echo_lines)
fetch "$EU/skatev2/spark" -u "$ALICE" -H 'Content-Type: application/json' \
    --data-binary "@$T/1m1"
expect_doc "1 MiB + 1 byte: 413 from the web server" 413
fetch "$EU/skatev2/spark" -H 'Content-Type: application/json' \
    --data-binary "@$T/1m1"
expect_doc "1 MiB + 1 byte without credentials: 413 (before auth)" 413
fetch "$EU/skatev2/admin/version" --data-binary "@$T/1m1"
expect_doc "1 MiB + 1 byte on a path without auth: 413" 413
code=$(raw "$EP" "POST /skatev2/s3/big.jar HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic $(printf %s "$ALICE" | base64)\r\nContent-Length: 5368709121\r\nConnection: close\r\n\r\n")
if [ "$code" = 413 ]; then
	ok "upload of 5 GiB + 1 byte: 413 before any byte is sent"
else
	not_ok "upload of 5 GiB + 1 byte: 413" "got $code"
fi
not_reached "bodies over the limit never reach the backend" "$before"

fetch "$EU/skatev2/spark" -u "$ALICE" -H 'Content-Type: application/json' \
    --data-binary "@$T/1m"
expect "exactly 1 MiB passes" 200 \
    '.CONTENT_LENGTH == "1048576" and .body_bytes == 1048576'
fetch "$EU/skatev2/s3/app.jar?folder=x" -u "$ALICE" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$T/3m"
expect "upload of 3 MiB to /skatev2/s3/ passes whole" 200 \
    '.CONTENT_LENGTH == "3145728" and .body_bytes == 3145728 and
     .REQUEST_URI == "/skatev2/s3/app.jar?folder=x"'
fetch "$BPG_URL/spark" -u "$ALICE" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary "@$T/1m1"
if [ "$status" = 413 ] && jbody '.code == 413'; then
	ok "chunked 1 MiB + 1 byte: 413"
else
	not_ok "chunked 1 MiB + 1 byte: 413" "got $status $(body)"
fi

# ---- request targets -------------------------------------------------

before=$(echo_lines)
for p in 'spark/../healthcheck/status' 'spark/./x/status' \
    'spark/%2e%2e/healthcheck/status' 'spark/.%2E/x' 'spark/%2E/x' \
    'spark/..%2F..%2Fetc' 'spark/a%2fb/status' '/healthcheck/status' \
    'spark/x/status/..' 'spark/x%0d%0aSet-Cookie:%20a=b/status' \
    'spark/x/status?a=%0a' 'spark/x/status?a=%7f' \
    'spark/x/status?a=%00'; do
	fetch "$EU/skatev2/$p" --path-as-is
	expect_doc "refused before auth: /skatev2/$p (400)" 400
done
# %00 in the path: Apache's own URL decoding refuses it (404) before any
# rule can; lighttpd's 400.  Refused either way.
fetch "$EU/skatev2/spark/x%00/status"
if { [ "$status" = 400 ] || [ "$status" = 404 ]; } &&
    is_error_doc "$status"; then
	ok "refused before auth: /skatev2/spark/x%00/status ($status)"
else
	not_ok "refused before auth: /skatev2/spark/x%00/status" \
	    "$status $(body)"
fi
not_reached "malformed targets never reach the backend" "$before"
fetch "$EU/skatev2/spark/x/status?folder=a%2Fb" --path-as-is -u "$ALICE"
expect "%2F in the query is fine" 200 \
    '.REQUEST_URI == "/skatev2/spark/x/status?folder=a%2Fb"'
fetch "$BPG_URL/spark/..%2F..%2Fetc" -X DELETE -u "$ALICE"
expect_doc "DELETE /skatev2/spark/..%2F..%2Fetc: 400" 400

# ---- header injection and framing -------------------------------------

auth=$(printf %s "$ALICE" | base64)
good="GET /skatev2/healthcheck/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic $auth\r\nConnection: close\r\n"
code=$(raw "$P" "$good\r\n")
if [ "$code" = 200 ]; then ok "hand-made request: 200"; else
	not_ok "hand-made request: 200" "got $code"; fi
before=$(echo_lines)
egood="GET /skatev2/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic $auth\r\nConnection: close\r\n"
while IFS='|' read -r desc req; do
	[ -n "$desc" ] || continue
	code=$(raw "$EP" "$req")
	if [ "$code" = 400 ]; then ok "$desc: 400"; else
		not_ok "$desc: 400" "got $code"; fi
done <<EOF
CR inside a header value|${egood}X-A: a\rUser-Account: bob\r\n\r\n
LF inside a header value|${egood}X-A: a\nUser-Account: bob\r\n\r\n
NUL inside a header value|${egood}X-A: a\000b\r\n\r\n
control byte in a header name|${egood}X\001A: b\r\n\r\n
space before the colon|${egood}User-Account : bob\r\n\r\n
LF-only line ends|GET /skatev2/x HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Basic $auth\n\n
CR inside the request line|GET /skatev2/x\rX HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n
two different Content-Lengths|POST /skatev2/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic $auth\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}x
HTTP/1.1 without Host|GET /skatev2/x HTTP/1.1\r\nAuthorization: Basic $auth\r\nConnection: close\r\n\r\n
invalid Host|GET /skatev2/x HTTP/1.1\r\nHost: a b\r\nAuthorization: Basic $auth\r\nConnection: close\r\n\r\n
EOF
not_reached "malformed requests never reach the backend" "$before"
# Content-Length with Transfer-Encoding (request smuggling): lighttpd
# refuses it; Apache drops Content-Length, reads the chunked body and closes
# the connection (RFC 9112 §6.3).  Either way only the chunked body counts.
code=$(raw "$EP" "POST /skatev2/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic $auth\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /skatev2/smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
if { [ "$code" = 400 ] || { [ "$code" = 200 ] && raw_body |
    jq -e '.body_bytes == 0' >/dev/null 2>&1; }; } &&
    ! grep -q smuggled "$ELOG"; then
	ok "Content-Length with Transfer-Encoding: no smuggling ($code)"
else
	not_ok "Content-Length with Transfer-Encoding" "got $code"
fi

fetch "$BPG_URL/healthcheck/status" -X TRACE -u "$ALICE"
expect_doc "TRACE: 405" 405
fetch "$BPG_URL/healthcheck/status" -X FOO -u "$ALICE"
expect_doc "unknown method: 501" 501

# ---- security headers ------------------------------------------------

sec_headers() {	# sec_headers DESC CSP-PATTERN
	miss=""
	[ "$(hdr Strict-Transport-Security)" = "max-age=63072000" ] ||
	    miss="$miss HSTS"
	[ "$(hdr X-Content-Type-Options)" = nosniff ] || miss="$miss nosniff"
	[ "$(hdr X-Frame-Options)" = DENY ] || miss="$miss X-Frame-Options"
	[ "$(hdr Referrer-Policy)" = no-referrer ] || miss="$miss Referrer"
	# shellcheck disable=SC2254 # $2 is a pattern
	case $(hdr Content-Security-Policy) in
	$2) ;;
	*) miss="$miss CSP($(hdr Content-Security-Policy))" ;;
	esac
	if [ -z "$miss" ]; then ok "$1"; else not_ok "$1" "missing:$miss"; fi
}
fetch "$BPG_URL/healthcheck/status" -u "$ALICE"
sec_headers "security headers on API answers" "default-src 'none'*"
if [ "$(hdr Cache-Control)" = no-store ]; then
	ok "API answers are not cached (Cache-Control: no-store)"
else
	not_ok "API answers: Cache-Control no-store" "$(hdr Cache-Control)"
fi
fetch "$BPG_URL/healthcheck/status"
sec_headers "security headers on the web server's 401" "default-src 'none'*"
if [ -f "$BPG_STACK_DIR/share/swagger-ui/index.html" ]; then
	fetch "$U/swagger-ui/"
	case $ctype in
	text/html*)
		if [ "$status" = 200 ]; then
			ok "Swagger UI without credentials"
		else
			not_ok "Swagger UI without credentials" "got $status"
		fi ;;
	*) not_ok "Swagger UI is HTML" "got $status $ctype" ;;
	esac
	sec_headers "Swagger UI: its own CSP (scripts from the site only)" \
	    "*script-src 'self';*"
	fetch "$U/swagger-ui/swagger-initializer.js"
	case $status/$ctype in
	200/*javascript*) ok "Swagger UI initializer served as JavaScript" ;;
	*) not_ok "Swagger UI initializer" "got $status $ctype" ;;
	esac
else
	skip "Swagger UI without credentials" "not built (make swagger-ui)"
fi
fetch "$U/nothing-here"
expect_doc "unknown static path: 404 as JSON" 404
fetch "$U/bpg-errors/404.html"
expect_doc "error documents are not pages of their own (404)" 404

# ---- the gateway down ------------------------------------------------

stop_echo
fetch "$EU/skatev2/healthcheck/status" -u "$ALICE"
expect_doc "gateway down: 503" 503
start_echo
i=0
while :; do
	fetch "$EU/skatev2/healthcheck/status" -u "$ALICE"
	[ "$status" = 200 ] || [ $i -ge 30 ] && break
	sleep 0.2
	i=$((i + 1))
done
expect "gateway back: served again at once" 200 '.REMOTE_USER == "alice"'

echo "1..$n"
echo "# web-test ($WEB): $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
