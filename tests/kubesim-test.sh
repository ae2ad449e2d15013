#!/bin/sh
# Tests of the Kubernetes API stand-in itself (tests/kubesim).
#
#   make build/kubesim && sh tests/kubesim-test.sh
#
# Makes certificates in a temporary directory, starts kubesim with two
# clusters on free loopback ports and checks it against the Kubernetes
# behaviour the gateway relies on.  Prints "ok"/"not ok" per check, then
# "N passed, N failed"; exits non-zero on any failure.  Everything it
# starts is stopped on exit.
#
# Environment: KUBESIM (the binary, default build/kubesim),
# BPG_SHARED_DIR (default ../shared, for the CRD), KEEP=1 keeps the
# temporary directory (logs) for a look afterwards.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
KUBESIM=${KUBESIM:-$top/build/kubesim}
SHARED=${BPG_SHARED_DIR:-$top/../shared}
CRD=$SHARED/spec/sparkapplications-crd.yaml
NS=spark-applications
GROUPV=/apis/sparkoperator.k8s.io/v1beta2
APPS=$GROUPV/namespaces/$NS/sparkapplications
PODS=/api/v1/namespaces/$NS/pods

pass=0
fail=0
KPID=
BGPIDS=
T=$(mktemp -d "${TMPDIR:-/tmp}/kubesim-test.XXXXXX") || exit 1

