#!/bin/sh
# The classic VM installation, tested: "make install" into a temporary
# DESTDIR, the installed tree checked file by file, the systemd units
# verified (systemd-analyze verify, with the DESTDIR as the root), and the
# installed tree run: the installed bpg-gateway under spawn-fcgi with a
# config of its own, behind each web server with the installed snippet
# (its settings block pointed at the temporary paths), answering a health
# check, Swagger UI and the redirect.
#
#   sh tests/web/install-test.sh
#
#   BUILD (default build), WEBS (default "lighttpd apache"),
#   BPG_INSTALL_PORT_BASE (default 18520: HTTPS, +8 plain HTTP).
#
# Needs a built tree (make) and npm (make swagger-ui).  Everything lives
# under var/install-test and listens on 127.0.0.1 only.  TAP output; exit
# status 0 when every case passed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
WEBS=${WEBS:-lighttpd apache}
base=${BPG_INSTALL_PORT_BASE:-18520}
T=$top/var/install-test
R=$T/root			# DESTDIR, and the root systemd-analyze sees
PREFIX=/usr/local

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
}
check() {	# check DESC CMD...
	d=$1
	shift
	if "$@" >"$T/out" 2>&1; then ok "$d"; else
		not_ok "$d" "$(head -c 600 "$T/out" | tr '\n' ' ')"; fi
}

