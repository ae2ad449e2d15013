#!/bin/sh
# The CR floor (floor.c) POSTs for each submission: the one the gateway
# POSTed for submission ID, with the name as @NAME@.
#
#   sh tests/bench/floorcr.sh ID APPS_URL BODY > cr.json
#
# APPS_URL is the stand-in's sparkapplications collection that holds ID,
# BODY the request the gateway was given.  The environment is a stack's
# (tests/stack.sh: BPG_URL, BPG_CA, BPG_KUBE_CA, BPG_KUBE_TOKEN).
#
# What the API server stores is not what it was sent: it prunes the
# fields its schema does not know (spec.originalUser and two of
# batchSchedulerOptions, which BPG sends, each answered with a Warning
# header) and fills in its schema's defaults (restartPolicy).  A dry run
# of the same body on the same cluster gives what was sent, but with the
# values a dry run masks as "***" (environment values, secret-looking
# sparkConf and hadoopConf ones); each is taken from the stored object at
# the same place.  So floor's request, and the stand-in's answer, are the
# gateway's.
set -eu
id=${1:?usage: floorcr.sh ID APPS_URL BODY}
apps=${2:?usage: floorcr.sh ID APPS_URL BODY}
body=${3:?usage: floorcr.sh ID APPS_URL BODY}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

curl -sf --cacert "$BPG_KUBE_CA" -H "Authorization: Bearer $BPG_KUBE_TOKEN" \
    "$apps/$id" > "$tmp/stored"
# The dry run picks a cluster as a submission does: until it is ID's.
n=0
while :; do
	curl -sf --cacert "$BPG_CA" -u alice:alice-pw \
	    -H 'Content-Type: application/json' --data-binary @"$body" \
	    "$BPG_URL/spark?dryRun=true" > "$tmp/dry"
	cl=$(jq -r .cluster "$tmp/dry")
	case $id in "$cl"-*) break ;; esac
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "floorcr.sh: no dry run on the cluster of" \
	    "$id: $(cat "$tmp/dry")" >&2; exit 1; }
done
dry=$(jq -r .submissionId "$tmp/dry")
jq -c -n --slurpfile d "$tmp/dry" --slurpfile s "$tmp/stored" '
	$s[0] as $s |
	$d[0].sparkApplication |
	reduce paths(. == "***") as $p (.;
	    setpath($p; $s | getpath($p) //
	    error("no stored value at \($p)")))' |
    sed -e "s/$dry/@NAME@/g" -e "s/$id/@NAME@/g"