cleanup()
{
	for p in $BGPIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then
		kill "$KPID" 2>/dev/null
		n=50
		while kill -0 "$KPID" 2>/dev/null && [ "$n" -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -9 "$KPID" 2>/dev/null
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
# Also when killed or when the output pipe closes (| head): no orphans.
trap 'exit 129' HUP
trap 'exit 130' INT TERM
trap 'exit 141' PIPE

# result DESC STATUS [DETAIL]: record one check.
result()
{
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok $((pass + fail)) - $1"
	else
		fail=$((fail + 1))
		echo "not ok $((pass + fail)) - $1"
		[ -n "${3:-}" ] && echo "#   $3"
	fi
	return 0
}

finish()
{
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}

bail()
{
	echo "# $*"
	fail=$((fail + 1))
	finish
}

# poll SECONDS CMD...: run CMD every 0.1 s until it succeeds.
poll()
{
	_n=$(($1 * 10))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.1
	done
}

# req METHOD PORT PATH [CURL ARGS...]: $code, $T/body, $T/hdr.
req()
{
	_m=$1 _p=$2 _path=$3
	shift 3
	code=$(curl -sS --max-time 15 --cacert "$T/pki/ca.pem" \
	    -H "@$T/auth" -X "$_m" -D "$T/hdr" -o "$T/body" \
	    -w '%{http_code}' "$@" "https://127.0.0.1:$_p$_path" \
	    2>"$T/curlerr") || code=000
	return 0
}

# The same without credentials.
anon()
{
	_m=$1 _p=$2 _path=$3
	shift 3
	code=$(curl -sS --max-time 15 --cacert "$T/pki/ca.pem" -X "$_m" \
	    -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" \
	    "https://127.0.0.1:$_p$_path" 2>"$T/curlerr") || code=000
	return 0
}

# post PORT PATH FILE [CURL ARGS...]
post()
{
	_p=$1 _path=$2 _f=$3
	shift 3
	req POST "$_p" "$_path" -H 'Content-Type: application/json' \
	    --data-binary "@$_f" "$@"
}

# ctl METHOD PATH [BODY]: the control API; the answer in $T/ctl.
ctl()
{
	if [ $# -gt 2 ]; then
		curl -sS --max-time 15 -X "$1" \
		    -H 'Content-Type: application/json' -d "$3" \
		    -o "$T/ctl" "http://127.0.0.1:$CTL$2" 2>/dev/null
	else
		curl -sS --max-time 15 -X "$1" -o "$T/ctl" \
		    "http://127.0.0.1:$CTL$2" 2>/dev/null
	fi
}

jqb()
{
	jq -e "$@" "$T/body" >/dev/null 2>&1
}

# jqis FILTER TEXT: the body's FILTER is the string TEXT.
jqis()
{
	jqb --arg want "$2" "$1 == \$want"
}

# jqstarts FILTER TEXT: the body's FILTER starts with TEXT.
jqstarts()
{
	jqb --arg want "$2" "$1 | startswith(\$want)"
}

detail()
{
	echo "HTTP $code: $(head -c 600 "$T/body" 2>/dev/null)"
}

# mkapp NAME [JQ FILTER]: a SparkApplication body in $T/req.json.
mkapp()
{
	jq -c --arg n "$1" ".metadata.name = \$n | ${2:-.}" "$T/app.json" \
	    > "$T/req.json"
}

# app_state PORT NAME STATE: true when the application is in STATE.
app_state()
{
	req GET "$1" "$APPS/$2"
	[ "$code" = 200 ] &&
	    jqb --arg s "$3" '.status.applicationState.state == $s'
}

gone()
{
	req GET "$1" "$2"
	[ "$code" = 404 ]
}

# ---- set-up -----------------------------------------------------------------

for p in curl jq openssl; do
	command -v "$p" >/dev/null 2>&1 ||
	    bail "$p is needed (sh tests/deps.sh)"
done
[ -f "$KUBESIM" ] && [ -x "$KUBESIM" ] ||
    bail "no kubesim binary at $KUBESIM (make build/kubesim)"
[ -f "$CRD" ] || bail "no CRD at $CRD (set BPG_SHARED_DIR)"
sh "$top/tests/pki.sh" "$T/pki" || bail "tests/pki.sh failed"

TOKEN=kubesim-selftest-$$-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf 'Authorization: Bearer %s\n' "$TOKEN" > "$T/auth"
printf '%s\n' "$TOKEN" > "$T/token"

"$KUBESIM" --crd "$CRD" --cert "$T/pki/server.pem" \
    --key "$T/pki/server.key" --token-file "$T/token" \
    --control 127.0.0.1:0 --cluster alpha=0,beta=0 --namespace "$NS" \
    --tick-ms 100 --bookmark-ms 300 --ports-file "$T/ports.json" \
    --pidfile "$T/kubesim.pid" > "$T/out" 2> "$T/log" &
KPID=$!
poll 20 grep -q '^kubesim ready$' "$T/out" ||
    bail "kubesim did not start: $(tail -5 "$T/log")"
A=$(jq -r .clusters.alpha "$T/ports.json")
B=$(jq -r .clusters.beta "$T/ports.json")
CTL=$(jq -r .control "$T/ports.json")
echo "# clusters alpha=$A beta=$B, control $CTL"

cat > "$T/app.json" <<'EOF'
{"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
 "metadata": {"name": "x", "namespace": "spark-applications",
  "labels": {"app": "kubesim-test"}},
 "spec": {"type": "Scala", "mode": "cluster", "sparkVersion": "3.5.0",
  "image": "apache/spark:3.5.0",
  "mainApplicationFile":
   "local:///usr/lib/spark/examples/jars/spark-examples.jar",
  "mainClass": "org.apache.spark.examples.SparkPi",
  "arguments": ["1000"],
  "originalUser": "alice",
  "batchSchedulerOptions": {"queue": "root.dev", "gang": {"size": 2}},
  "sparkConf": {"spark.app.name": "SparkPiDemo"},
  "restartPolicy": {"type": "Never"},
  "driver": {"cores": 1, "memory": "2g", "serviceAccount": "spark",
   "labels": {"version": "3.5.0"}},
  "executor": {"instances": 2, "cores": 1, "memory": "2g"}}}
EOF

# ---- authentication, fixed paths --------------------------------------------

anon GET "$A" "$APPS"
[ "$code" = 401 ] && jqb '.kind == "Status" and .reason == "Unauthorized"
    and .message == "Unauthorized" and .code == 401'
result "401 Unauthorized Status without a token" $? "$(detail)"

code=$(curl -sS --max-time 15 --cacert "$T/pki/ca.pem" \
    -H 'Authorization: Bearer wrong' -o "$T/body" -w '%{http_code}' \
    "https://127.0.0.1:$A$APPS" 2>/dev/null)
[ "$code" = 401 ]
result "401 with a wrong token" $? "$(detail)"

anon GET "$A" /version
[ "$code" = 200 ] && jqb '.major == "1" and (.gitVersion | startswith("v1."))'
result "GET /version needs no token" $? "$(detail)"

anon GET "$A" /healthz
[ "$code" = 200 ] && [ "$(cat "$T/body")" = ok ]
result "GET /healthz" $? "$(detail)"

! grep -q "$TOKEN" "$T/log"
result "the request log never shows the token" $?

# ---- create -----------------------------------------------------------------

mkapp pi-one
post "$A" "$APPS" "$T/req.json"
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
[ "$code" = 201 ] && jqb --arg u "$UUID_RE" --arg t "$TIME_RE" '
    (.metadata.resourceVersion | test("^[0-9]+$")) and
    (.metadata.uid | test($u)) and (.metadata.creationTimestamp | test($t))
    and .metadata.generation == 1 and
    .metadata.namespace == "spark-applications"'
result "create: 201 with resourceVersion, uid, creationTimestamp, generation" \
    $? "$(detail)"
RV1=$(jq -r .metadata.resourceVersion "$T/body")

jqb '(.spec | has("originalUser") | not) and
    (.spec.batchSchedulerOptions | has("gang") | not) and
    .spec.batchSchedulerOptions.queue == "root.dev" and
    .spec.driver.cores == 1'
result "create: unknown fields pruned (originalUser, ...gang)" $? "$(detail)"

grep -q 'Warning: 299 - "unknown field \\"spec.originalUser\\""' "$T/hdr"
result "create: Warning header names the pruned field" $? \
    "$(grep -i warning "$T/hdr")"

req GET "$A" "$APPS/pi-one"
[ "$code" = 200 ] && jqb --arg rv "$RV1" '.metadata.resourceVersion >= $rv
    and (.spec | has("originalUser") | not)'
result "get: the stored object is the pruned one" $? "$(detail)"

post "$A" "$APPS" "$T/req.json"
[ "$code" = 409 ] && jqb '.reason == "AlreadyExists" and .code == 409 and
    .details.kind == "sparkapplications"' && jqis .message \
    'sparkapplications.sparkoperator.k8s.io "pi-one" already exists'
result "duplicate name: 409 AlreadyExists" $? "$(detail)"

mkapp pi-two
post "$A" "$APPS" "$T/req.json"
[ "$code" = 201 ] && jqb --arg rv "$RV1" \
    '(.metadata.resourceVersion | tonumber) > ($rv | tonumber)'
result "resourceVersion increases with every write" $? "$(detail)"

mkapp strict-one
post "$A" "$APPS?fieldValidation=Strict" "$T/req.json"
[ "$code" = 400 ] && jqb '.reason == "BadRequest"' && jqstarts .message \
    'strict decoding error: unknown field "spec.originalUser"'
result "fieldValidation=Strict: 400 on unknown fields" $? "$(detail)"

# ---- invalid objects --------------------------------------------------------

mkapp Bad_Name
post "$A" "$APPS" "$T/req.json"
want='SparkApplication.sparkoperator.k8s.io "Bad_Name" is invalid:'
want="$want metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123"
want="$want subdomain must consist of"
[ "$code" = 422 ] && jqb '.reason == "Invalid" and .code == 422 and
    .details.causes[0].field == "metadata.name"' && jqstarts .message "$want"
result "422: name not a DNS-1123 subdomain" $? "$(detail)"

mkapp a.b
post "$A" "$APPS" "$T/req.json"
want='admission webhook "validate-sparkapplication.sparkoperator.k8s.io"'
want="$want denied the request: SparkApplication.sparkoperator.k8s.io"
want="$want \"a.b\" is invalid: metadata.name: Invalid value: \"a.b\": a"
want="$want DNS-1035 label must consist of"
[ "$code" = 422 ] && jqb '.reason == "Invalid"' && jqstarts .message "$want"
result "422: the operator webhook wants a DNS-1035 label" $? "$(detail)"

mkapp "a$(printf '%070d' 0)"
post "$A" "$APPS" "$T/req.json"
[ "$code" = 422 ] &&
    jqb '.message | contains("must be no more than 63 characters")'
result "422: names over 63 characters" $? "$(detail)"

mkapp no-main 'del(.spec.mainApplicationFile)'
post "$A" "$APPS" "$T/req.json"
want='SparkApplication.sparkoperator.k8s.io "no-main" is invalid:'
want="$want spec.mainApplicationFile: Required value"
[ "$code" = 422 ] && jqis .message "$want" &&
    jqb '.details.causes == [{"reason": "FieldValueRequired",
    "message": "Required value", "field": "spec.mainApplicationFile"}]
    and .details.name == "no-main" and .details.kind == "SparkApplication"
    and .details.group == "sparkoperator.k8s.io"'
result "422: missing mainApplicationFile, Required value" $? "$(detail)"

mkapp lower-type '.spec.type = "java"'
post "$A" "$APPS" "$T/req.json"
want='Unsupported value: "java": supported values: "Java", "Python",'
want="$want \"Scala\", \"R\""
[ "$code" = 422 ] && jqis '.details.causes[0].message' "$want" &&
    jqb '.details.causes[0].reason == "FieldValueNotSupported"
    and .details.causes[0].field == "spec.type"'
result "422: type java, Unsupported value" $? "$(detail)"

mkapp zero-cores '.spec.driver.cores = 0'
post "$A" "$APPS" "$T/req.json"
want='SparkApplication.sparkoperator.k8s.io "zero-cores" is invalid:'
want="$want spec.driver.cores: Invalid value: 0: spec.driver.cores in body"
want="$want should be greater than or equal to 1"
[ "$code" = 422 ] && jqis .message "$want"
result "422: driver.cores 0, minimum" $? "$(detail)"

mkapp str-cores '.spec.driver.cores = "string"'
post "$A" "$APPS" "$T/req.json"
want='Invalid value: "string": spec.driver.cores in body must be of type'
want="$want integer: \"string\""
[ "$code" = 422 ] && jqis '.details.causes[0].message' "$want" &&
    jqb '.details.causes[0].reason == "FieldValueTypeInvalid"'
result "422: driver.cores a string, type" $? "$(detail)"

mkapp two-errors 'del(.spec.mainApplicationFile) | .spec.executor.cores = 0'
post "$A" "$APPS" "$T/req.json"
[ "$code" = 422 ] && jqb '(.details.causes | length) == 2 and
    (.message | test("is invalid: \\[spec.mainApplicationFile: Required " +
    "value, spec.executor.cores: Invalid value: 0: .*\\]$"))'
result "422: every cause reported, bracketed" $? "$(detail)"

mkapp bad-kind '.kind = "Pod"'
post "$A" "$APPS" "$T/req.json"
[ "$code" = 422 ] && jqis '.details.causes[0].message' \
    'Invalid value: "Pod": must be SparkApplication'
result "422: kind not SparkApplication" $? "$(detail)"

mkapp bad-version '.apiVersion = "sparkoperator.k8s.io/v1"'
post "$A" "$APPS" "$T/req.json"
want='the API version in the data (sparkoperator.k8s.io/v1) does not match'
want="$want the expected API version (sparkoperator.k8s.io/v1beta2)"
[ "$code" = 400 ] && jqb '.reason == "BadRequest"' && jqis .message "$want"
result "400: apiVersion not sparkoperator.k8s.io/v1beta2" $? "$(detail)"

mkapp other-ns '.metadata.namespace = "elsewhere"'
post "$A" "$APPS" "$T/req.json"
want='the namespace of the provided object does not match the namespace'
want="$want sent on the request"
[ "$code" = 400 ] && jqis .message "$want"
result "400: namespace in the body differs from the path" $? "$(detail)"

printf '{"apiVersion": ' > "$T/req.json"
post "$A" "$APPS" "$T/req.json"
[ "$code" = 400 ] && jqb '.reason == "BadRequest" and .kind == "Status"'
result "400: malformed JSON" $? "$(detail)"

# ---- not found, methods -----------------------------------------------------

req GET "$A" "$APPS/nope"
[ "$code" = 404 ] && jqb '.reason == "NotFound" and .details.name == "nope"' &&
    jqis .message 'sparkapplications.sparkoperator.k8s.io "nope" not found'
result "404 NotFound Status for an unknown application" $? "$(detail)"

req GET "$A" "$PODS/nope"
[ "$code" = 404 ] && jqb '.message == "pods \"nope\" not found"'
result "404 NotFound Status for an unknown pod" $? "$(detail)"

req PUT "$A" "$APPS" -d '{}'
[ "$code" = 405 ] && jqb '.reason == "MethodNotAllowed"'
result "405 MethodNotAllowed" $? "$(detail)"

req GET "$B" "$APPS/pi-one"
[ "$code" = 404 ]
result "clusters are separate: beta does not have alpha's application" $? \
    "$(detail)"

# ---- the simulated operator -------------------------------------------------

poll 15 app_state "$A" pi-one COMPLETED
result "status reaches COMPLETED" $? "$(detail)"
jqb '(.status.sparkApplicationId | test("^spark-[0-9a-f]{32}$")) and
    .status.driverInfo.podName == "pi-one-driver" and
    .status.driverInfo.webUIServiceName == "pi-one-ui-svc" and
    .status.submissionAttempts == 1 and .status.executionAttempts == 1 and
    (.status.terminationTime | test("Z$")) and
    (.status.lastSubmissionAttemptTime | test("Z$")) and
    (.status.executorState | length) == 2 and .metadata.generation == 1'
result "status fields written like the operator's" $? "$(detail)"

req GET "$A" "$PODS/pi-one-driver"
[ "$code" = 200 ] && jqb '.status.phase == "Succeeded" and
    .metadata.labels["spark-role"] == "driver" and
    .metadata.labels["sparkoperator.k8s.io/app-name"] == "pi-one" and
    .spec.containers[0].resources.requests.cpu == "1" and
    .spec.containers[0].resources.requests.memory == "2432Mi" and
    (.status.startTime | test("Z$")) and
    .metadata.ownerReferences[0].kind == "SparkApplication"'
result "driver pod: labels, resources, Succeeded" $? "$(detail)"

req GET "$A" "$PODS/pi-one-driver/log"
[ "$code" = 200 ] && [ "$(wc -l < "$T/body")" -gt 3 ] &&
    grep -q '^Pi is roughly 3\.14' "$T/body"
result "driver log: several lines with the SparkPi result" $? "$(detail)"

req GET "$A" "$PODS/pi-one-driver/log?tailLines=2"
[ "$code" = 200 ] && [ "$(wc -l < "$T/body")" -eq 2 ]
result "driver log: tailLines" $? "$(detail)"

req GET "$A" "$PODS/pi-one-driver/log?container=other"
[ "$code" = 400 ] &&
    jqis .message 'container other is not valid for pod pi-one-driver'
result "driver log: unknown container, 400" $? "$(detail)"

req GET "$A" "$PODS" -G --data-urlencode \
    'labelSelector=spark-role=driver,sparkoperator.k8s.io/app-name=pi-one'
[ "$code" = 200 ] && jqb '.kind == "PodList" and (.items | length) == 1 and
    .items[0].metadata.name == "pi-one-driver"'
result "pods: list by label selector" $? "$(detail)"

sel='involvedObject.name=pi-one,involvedObject.kind=SparkApplication'
req GET "$A" /api/v1/namespaces/$NS/events -G \
    --data-urlencode "fieldSelector=$sel"
[ "$code" = 200 ] && jqb '.kind == "EventList" and (.items | length) >= 3 and
    all(.items[]; .involvedObject.name == "pi-one" and .count >= 1 and
        (.firstTimestamp | test("Z$")) and (.lastTimestamp | test("Z$"))) and
    ([.items[].reason] | index("SparkApplicationSubmitted") != null and
        index("SparkDriverRunning") != null and
        index("SparkApplicationCompleted") != null)'
result "events: fieldSelector involvedObject.name" $? "$(detail)"

req GET "$A" /api/v1/namespaces/$NS/events -G --data-urlencode \
    'fieldSelector=involvedObject.name=pi-one-driver'
[ "$code" = 200 ] && jqb '(.items | length) >= 1 and
    ([.items[].reason] | index("Scheduled") != null)'
result "events: the driver pod's own events" $? "$(detail)"

# Outcome FAILED for one application.
ctl POST /clusters/alpha/operator '{"apps": {"pi-fail": "FAILED"}}'
mkapp pi-fail
post "$A" "$APPS" "$T/req.json"
poll 15 app_state "$A" pi-fail FAILED
result "operator: FAILED on request" $? "$(detail)"
jqb '(.status.applicationState.errorMessage | length) > 0'
result "operator: FAILED carries an errorMessage" $? "$(detail)"
req GET "$A" "$PODS/pi-fail-driver"
[ "$code" = 200 ] && jqb '.status.phase == "Failed"'
result "operator: the failed driver pod is Failed" $? "$(detail)"

ctl POST /clusters/alpha/operator \
    '{"apps": {"pi-subfail": "SUBMISSION_FAILED"}}'
mkapp pi-subfail
post "$A" "$APPS" "$T/req.json"
poll 15 app_state "$A" pi-subfail SUBMISSION_FAILED
result "operator: SUBMISSION_FAILED on request" $? "$(detail)"
req GET "$A" "$PODS/pi-subfail-driver"
[ "$code" = 404 ]
result "operator: no driver pod after a failed submission" $? "$(detail)"

# Deleting the driver of a running application fails it.
ctl POST /clusters/alpha/operator '{"apps": {"pi-run": "RUNNING"}}'
mkapp pi-run
post "$A" "$APPS" "$T/req.json"
poll 15 app_state "$A" pi-run RUNNING
result "operator: RUNNING" $? "$(detail)"

curl -sS -N --max-time 20 --cacert "$T/pki/ca.pem" -H "@$T/auth" \
    -o "$T/follow.out" \
    "https://127.0.0.1:$A$PODS/pi-run-driver/log?follow=true" 2>/dev/null &
FPID=$!
BGPIDS="$BGPIDS $FPID"
sleep 0.5
kill -0 "$FPID" 2>/dev/null
result "log follow: the stream stays open while the pod runs" $?

req DELETE "$A" "$PODS/pi-run-driver"
[ "$code" = 200 ] && jqb '.kind == "Pod" and
    (.metadata.deletionTimestamp | test("Z$"))'
result "pod delete: 200 with deletionTimestamp" $? "$(detail)"

poll 15 app_state "$A" pi-run FAILED
result "deleting a running driver fails the application" $? "$(detail)"
jqb '.status.applicationState.errorMessage == "driver pod not found"'
result "... with the operator's errorMessage" $? "$(detail)"

poll 10 sh -c "! kill -0 $FPID 2>/dev/null"
result "log follow: the stream ends when the pod goes" $?
grep -q 'INFO SparkContext: Running Spark version' "$T/follow.out"
result "log follow: lines were streamed" $? "$(head -c 300 "$T/follow.out")"

ctl POST /clusters/alpha/operator '{"apps": {"pi-pend": "PENDING"}}'
mkapp pi-pend
post "$A" "$APPS" "$T/req.json"
poll 15 app_state "$A" pi-pend SUBMITTED
req GET "$A" "$PODS/pi-pend-driver/log"
want='container "spark-kubernetes-driver" in pod "pi-pend-driver" is'
want="$want waiting to start: ContainerCreating"
[ "$code" = 400 ] && jqis .message "$want"
result "log of a pending pod: 400 waiting to start" $? "$(detail)"

# Frozen operator, manual ticks.
ctl POST /clusters/alpha/operator '{"frozen": true}'
mkapp pi-frozen
post "$A" "$APPS" "$T/req.json"
sleep 0.5
req GET "$A" "$APPS/pi-frozen"
jqb 'has("status") | not'
result "operator: frozen leaves new applications alone" $? "$(detail)"
ctl POST /clusters/alpha/tick '{"count": 1}'
app_state "$A" pi-frozen SUBMITTED
result "operator: one tick submits" $? "$(detail)"
ctl POST /clusters/alpha/operator '{"frozen": false}'

# timeToLiveSeconds deletes a finished application.
mkapp pi-ttl '.spec.timeToLiveSeconds = 1'
post "$A" "$APPS" "$T/req.json"
poll 15 app_state "$A" pi-ttl COMPLETED
poll 10 gone "$A" "$APPS/pi-ttl"
result "timeToLiveSeconds: deleted after termination" $? "$(detail)"

# ---- update and patch -------------------------------------------------------

req GET "$A" "$APPS/pi-two"
jq -c '.metadata.labels.extra = "yes"' "$T/body" > "$T/put.json"
RVP=$(jq -r .metadata.resourceVersion "$T/body")
req PUT "$A" "$APPS/pi-two" -H 'Content-Type: application/json' \
    --data-binary "@$T/put.json"
[ "$code" = 200 ] && jqb --arg rv "$RVP" '.metadata.labels.extra == "yes" and
    .metadata.resourceVersion != $rv'
result "update: 200 with a new resourceVersion" $? "$(detail)"
req PUT "$A" "$APPS/pi-two" -H 'Content-Type: application/json' \
    --data-binary "@$T/put.json"
[ "$code" = 409 ] && jqb '.reason == "Conflict"'
result "update: a stale resourceVersion is a 409 Conflict" $? "$(detail)"
req PATCH "$A" "$APPS/pi-two" -H 'Content-Type: application/merge-patch+json' \
    -d '{"metadata": {"labels": {"patched": "true"}}}'
[ "$code" = 200 ] && jqb '.metadata.labels.patched == "true"'
result "merge patch" $? "$(detail)"

# ---- lists and selectors ----------------------------------------------------

mkapp sel-c '.metadata.labels.selftest = "sel"'
post "$A" "$APPS" "$T/req.json"
mkapp sel-a \
    '.metadata.labels += {"selftest": "sel", "queue": "dev", "tier": "gold"}'
post "$A" "$APPS" "$T/req.json"
mkapp sel-b '.metadata.labels += {"selftest": "sel", "queue": "prod"}'
post "$A" "$APPS" "$T/req.json"

# names LABELSELECTOR: the names listed, space-separated.
names()
{
	req GET "$A" "$APPS" -G --data-urlencode "labelSelector=$1"
	[ "$code" = 200 ] || { echo "HTTP $code"; return; }
	jq -r '[.items[].metadata.name] | join(" ")' "$T/body"
}

sel_check()
{
	got=$(names "$1")
	[ "$got" = "$2" ]
	result "labelSelector $1" $? "got '$got', want '$2'"
}

sel_check 'selftest=sel' 'sel-a sel-b sel-c'
sel_check 'selftest=sel,queue=dev' 'sel-a'
sel_check 'selftest==sel,queue==prod' 'sel-b'
sel_check 'selftest=sel,queue!=dev' 'sel-b sel-c'
sel_check 'selftest=sel,queue in (dev, prod)' 'sel-a sel-b'
sel_check 'selftest=sel,queue notin (dev)' 'sel-b sel-c'
sel_check 'selftest=sel,!queue' 'sel-c'
sel_check 'selftest=sel,tier' 'sel-a'

req GET "$A" "$APPS" -G --data-urlencode 'labelSelector=queue in (dev'
[ "$code" = 400 ] && jqb '.reason == "BadRequest"'
result "a malformed label selector is a 400" $? "$(detail)"

req GET "$A" "$APPS" -G --data-urlencode 'fieldSelector=metadata.name=sel-b'
[ "$code" = 200 ] && jqb '[.items[].metadata.name] == ["sel-b"] and
    .kind == "SparkApplicationList" and
    .apiVersion == "sparkoperator.k8s.io/v1beta2" and
    (.metadata.resourceVersion | test("^[0-9]+$"))'
result "fieldSelector metadata.name" $? "$(detail)"

req GET "$A" "$APPS" -G --data-urlencode 'fieldSelector=spec.type=Scala'
want='"spec.type" is not a known field selector: only "metadata.name",'
want="$want \"metadata.namespace\""
[ "$code" = 400 ] && jqis .message "$want"
result "an unknown field selector is a 400" $? "$(detail)"

req GET "$A" "$GROUPV/sparkapplications" -G --data-urlencode \
    'fieldSelector=metadata.namespace!=spark-applications'
[ "$code" = 200 ] && jqb '.items == []'
result "cluster-wide list with fieldSelector !=" $? "$(detail)"

# With a selector the server cannot count what is left: no
# remainingItemCount (kube-apiserver sets it only without one).
req GET "$A" "$APPS?limit=2" -G --data-urlencode 'labelSelector=selftest=sel'
[ "$code" = 200 ] && jqb '[.items[].metadata.name] == ["sel-a", "sel-b"] and
    .metadata.remainingItemCount == null and
    (.metadata.continue | length) > 0'
CONT=$(jq -r '.metadata.continue // ""' "$T/body")
LRV=$(jq -r .metadata.resourceVersion "$T/body")
result "limit: first chunk and a continue token" $? "$(detail)"
printf '%s' "$CONT" | grep -Eq '^[A-Za-z0-9_-]+$'
result "continue: base64url without padding, as kube-apiserver" $? "$CONT"
req GET "$A" "$APPS?limit=2" -G --data-urlencode 'labelSelector=selftest=sel' \
    --data-urlencode "continue=$CONT"
[ "$code" = 200 ] && jqb --arg rv "$LRV" \
    '[.items[].metadata.name] == ["sel-c"] and
    .metadata.resourceVersion == $rv'
result "continue: the rest, at the first chunk's resourceVersion" $? \
    "$(detail)"

# Chunks without a selector, in a namespace of their own.
PNS=paging-test
PAPPS=$GROUPV/namespaces/$PNS/sparkapplications
ctl POST /clusters/alpha/operator '{"frozen": true}'
for n in pg-a pg-b pg-c; do
	mkapp "$n" ".metadata.namespace = \"$PNS\""
	post "$A" "$PAPPS" "$T/req.json"
done
req GET "$A" "$PAPPS?limit=1"
[ "$code" = 200 ] && jqb '[.items[].metadata.name] == ["pg-a"] and
    .metadata.remainingItemCount == 2 and (.metadata.continue | length) > 0'
result "limit without a selector: remainingItemCount" $? "$(detail)"
CONT=$(jq -r '.metadata.continue // ""' "$T/body")
LRV=$(jq -r .metadata.resourceVersion "$T/body")
# Changes after the first chunk do not show in the next ones: every
# chunk is read at the list's resourceVersion.
req GET "$A" "$PAPPS/pg-b"
jq -c '.metadata.labels.changed = "yes"' "$T/body" > "$T/put.json"
req PUT "$A" "$PAPPS/pg-b" -H 'Content-Type: application/json' \
    --data-binary "@$T/put.json"
req DELETE "$A" "$PAPPS/pg-c"
mkapp pg-d ".metadata.namespace = \"$PNS\""
post "$A" "$PAPPS" "$T/req.json"
req GET "$A" "$PAPPS?limit=1" -G --data-urlencode "continue=$CONT"
[ "$code" = 200 ] && jqb --arg rv "$LRV" \
    '[.items[].metadata.name] == ["pg-b"] and
    .items[0].metadata.labels.changed == null and
    .metadata.remainingItemCount == 1 and .metadata.resourceVersion == $rv'
result "continue: remainingItemCount counts what was there at that version" \
    $? "$(detail)"
req GET "$A" "$PAPPS?limit=5" -G --data-urlencode "continue=$CONT"
[ "$code" = 200 ] && jqb --arg rv "$LRV" \
    '[.items[].metadata.name] == ["pg-b", "pg-c"] and
    .items[0].metadata.labels.changed == null and
    .metadata.resourceVersion == $rv and .metadata.continue == null'
result "continue: a consistent snapshot at the list's resourceVersion" $? \
    "$(detail)"
# Once that version is compacted the token has expired: 410 with a token
# for an inconsistent rest at the latest version.
ctl POST /clusters/alpha/history '{"compact": true}'
req GET "$A" "$PAPPS?limit=5" -G --data-urlencode "continue=$CONT"
[ "$code" = 410 ] && jqb '.kind == "Status" and .reason == "Expired" and
    .code == 410 and (.metadata.continue | length) > 0 and
    (.message | startswith("The provided continue parameter is too old"))'
result "continue: 410 Expired once its version is compacted" $? "$(detail)"
CONT=$(jq -r '.metadata.continue // ""' "$T/body")
req GET "$A" "$PAPPS?limit=5" -G --data-urlencode "continue=$CONT"
[ "$code" = 200 ] && jqb '[.items[].metadata.name] == ["pg-b", "pg-d"] and
    .items[0].metadata.labels.changed == "yes"'
result "continue: the expired chunk's token goes on at the latest" $? \
    "$(detail)"
# The "expire" fault does the same to the next continued list.
req GET "$A" "$PAPPS?limit=1"
CONT=$(jq -r '.metadata.continue // ""' "$T/body")
ctl POST /clusters/alpha/faults '{"type": "expire"}'
req GET "$A" "$PAPPS?limit=1"
c1=$code
req GET "$A" "$PAPPS?limit=1" -G --data-urlencode "continue=$CONT"
c2=$code
req GET "$A" "$PAPPS?limit=1" -G --data-urlencode "continue=$CONT"
[ "$c1" = 200 ] && [ "$c2" = 410 ] && [ "$code" = 200 ]
result "fault expire: the next continued list gets 410" $? "$c1 $c2 $code"
for n in pg-a pg-b pg-d; do
	req DELETE "$A" "$PAPPS/$n"
done
ctl POST /clusters/alpha/operator '{"frozen": false}'

# ---- watch ------------------------------------------------------------------

req GET "$A" "$APPS"
WRV=$(jq -r .metadata.resourceVersion "$T/body")
WTMO=timeoutSeconds=4
curl -sS -N --max-time 20 --cacert "$T/pki/ca.pem" -H "@$T/auth" \
    -o "$T/watch.out" \
    "https://127.0.0.1:$A$APPS?watch=true&resourceVersion=$WRV&$WTMO" \
    2>/dev/null &
WPID=$!
BGPIDS="$BGPIDS $WPID"
sleep 0.3
mkapp pi-watch
post "$A" "$APPS" "$T/req.json"
poll 15 app_state "$A" pi-watch COMPLETED
req DELETE "$A" "$APPS/pi-watch"
[ "$code" = 200 ] && jqb '.kind == "Status" and .status == "Success" and
    .details.name == "pi-watch" and .details.kind == "sparkapplications"'
result "delete: 200 Success Status" $? "$(detail)"
poll 10 sh -c "! kill -0 $WPID 2>/dev/null"
result "watch: ends at timeoutSeconds" $?
seq=$(jq -r 'select(.object.metadata.name == "pi-watch") | .type' \
    "$T/watch.out" 2>/dev/null | tr '\n' ' ')
case $seq in
"ADDED MODIFIED "*"MODIFIED DELETED ") r=0 ;;
*) r=1 ;;
esac
result "watch: ADDED, MODIFIED..., DELETED in order" $r "got: $seq"
jq -s -e '[.[] | select(.object.metadata.name == "pi-watch") |
    .object.metadata.resourceVersion | tonumber] as $v |
    ($v | length) > 2 and $v == ($v | sort) and
    ($v | unique | length) == ($v | length)' "$T/watch.out" >/dev/null 2>&1
