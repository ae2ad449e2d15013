#!/bin/sh
# make demo: the local stack (MariaDB under var/demo, two simulated
# Kubernetes clusters, lighttpd with basic auth, spawn-fcgi and the
# gateway), then a SparkPi submission followed end to end.
#   sh tests/demo.sh start | stop
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dir=$top/var/demo
base=${BPG_DEMO_PORT_BASE:-18080}

case "${1:-start}" in
stop)
	if [ -f "$dir/monitor.pid" ]; then
		kill "$(cat "$dir/monitor.pid")" 2>/dev/null || true
		rm -f "$dir/monitor.pid"
	fi
	sh tests/stack.sh stop "$dir"
	echo "demo stopped"
	exit 0 ;;
start) ;;
*)	echo "usage: demo.sh start|stop" >&2; exit 2 ;;
esac

sh tests/deps.sh
KUBESIM_TICK_MS=${KUBESIM_TICK_MS:-1500} sh tests/stack.sh start "$dir" "$base" 4
. "$dir/env"
shared=$BPG_SHARED_DIR

# The application monitor keeps the DB row up to date.
if ! { [ -f "$dir/monitor.pid" ] && kill -0 "$(cat "$dir/monitor.pid")" 2>/dev/null; }; then
	build/bpg-monitor -c "$dir/config.yaml" -m "127.0.0.1:$((base + 30))" \
	    </dev/null >/dev/null 2>> "$dir/monitor.log" &
	echo $! > "$dir/monitor.pid"
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Submitting SparkPi as alice (curl -u alice:alice-pw $BPG_URL/spark)"
resp=$(curl -s --cacert "$BPG_CA" -u alice:alice-pw -H 'Content-Type: application/json' \
    --data-binary @"$shared/spec/sparkpi-request.json" "$BPG_URL/spark")
echo "$resp"
id=$(echo "$resp" | jq -r .submissionId)
[ -n "$id" ] && [ "$id" != null ] || { echo "submission failed" >&2; exit 1; }

case "$id" in
spark-cluster-a-*) cluster=spark-cluster-a; kube=$BPG_KUBE_A ;;
*) cluster=spark-cluster-b; kube=$BPG_KUBE_B ;;
esac
say "Submission ID: $id"
echo "Chosen cluster: $cluster ($kube)"

say "The SparkApplication in $cluster"
curl -s --cacert "$BPG_KUBE_CA" -H "Authorization: Bearer $BPG_KUBE_TOKEN" \
    "$kube/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications/$id" |
    jq 'del(.status)'

say "The MariaDB row (bpg.application_submission)"
mariadb --protocol=tcp -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg -pbpg-test-pw \
    -e "SELECT submission_id, user, queue, spark_version, status, created_time,
        LEFT(request_body, 80) AS request_body
        FROM bpg.application_submission WHERE submission_id='$id'\\G"

say "Status (GET $BPG_URL/spark/$id/status)"
last=""
i=0
while [ $i -lt 120 ]; do
	st=$(curl -s --cacert "$BPG_CA" -u alice:alice-pw "$BPG_URL/spark/$id/status")
	state=$(echo "$st" | jq -r .applicationState)
	if [ "$state" != "$last" ]; then
		echo "$st"
		last=$state
	fi
	[ "$state" = COMPLETED ] || [ "$state" = FAILED ] && break
	sleep 0.5
	i=$((i + 1))
done

say "Only its owner reads it: bob asks for alice's job"
curl -s --cacert "$BPG_CA" -u bob:bob-pw -w ' (HTTP %{http_code})\n' \
    "$BPG_URL/spark/$id/status"

sleep 2
say "The MariaDB row, kept by bpg-monitor"
mariadb --protocol=tcp -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg -pbpg-test-pw \
    -e "SELECT submission_id, user, status, app_id, start_time, finished_time,
        driver_core, driver_memory_mb, number_executor, cost
        FROM bpg.application_submission WHERE submission_id='$id'\\G"