gw_pid=""
cleanup() {
	for w in $WEBS; do
		WEB=$w sh tests/stack.sh web-stop "$T/web" >/dev/null 2>&1
	done
	if [ -n "$gw_pid" ]; then
		kill "$gw_pid" 2>/dev/null
		i=0
		while kill -0 "$gw_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$gw_pid" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

WEB=lighttpd sh tests/stack.sh web-stop "$T/web" >/dev/null 2>&1
rm -rf "$T"
mkdir -p "$T"

# ---- make install --------------------------------------------------------

if make -s BUILD="$BUILD" install DESTDIR="$R" PREFIX=$PREFIX \
    >"$T/make.log" 2>&1; then
	ok "make install PREFIX=$PREFIX DESTDIR=$R"
else
	not_ok "make install" "$(tail -5 "$T/make.log")"
	echo "1..$n"
	exit 1
fi

S=$R$PREFIX/share/bpg
for f in $PREFIX/sbin/bpg-gateway:755 \
    $PREFIX/bin/bpg:755 \
    $PREFIX/share/bash-completion/completions/bpg:644 \
    $PREFIX/share/bpg/openapi.yaml:644 \
    $PREFIX/share/bpg/swagger-ui/index.html:644 \
    $PREFIX/share/bpg/swagger-ui/swagger-initializer.js:644 \
    $PREFIX/share/bpg/swagger-ui/swagger-ui-bundle.js:644 \
    $PREFIX/share/bpg/swagger-ui/swagger-ui.css:644 \
    $PREFIX/share/bpg/errors/401.html:644 \
    $PREFIX/share/bpg/errors/413.html:644 \
    $PREFIX/share/bpg/httpd-conf/lighttpd/50-bpg.conf:644 \
    $PREFIX/share/bpg/httpd-conf/apache/bpg.conf:644 \
    /etc/bpg/config.example.yaml:644 \
    $PREFIX/lib/systemd/system/bpg-gateway.service:644 \
    $PREFIX/lib/systemd/system/bpg-monitor.service:644 \
    $PREFIX/lib/sysusers.d/bpg.conf:644; do
	p=${f%:*} mode=${f##*:}
	got=$(stat -c %a "$R$p" 2>/dev/null)
	if [ "$got" = "$mode" ]; then ok "installed $p ($mode)"; else
		not_ok "installed $p ($mode)" "got '${got:-missing}'"; fi
done
if [ -x "$BUILD/bpg-monitor" ]; then
	check "installed $PREFIX/sbin/bpg-monitor" test -x "$R$PREFIX/sbin/bpg-monitor"
else
	check "no bpg-monitor built, none installed" \
	    test ! -e "$R$PREFIX/sbin/bpg-monitor"
fi

check "the installed bpg answers --help" \
    sh -c "'$R$PREFIX/bin/bpg' --help | grep -q '^usage: bpg'"
check "the installed bash completion completes bpg's commands" \
    bash -c "shopt -s extglob; . '$R$PREFIX/share/bash-completion/completions/bpg' &&
    COMP_WORDS=(bpg up) COMP_CWORD=1 && _bpg && [ \"\${COMPREPLY[*]}\" = upload ]"

# Every key of reference section 7.2 appears in the example config.
missing=""
for k in applicationContextPath defaultSparkConf fixedSparkConf sparkClusters \
    sparkImages s3Bucket s3Folder sparkLogS3Bucket sparkLogIndex \
    batchFileLimit sparkHistoryDns sparkHistoryUrl gatewayDns eksCluster \
    allowedUsers blockedUsers adminUsers queues queueTokenSOPS secrets \
    dbStorageSOPS connectionString user password dbName memoryMbSecondCost \
    vCoreSecondCost statusCacheExpireMillis weight id masterUrl \
    caCertDataSOPS userName userTokenSOPS timeoutMillis httpProxy httpsProxy \
    sparkApplicationNamespace sparkServiceAccount batchScheduler \
    sparkVersions ttlSeconds sparkUIUrl sparkConf sparkUIOptions volumes \
    driver executor name types version secure users maxRunningMillis \
    driverNodeLabelKey driverNodeLabelValues executorNodeLabelKey \
    executorNodeLabelValues executorSpotNodeLabelValues driverCPUBufferRatio \
    executorCPUBufferRatio driverMemBufferRatio executorMemBufferRatio \
    maxExecutorInstances allowedZones zonePickerName trustedUserHeader; do
	grep -Eq "^[ #-]*$k:" "$R/etc/bpg/config.example.yaml" ||
	    missing="$missing $k"
done
if [ -z "$missing" ]; then ok "config.example.yaml has every key"; else
	not_ok "config.example.yaml has every key" "missing:$missing"; fi

sh tests/pki.sh "$T/pki" >/dev/null
check "bpg-gateway -t accepts the installed config.example.yaml" \
    env BPG_CLUSTER_A_CA="$(cat "$T/pki/ca.b64")" \
    BPG_CLUSTER_A_TOKEN=example-token-0123456789 BPG_DB_PASSWORD=x \
    "$R$PREFIX/sbin/bpg-gateway" -t -c "$R/etc/bpg/config.example.yaml"

# Paths follow PREFIX and SYSCONFDIR.
make -s BUILD="$BUILD" install DESTDIR="$T/opt" PREFIX=/opt/bpg \
    SYSCONFDIR=/opt/bpg/etc >"$T/make-opt.log" 2>&1
u=$T/opt/opt/bpg/lib/systemd/system/bpg-gateway.service
check "PREFIX=/opt/bpg: the unit runs /opt/bpg/sbin/bpg-gateway with /opt/bpg/etc/bpg/config.yaml" \
    grep -q '^ExecStart=/usr/bin/spawn-fcgi .* -- /opt/bpg/sbin/bpg-gateway -c /opt/bpg/etc/bpg/config.yaml' "$u"
check "PREFIX=/opt/bpg: the snippets use /opt/bpg/share/bpg, nothing under /usr/local" \
    sh -c "grep -q '^var.bpg_share = \"/opt/bpg/share/bpg\"' '$T/opt/opt/bpg/share/bpg/httpd-conf/lighttpd/50-bpg.conf' &&
    grep -q '^Define BPG_SHARE /opt/bpg/share/bpg' '$T/opt/opt/bpg/share/bpg/httpd-conf/apache/bpg.conf' &&
    grep -q '^Define BPG_HTPASSWD /opt/bpg/etc/bpg/htpasswd' '$T/opt/opt/bpg/share/bpg/httpd-conf/apache/bpg.conf' &&
    ! grep -rq /usr/local '$T/opt'"

# ---- systemd-analyze verify ----------------------------------------------

# The DESTDIR as the root, with what the units name from outside it:
# spawn-fcgi, kill and the distribution's own units (targets).
mkdir -p "$R/usr/bin" "$R/usr/lib/systemd"
cp "$(command -v spawn-fcgi)" /bin/kill "$R/usr/bin/"
cp -R /usr/lib/systemd/system "$R/usr/lib/systemd/"
[ -e "$R/bin" ] || ln -s usr/bin "$R/bin"
[ -e "$R/lib" ] || ln -s usr/lib "$R/lib"
for u in bpg-gateway bpg-monitor; do
	if [ "$u" = bpg-monitor ] && [ ! -x "$R$PREFIX/sbin/bpg-monitor" ]; then
		echo "ok $((n = n + 1)) - systemd-analyze verify $u.service # SKIP no bpg-monitor"
		continue
	fi
	check "systemd-analyze verify $u.service" \
	    systemd-analyze verify --root="$R" "$PREFIX/lib/systemd/system/$u.service"
done
check "bpg-gateway.service: spawn-fcgi -n, User=bpg, socket 0660, RuntimeDirectory, Restart, ExecReload" \
    sh -c "u='$R$PREFIX/lib/systemd/system/bpg-gateway.service';
    grep -q '^ExecStart=/usr/bin/spawn-fcgi -n -s /run/bpg/gateway.sock -M 0660 -- ' \$u &&
    grep -q '^User=bpg$' \$u && grep -q '^RuntimeDirectory=bpg$' \$u &&
    grep -q '^Restart=on-failure$' \$u &&
    grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' \$u &&
    grep -q '^NoNewPrivileges=yes$' \$u"

# ---- run the installed tree ---------------------------------------------

# A config of its own: no database, one cluster nobody calls.
W=$T/web
mkdir -p "$W"
mkdir -p "$W/pki"
cp -p "$T"/pki/* "$W/pki/"
cat > "$T/config.yaml" <<EOF
sparkClusters:
  - id: install-test
    weight: 1
    masterUrl: https://127.0.0.1:9
    caCertDataSOPS: $(cat "$T/pki/ca.b64")
    userTokenSOPS: plaintext:install-test-token
    sparkApplicationNamespace: spark-applications
    sparkVersions: ["3.5.0"]
    queues: [poc]
allowedUsers: ["*"]
queues:
  - name: poc
EOF
rm -f "$W/gateway.sock"
spawn-fcgi -s "$W/gateway.sock" -M 0660 -n -- "$R$PREFIX/sbin/bpg-gateway" \
    -c "$T/config.yaml" -w 2 >"$T/gateway.log" 2>&1 &
gw_pid=$!
i=0
while [ ! -S "$W/gateway.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the installed bpg-gateway runs under spawn-fcgi" test -S "$W/gateway.sock"

for web in $WEBS; do
	if ! BPG_HTTPD_CONF="$S/httpd-conf" BPG_SHARE_SRC="$S" WEB=$web \
	    sh tests/stack.sh web-start "$W" "$base" >"$T/web-$web.log" 2>&1; then
		not_ok "$web with the installed snippet starts" "$(tail -5 "$T/web-$web.log")"
		continue
	fi
	ok "$web with the installed snippet starts"
	U=https://127.0.0.1:$base
	check "$web: health check through the installed tree" \
	    sh -c "[ \"\$(curl -s --max-time 20 --cacert '$W/pki/ca.pem' -u alice:alice-pw '$U/skatev2/healthcheck/status')\" = '{\"status\":\"OK\"}' ]"
	check "$web: no password, 401" \
	    sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert '$W/pki/ca.pem' '$U/skatev2/healthcheck/status')\" = 401 ]"
	check "$web: the installed bpg reaches the installed gateway" \
	    sh -c "'$R$PREFIX/bin/bpg' --url '$U/skatev2' --cacert '$W/pki/ca.pem' version | grep -q '^gateway '"
	check "$web: installed Swagger UI" \
	    sh -c "curl -s --max-time 20 --cacert '$W/pki/ca.pem' '$U/swagger-ui/' | grep -q 'swagger-initializer.js'"
	check "$web: plain HTTP redirects to HTTPS" \
	    sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 20 'http://127.0.0.1:$((base + 8))/skatev2/healthcheck/status')\" = '308 $U/skatev2/healthcheck/status' ]"
	WEB=$web sh tests/stack.sh web-stop "$W" >/dev/null 2>&1
done

echo "1..$n"
echo "# install-test: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