result "watch: resourceVersions strictly increase" $?
jq -s -e '[.[] | select(.object.metadata.name == "pi-watch") |
    .object.status.applicationState.state // "" ] | index("RUNNING") != null
    and index("COMPLETED") != null' "$T/watch.out" >/dev/null 2>&1
result "watch: MODIFIED events carry the operator's states" $?

poll 10 gone "$A" "$PODS/pi-watch-driver"
result "delete: the driver pod is garbage-collected" $? "$(detail)"
req GET "$A" "$APPS/pi-watch"
[ "$code" = 404 ]
result "delete: then 404" $? "$(detail)"

req GET "$A" "$APPS?watch=1&timeoutSeconds=1" -G --data-urlencode \
    'labelSelector=selftest=sel' --data-urlencode allowWatchBookmarks=true
[ "$code" = 200 ] && [ "$(jq -r 'select(.type == "ADDED") |
    .object.metadata.name' "$T/body" | tr '\n' ' ')" = "sel-a sel-b sel-c " ]
result "watch without resourceVersion: ADDED for what exists" $? "$(detail)"
jq -e 'select(.type == "BOOKMARK") | .object.metadata.resourceVersion' \
    "$T/body" >/dev/null 2>&1
result "watch: BOOKMARK events when allowed" $? "$(detail)"

# A client that goes away is noticed at once, as kube-apiserver notices
# it: not only when the stream next writes (no bookmarks asked for here,
# nothing changes, and the watch would run 600 s).
active_watches()
{
	ctl GET /clusters/beta/stats
	jq -r .activeWatches "$T/ctl"
}
no_watches() { [ "$(active_watches)" = 0 ]; }
poll 10 no_watches
curl -sS -N --max-time 600 --cacert "$T/pki/ca.pem" -H "@$T/auth" \
    -o /dev/null "https://127.0.0.1:$B$APPS?watch=true&timeoutSeconds=600" \
    2>/dev/null &
WPID=$!
BGPIDS="$BGPIDS $WPID"
one_watch() { [ "$(active_watches)" = 1 ]; }
poll 15 one_watch
r=$?
kill "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
[ $r -eq 0 ] && poll 15 no_watches
result "watch: a client that hangs up ends its stream at once" $? \
    "activeWatches $(active_watches)"

# A resourceVersion older than the history: one ERROR event, 410 Expired.
ctl POST /clusters/alpha/history '{"compact": true}'
req GET "$A" "$APPS?watch=true&resourceVersion=$RV1&timeoutSeconds=5"
[ "$code" = 200 ] && [ "$(wc -l < "$T/body")" -eq 1 ] &&
    jqb --arg rv "$RV1" '.type == "ERROR" and .object.kind == "Status" and
    .object.code == 410 and .object.reason == "Expired" and
    (.object.message | startswith("too old resource version: " + $rv + " ("))'
result "stale resourceVersion: ERROR event with 410 Expired, stream ends" \
    $? "$(detail)"

ctl POST /clusters/alpha/history '{"size": 2}'
req GET "$A" "$APPS"
HRV=$(jq -r .metadata.resourceVersion "$T/body")
for n in 1 2 3; do
	req PATCH "$A" "$APPS/pi-two" \
	    -H 'Content-Type: application/merge-patch+json' \
	    -d "{\"metadata\": {\"labels\": {\"n\": \"$n\"}}}"
done
req GET "$A" "$APPS?watch=true&resourceVersion=$HRV&timeoutSeconds=5"
jqb '.type == "ERROR" and .object.code == 410'
result "a bounded history: watches older than it get 410" $? "$(detail)"
ctl POST /clusters/alpha/history '{"size": 1000}'

# ---- secrets ----------------------------------------------------------------

req POST "$A" /api/v1/namespaces/$NS/secrets \
    -H 'Content-Type: application/json' -d '{"apiVersion": "v1",
    "kind": "Secret", "metadata": {"name": "creds"},
    "data": {"user": "YWxpY2U="}, "stringData": {"pw": "s3cret"}}'