say "The same job sent twice with one Idempotency-Key: one job, the same answer"
key=demo-$(date +%s)
for n in 1 2; do
	curl -s --cacert "$BPG_CA" -u alice:alice-pw -H "Idempotency-Key: $key" \
	    -H 'Content-Type: application/json' -w ' (HTTP %{http_code})\n' \
	    --data-binary @"$shared/spec/sparkpi-request.json" "$BPG_URL/spark"
done

say "spark-cluster-a refuses every create (429): submissions fail over to spark-cluster-b"
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"type":"throttle","method":"POST","count":-1}' \
    "$BPG_KUBE_CONTROL/clusters/spark-cluster-a/faults"
for n in 1 2 3 4; do
	curl -s --cacert "$BPG_CA" -u alice:alice-pw \
	    -H 'Content-Type: application/json' -w ' (HTTP %{http_code})\n' \
	    --data-binary @"$shared/spec/sparkpi-request.json" "$BPG_URL/spark"
done
say "The clusters' circuit breakers (GET $BPG_URL/admin/clusters, as admin carol)"
curl -s --cacert "$BPG_CA" -u carol:carol-pw "$BPG_URL/admin/clusters" |
    jq -c '.clusters[] | {id, state, consecutiveFailures, submissionsLastMinute}'
curl -sf -o /dev/null -X DELETE "$BPG_KUBE_CONTROL/clusters/spark-cluster-a/faults"

say "The command-line client: bpg status $id"
BPG_URL=$BPG_URL BPG_CA_BUNDLE=$BPG_CA BPG_USER=alice BPG_PASSWORD=alice-pw \
    build/bpg-cli status "$id"

say "A Livy client (Airflow's LivyOperator speaks this): POST $BPG_URL/batches"
batch=$(curl -s --cacert "$BPG_CA" -u alice:alice-pw -H 'Content-Type: application/json' \
    -d '{"file":"local:///opt/spark/examples/jars/spark-examples.jar","className":"org.apache.spark.examples.SparkPi","args":["100"],"numExecutors":1,"queue":"dev"}' \
    "$BPG_URL/batches")
echo "$batch" | jq -c '{id, state, appInfo}'
bid=$(echo "$batch" | jq -r .id)
sleep 3
curl -s --cacert "$BPG_CA" -u alice:alice-pw "$BPG_URL/batches/$bid/state"; echo

say "Usage and cost by queue, last 30 days (GET $BPG_URL/admin/report, as admin carol)"
curl -s --cacert "$BPG_CA" -u carol:carol-pw "$BPG_URL/admin/report?groupBy=queue" |
    jq -c '.rows[] | {key, jobs, states, durationP50Ms, cost}'

say "Prometheus metrics (GET $BPG_URL/metrics, as admin carol): submissions"
curl -s --cacert "$BPG_CA" -u carol:carol-pw "$BPG_URL/metrics" |
    grep '^bpg_submissions_total' || true

say "Done"
cat <<EOM
The stack keeps running:
  gateway     $BPG_URL   (users alice/alice-pw, bob/bob-pw)
  clusters    $BPG_KUBE_A  $BPG_KUBE_B   (token $BPG_KUBE_TOKEN, CA $BPG_KUBE_CA)
  MariaDB     127.0.0.1:$BPG_DB_PORT  (bpg/bpg-test-pw)
  monitor     bpg-monitor (log: $dir/monitor.log, metrics: http://127.0.0.1:$((base + 30))/metrics)
  dashboard   https://127.0.0.1:$base/dashboard/   (alice/alice-pw; carol/carol-pw sees the admin panels;
              the browser must trust $BPG_CA)
  logs        $dir/*.log
Try:   curl --cacert $BPG_CA -u alice:alice-pw $BPG_URL/spark/$id/status
       BPG_URL=$BPG_URL BPG_CA_BUNDLE=$BPG_CA build/bpg-cli -u alice list
Stop:  make demo-stop
EOM