[ "$code" = 201 ] && jqb '.data.user == "YWxpY2U=" and .data.pw == "czNjcmV0"
    and .type == "Opaque" and (has("stringData") | not)'
result "secrets: create with data and stringData" $? "$(detail)"
req GET "$A" /api/v1/namespaces/$NS/secrets/creds
[ "$code" = 200 ] && jqb '.kind == "Secret" and .data.user == "YWxpY2U="'
result "secrets: get" $? "$(detail)"
req POST "$A" /api/v1/namespaces/$NS/secrets \
    -H 'Content-Type: application/json' -d '{"metadata": {"name": "bad"},
    "data": {"k": "not base64!"}}'
[ "$code" = 400 ]
result "secrets: data must be base64" $? "$(detail)"

# ---- faults (cluster beta) --------------------------------------------------

ctl POST /clusters/beta/faults '{"type": "error", "code": 503}'
req GET "$B" "$APPS"
c1=$code
[ "$c1" = 503 ] && jqb '.reason == "ServiceUnavailable" and .code == 503'
r=$?
req GET "$B" "$APPS"
[ $r -eq 0 ] && [ "$code" = 200 ]
result "fault: the next request gets a 503 Status, then normal" $? \
    "got $c1 then $code"

ctl POST /clusters/beta/faults \
    '{"type": "error", "code": 500, "method": "POST", "count": 2}'
req GET "$B" "$APPS"
c1=$code
mkapp fault-post
post "$B" "$APPS" "$T/req.json"
[ "$c1" = 200 ] && [ "$code" = 500 ] && jqb '.reason == "InternalError"'
result "fault: limited to one method" $? "GET $c1, POST $code"
ctl DELETE /clusters/beta/faults

ctl POST /clusters/beta/faults '{"type": "drop", "count": 1}'
req GET "$B" "$APPS"
c1=$code
req GET "$B" "$APPS"
[ "$c1" = 000 ] && [ "$code" = 200 ]
result "fault: a dropped connection, no response" $? "got $c1 then $code"

ctl POST /clusters/beta/faults '{"type": "throttle", "retryAfter": 2}'
req GET "$B" "$APPS"
[ "$code" = 429 ] && jqb '.reason == "TooManyRequests" and
    .details.retryAfterSeconds == 2' &&
    grep -qi '^Retry-After: 2' "$T/hdr"
result "fault: 429 TooManyRequests with Retry-After" $? "$(detail)"

ctl POST /clusters/beta/faults '{"type": "latency", "ms": 400, "count": 1}'
t=$(curl -sS -o /dev/null -w '%{time_total}' --cacert "$T/pki/ca.pem" \
    -H "@$T/auth" "https://127.0.0.1:$B$APPS" 2>/dev/null)
awk -v t="$t" 'BEGIN { exit !(t >= 0.4) }'
result "fault: added latency" $? "took $t s"

# hold: a create waits unanswered and unstored until released, then is
# carried out although its client has gone.
ctl POST /clusters/beta/faults \
    '{"type": "hold", "method": "POST", "path": "'"$APPS"'"}'
mkapp pi-held
curl -sS --max-time 60 --cacert "$T/pki/ca.pem" -H "@$T/auth" \
    -H 'Content-Type: application/json' --data-binary "@$T/req.json" \
    -o /dev/null "https://127.0.0.1:$B$APPS" 2>/dev/null &
HPID=$!
BGPIDS="$BGPIDS $HPID"
held_n() { ctl GET /clusters/beta/stats; jq -e ".held == $1" "$T/ctl" \
    >/dev/null 2>&1; }
poll 15 held_n 1
h1=$?
req GET "$B" "$APPS/pi-held"
c1=$code
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
ctl POST /clusters/beta/faults '{"type": "release"}'
poll 15 held_n 0
h0=$?
req GET "$B" "$APPS/pi-held"
[ $h1 = 0 ] && [ "$c1" = 404 ] && [ $h0 = 0 ] && [ "$code" = 200 ]
result "fault: hold keeps a create until release, then stores it" $? \
    "held $h1, before $c1, released $h0, after $code"
req DELETE "$B" "$APPS/pi-held"

ctl POST /clusters/beta/faults '{"type": "down"}'
req GET "$B" /version
c1=$code
req GET "$B" "$APPS"
c2=$code
ctl POST /clusters/beta/faults '{"type": "up"}'
req GET "$B" "$APPS"
[ "$c1" = 000 ] && [ "$c2" = 000 ] && [ "$code" = 200 ]
result "fault: down drops everything until up" $? "got $c1 $c2 then $code"

ctl POST /clusters/beta/faults \
    '{"type": "error", "code": 500, "rate": 0.5, "seed": 42}'
errs=0
oks=0
n=0
while [ $n -lt 20 ]; do
	n=$((n + 1))
	req GET "$B" "$APPS"
	case $code in
	500) errs=$((errs + 1)) ;;
	200) oks=$((oks + 1)) ;;
	esac
done
ctl DELETE /clusters/beta/faults
[ $errs -gt 0 ] && [ $oks -gt 0 ] && [ $((errs + oks)) -eq 20 ]
result "fault: a rate fails some requests" $? "$errs errors, $oks ok"

ctl POST /clusters/beta/faults '{"fail_next": 1, "fail_status": 502}'
req GET "$B" "$APPS"
c1=$code
ctl POST /clusters/beta/faults '{"reset": true}'
[ "$c1" = 502 ] && jq -e '.faults == []' "$T/ctl" >/dev/null 2>&1
result "fault: short forms (fail_next, reset)" $? "got $c1"

ctl GET /clusters/beta/stats
jq -e '.faultsInjected.error >= 3 and .faultsInjected.drop >= 1 and
    .faultsInjected.throttle >= 1 and .faultsInjected.latency >= 1 and
    .faultsInjected.down >= 2 and .methods.GET > 0 and .codes["429"] >= 1' \
    "$T/ctl" >/dev/null 2>&1
result "stats: faults, methods and codes counted" $? "$(head -c 400 "$T/ctl")"

ctl DELETE /clusters/beta/stats
curl -sS -o /dev/null -o /dev/null -o /dev/null --cacert "$T/pki/ca.pem" \
    -H "@$T/auth" "https://127.0.0.1:$B$APPS" "https://127.0.0.1:$B$APPS" \
    "https://127.0.0.1:$B$APPS" 2>/dev/null
ctl GET /clusters/beta/stats
jq -e '.connections == 1 and .requests == 3' "$T/ctl" >/dev/null 2>&1
result "stats: three requests on one reused TLS connection" $? \
    "$(head -c 300 "$T/ctl")"

ctl GET /clusters/alpha/objects/sparkapplications/$NS/pi-one
jq -e '.metadata.name == "pi-one" and .status.applicationState.state ==
    "COMPLETED"' "$T/ctl" >/dev/null 2>&1
result "control: objects readable without a token" $? "$(head -c 300 "$T/ctl")"

ctl POST /clusters/alpha/reset
req GET "$A" "$APPS"
[ "$code" = 200 ] && jqb '.items == []'
result "control: reset empties a cluster" $? "$(detail)"

# ---- the schema module on its own (kubesim --validate) ----------------------

cat > "$T/mini-crd.json" <<'EOF'
{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
 "spec": {"group": "example.com",
  "names": {"kind": "Thing", "plural": "things"},
  "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
   "type": "object", "required": ["spec"],
   "properties": {"apiVersion": {"type": "string"},
    "kind": {"type": "string"}, "metadata": {"type": "object"},
    "spec": {"type": "object", "required": ["name"],
     "properties": {
      "name": {"type": "string"},
      "obj": {"type": "object"},
      "flag": {"type": "boolean"},
      "num": {"type": "number", "maximum": 10},
      "ex": {"type": "integer", "minimum": 5, "exclusiveMinimum": true},
      "s": {"type": "string", "maxLength": 3},
      "s2": {"type": "string", "minLength": 2},
      "arr": {"type": "array", "minItems": 1,
              "items": {"type": "integer"}},
      "arr2": {"type": "array", "maxItems": 2,
               "items": {"type": "string"}},
      "p": {"type": "string", "pattern": "^\\d+(\\.\\d+)?$"},
      "i32": {"type": "integer", "format": "int32"},
      "nul": {"type": "string", "nullable": true},
      "nn": {"type": "string"},
      "color": {"type": "string", "enum": ["red", "green"]},
      "closed": {"type": "object", "additionalProperties": false,
                 "properties": {"a": {"type": "string"}}},
      "map": {"type": "object",
              "additionalProperties": {"type": "integer"}},
      "ios": {"anyOf": [{"type": "integer"}, {"type": "string"}],
              "x-kubernetes-int-or-string": true},
      "free": {"type": "object",
               "x-kubernetes-preserve-unknown-fields": true,
               "properties": {"known": {"type": "object",
                 "properties": {"k": {"type": "string"}}}}},
      "def": {"type": "string", "default": "dflt"}
     }}}}}}]}}
EOF
cat > "$T/thing.json" <<'EOF'
{"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
 "spec": {"obj": "x", "flag": "yes", "num": 10.5, "ex": 5, "s": "abcd",
  "s2": "a", "arr": [], "arr2": ["a", "b", "c"], "p": "1.x",
  "i32": 3000000000, "nul": null, "nn": null, "color": "blue",
  "closed": {"a": "x", "extra": 1}, "map": {"k": "v"}, "ios": true,
  "unknown": 1,
  "free": {"anything": {"deep": 1}, "known": {"k": "v", "drop": 1}}}}
EOF
"$KUBESIM" --crd "$T/mini-crd.json" --validate "$T/thing.json" > "$T/body"
r=$?
[ $r -eq 1 ]
result "schema: an invalid object exits 1" $? "exit $r"

# cause FIELD MESSAGE [MORE]: that cause (MESSAGE MORE, joined with a
# space) is among those reported.
cause()
{
	jq -e --arg f "$1" --arg m "$2${3:+ $3}" \
	    'any(.causes[]; .field == $f and .message == $m)' "$T/body" \
	    >/dev/null 2>&1
	result "schema: $1: $2${3:+ $3}" $? \
	    "$(jq -c .causes "$T/body" | head -c 300)"
}

cause spec.name 'Required value'
cause spec.obj \
    'Invalid value: "string": spec.obj in body must be of type object: "string"'
cause spec.flag 'Invalid value: "string": spec.flag in body must be of' \
    'type boolean: "string"'
cause spec.num \
    'Invalid value: 10.5: spec.num in body should be less than or equal to 10'
cause spec.ex 'Invalid value: 5: spec.ex in body should be greater than 5'
cause spec.s 'Too long: may not be more than 3 bytes'
cause spec.s2 \
    'Invalid value: "a": spec.s2 in body should be at least 2 chars long'
cause spec.arr \
    'Invalid value: []: spec.arr in body should have at least 1 items'
cause spec.arr2 'Too many: 3: must have at most 2 items'
cause spec.p \
    "Invalid value: \"1.x\": spec.p in body should match '^\\d+(\\.\\d+)?\$'"
cause spec.i32 'Invalid value: 3000000000: spec.i32 in body should be' \
    'less than or equal to 2147483647'
cause spec.color \
    'Unsupported value: "blue": supported values: "red", "green"'
cause spec.closed \
    'Invalid value: "extra": spec.closed.extra in body is a forbidden property'
cause spec.map.k 'Invalid value: "string": spec.map.k in body must be of' \
    'type integer: "string"'
cause '<nil>' \
    'Invalid value: "": "spec.ios" must validate at least one schema (anyOf)'
cause spec.ios 'Invalid value: "boolean": spec.ios in body must be of' \
    'type integer: "boolean"'

jq -e '(.causes | length) == 17 and
    .unknownFields == ["spec.unknown", "spec.free.known.drop"] and
    .object.spec.free.anything.deep == 1 and
    (.object.spec.free.known | has("drop") | not) and
    (.object.spec | has("nul")) and (.object.spec | has("nn") | not) and
    .object.spec.def == "dflt"' "$T/body" >/dev/null 2>&1
result "schema: pruning, preserved unknown fields, nulls, defaults" $? \
    "$(jq -c '[.unknownFields, .object.spec]' "$T/body" | head -c 400)"

"$KUBESIM" --crd "$T/mini-crd.json" --validate "$T/thing.json" \
    --no-prune > "$T/body"
cause spec.nn \
    'Invalid value: "null": spec.nn in body must be of type string: "null"'

jq '.spec = {"name": "n", "ios": "10%", "arr": [1], "nul": null,
    "p": "12.5", "map": {"a": 1}}' "$T/thing.json" > "$T/thing-ok.json"
"$KUBESIM" --crd "$T/mini-crd.json" --validate "$T/thing-ok.json" \
    > "$T/body"
r=$?
[ $r -eq 0 ] && jqb '.causes == []'
result "schema: a valid object exits 0" $? "exit $r: $(head -c 300 "$T/body")"

mkapp valid-app
"$KUBESIM" --crd "$CRD" --validate "$T/req.json" > "$T/body"
r=$?
[ $r -eq 0 ] && jqb '.unknownFields == ["spec.originalUser",
    "spec.batchSchedulerOptions.gang"]'
result "schema: the SparkApplication CRD loads and validates" $? \
    "exit $r: $(head -c 300 "$T/body")"

# ---- shutdown ---------------------------------------------------------------

kill -TERM "$KPID"
poll 10 sh -c "! kill -0 $KPID 2>/dev/null"
r=$?
wait "$KPID"
st=$?
KPID=
[ $r -eq 0 ] && [ $st -eq 0 ] && [ "$(cat "$T/out")" = "kubesim ready" ]
result "SIGTERM: clean exit, stdout only \"kubesim ready\"" $? \
    "alive=$r status=$st"

finish
