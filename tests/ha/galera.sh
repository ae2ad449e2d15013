#!/bin/sh
# A 3-node MariaDB Galera cluster on the loopback, for the HA tests.  Each
# node is its own mariadbd with its own data directory under DIR/nodeN.
#
#   sh tests/ha/galera.sh start DIR PORTBASE   bootstrap (or restart) all
#                                              three nodes, wait until
#                                              wsrep_cluster_size=3 and
#                                              every node is Synced
#   sh tests/ha/galera.sh stop DIR             stop all nodes
#   sh tests/ha/galera.sh start-node DIR PORTBASE N
#                                              (re)start node N (1..3) and
#                                              let it join the others
#   sh tests/ha/galera.sh kill-node DIR N      kill -9 node N
#   sh tests/ha/galera.sh isolate DIR N        cut node N off the others
#                                              (non-primary: it refuses
#                                              statements with 1047)
#   sh tests/ha/galera.sh rejoin DIR N         end that, wait until Synced
#   sh tests/ha/galera.sh sql DIR N            run SQL from stdin on node N
#   sh tests/ha/galera.sh test DIR PORTBASE    start, run build/tests/galera/
#                                              check_galera (the monitor's
#                                              lease on Galera) against it
#                                              with BPG_TEST_GALERA_PORTS,
#                                              stop (make test-galera)
#
# Ports of node N (1..3): PORTBASE+10*(N-1) + 0 client, +1 Galera
# replication, +2 IST, +3 SST.  Credentials as tests/mariadb.sh: user bpg,
# password bpg-test-pw, database bpg.
#
# State transfer is mariabackup: rsync SST fails between nodes on one
# host (they share the rsync daemon's port and lock file).
set -u

TEST_USER=bpg
TEST_PASSWORD=bpg-test-pw
TEST_DATABASE=bpg
SST_USER=sst
SST_PASSWORD=sst-test-pw
START_WAIT=120

die() { echo "galera.sh: $*" >&2; exit 1; }

usage()
{
	echo "usage: sh tests/ha/galera.sh start DIR PORTBASE | stop DIR |" \
	    "start-node DIR PORTBASE N | kill-node DIR N | isolate DIR N |" \
	    "rejoin DIR N | sql DIR N | test DIR PORTBASE" >&2
	exit 2
}

findprog()
{
	for p in "$@"; do
		for d in $(echo "$PATH" | tr ':' ' ') /usr/sbin /usr/local/sbin \
		    /sbin /usr/libexec; do
			if [ -x "$d/$p" ]; then
				echo "$d/$p"
				return 0
			fi
		done
	done
	return 1
}

provider()
{
	for f in /usr/lib/galera/libgalera_smm.so \
	    /usr/lib/galera-4/libgalera_smm.so \
	    /usr/lib64/galera-4/libgalera_smm.so; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

setup()
{
	SERVER=$(findprog mariadbd mysqld) ||
	    die "mariadbd not found (apt-get install mariadb-server)"
	INSTALL=$(findprog mariadb-install-db mysql_install_db) ||
	    die "mariadb-install-db not found"
	CLIENT=$(findprog mariadb mysql) || die "mariadb client not found"
	ADMIN=$(findprog mariadb-admin mysqladmin) ||
	    die "mariadb-admin not found"
	PROVIDER=$(provider) || die "libgalera_smm.so not found" \
	    "(apt-get install galera-4)"
	findprog mariabackup mariadb-backup >/dev/null ||
	    die "mariabackup not found (apt-get install mariadb-backup)"
	findprog socat >/dev/null || die "socat not found (apt-get install socat)"
	user_opt=
	[ "$(id -u)" -eq 0 ] && user_opt=--user=root
	mkdir -p "$DIR" || die "cannot create $DIR"
	DIR=$(cd "$DIR" && pwd -P)
}

nodedir() { echo "$DIR/node$1"; }
cport() { echo $((BASE + 10 * ($1 - 1))); }

node_pid()
{
	f=$(nodedir "$1")/mariadbd.pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f" 2>/dev/null)
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

nodesql()
{
	"$CLIENT" --no-defaults --protocol=socket \
	    --socket="$(nodedir "$1")/mysqld.sock" --user=root \
	    --batch --skip-column-names
}

status_of()	# status_of N VAR
{
	echo "SHOW GLOBAL STATUS LIKE '$2'" | nodesql "$1" 2>/dev/null |
	    awk '{ print $2 }'
}

show_log()
{
	f=$(nodedir "$1")/mariadbd.log
	[ -f "$f" ] && { echo "--- last lines of $f:" >&2; tail -n 40 "$f" >&2; }
}

# Write DIR/nodeN/my.cnf.  All nodes list all three Galera ports; the
# bootstrapping node is told so on its command line only.
write_cnf()
{
	n=$1
	d=$(nodedir "$n")
	p=$(cport "$n")
	peers="127.0.0.1:$(($(cport 1) + 1)),127.0.0.1:$(($(cport 2) + 1))"
	peers="$peers,127.0.0.1:$(($(cport 3) + 1))"
	cat >"$d/my.cnf" <<EOC
[mariadbd]
datadir=$d/data
tmpdir=$d/tmp
socket=$d/mysqld.sock
pid-file=$d/mariadbd.pid
log-error=$d/mariadbd.log
port=$p
bind-address=127.0.0.1
skip-name-resolve
innodb-use-native-aio=0
innodb-buffer-pool-size=64M
innodb-log-file-size=48M
max-connections=500
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
binlog_format=ROW
default-storage-engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=bpg-ha
wsrep_cluster_address=gcomm://$peers
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1
wsrep_provider_options=base_port=$((p + 1));ist.recv_addr=127.0.0.1:$((p + 2));gmcast.listen_addr=tcp://127.0.0.1:$((p + 1));evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S;gcache.size=64M
wsrep_sst_method=mariabackup
wsrep_sst_auth=$SST_USER:$SST_PASSWORD
wsrep_sst_receive_address=127.0.0.1:$((p + 3))
wsrep_slave_threads=2
# Reads wait for the writes the node has seen committed elsewhere: a
# GET after a POST answered by another gateway finds its row.
wsrep_sync_wait=1

[sst]
sockopt=,reuseaddr

[mariabackup]
user=$SST_USER
password=$SST_PASSWORD
socket=$d/mysqld.sock
EOC
}

# start_one N [--wsrep-new-cluster]: start node N, wait until it answers
# and is Synced.
start_one()
{
	n=$1; shift
	d=$(nodedir "$n")
	if node_pid "$n" >/dev/null; then
		return 0
	fi
	mkdir -p "$d/tmp" || die "cannot create $d"
	write_cnf "$n"
	if [ ! -d "$d/data/mysql" ] && [ "${1:-}" = --wsrep-new-cluster ]; then
		"$INSTALL" --defaults-file="$d/my.cnf" $user_opt \
		    --datadir="$d/data" --skip-test-db --skip-name-resolve \
		    --auth-root-authentication-method=normal \
		    >"$d/install.log" 2>&1 ||
		    { cat "$d/install.log" >&2; die "install-db failed in $d"; }
	fi
	# A joiner with no data gets everything by SST: only an empty
	# datadir is needed.
	mkdir -p "$d/data"
	rm -f "$d/mariadbd.pid"
	# After a kill -9 the node's grastate says safe_to_bootstrap: 0;
	# bootstrapping the whole cluster again from node 1 is safe here
	# because every node was stopped.
	if [ "${1:-}" = --wsrep-new-cluster ] && [ -f "$d/data/grastate.dat" ]; then
		sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' \
		    "$d/data/grastate.dat"
	fi
	setsid "$SERVER" --defaults-file="$d/my.cnf" $user_opt "$@" \
	    </dev/null >>"$d/mariadbd.log" 2>&1 &
	spid=$!
	i=0
	while :; do
		if "$ADMIN" --no-defaults --protocol=socket \
		    --socket="$d/mysqld.sock" --user=root --connect-timeout=2 \
		    ping >/dev/null 2>&1 &&
		    [ "$(status_of "$n" wsrep_local_state_comment)" = Synced ]
		then
			break
		fi
		if ! kill -0 "$spid" 2>/dev/null && ! node_pid "$n" >/dev/null
		then
			show_log "$n"
			die "node $n exited during start-up"
		fi
		i=$((i + 1))
		if [ "$i" -ge $((START_WAIT * 4)) ]; then
			show_log "$n"
			die "node $n not Synced within ${START_WAIT}s"
		fi
		sleep 0.25
	done
}

grant()
{
	nodesql 1 <<EOSQL || die "creating users on node 1 failed"
CREATE DATABASE IF NOT EXISTS \`$TEST_DATABASE\`;
CREATE USER IF NOT EXISTS '$SST_USER'@'localhost' IDENTIFIED BY '$SST_PASSWORD';
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, REPLICATION CLIENT ON *.* TO '$SST_USER'@'localhost';
CREATE USER IF NOT EXISTS '$TEST_USER'@'%' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
EOSQL
}

wait_size3()
{
	i=0
	for n in 1 2 3; do
		until [ "$(status_of "$n" wsrep_cluster_size)" = 3 ] &&
		    [ "$(status_of "$n" wsrep_local_state_comment)" = Synced ]
		do
			i=$((i + 1))
			[ "$i" -lt $((START_WAIT * 4)) ] ||
			    die "node $n: cluster size not 3 / not Synced"
			sleep 0.25
		done
	done
}

cmd_start()
{
	if node_pid 1 >/dev/null || node_pid 2 >/dev/null ||
	    node_pid 3 >/dev/null; then
		for n in 1 2 3; do start_one "$n"; done
	else
		start_one 1 --wsrep-new-cluster
		grant
		start_one 2
		start_one 3
	fi
	wait_size3
	echo "$BASE" >"$DIR/portbase"
}

cmd_stop()
{
	for n in 3 2 1; do
		pid=$(node_pid "$n") || continue
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null; do
			i=$((i + 1))
			if [ "$i" -ge 120 ]; then
				kill -KILL "$pid" 2>/dev/null
				break
			fi
			sleep 0.25
		done
		rm -f "$(nodedir "$n")/mariadbd.pid"
	done
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$2
case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	BASE=$3
	setup
	cmd_start
	;;
start-node)
	[ $# -eq 4 ] || usage
	BASE=$3
	setup
	start_one "$4"
	;;
kill-node)
	[ $# -eq 3 ] || usage
	setup
	pid=$(node_pid "$3") && kill -KILL "$pid"
	:
	;;
isolate)
	# Cut node N off the others: it leaves the primary component and
	# refuses statements (1047) until rejoin.
	[ $# -eq 3 ] || usage
	setup
	echo "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'" |
	    nodesql "$3" || die "cannot isolate node $3"
	;;
rejoin)
	[ $# -eq 3 ] || usage
	setup
	echo "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'" |
	    nodesql "$3" || die "cannot rejoin node $3"
	i=0
	until [ "$(status_of "$3" wsrep_cluster_status)" = Primary ] &&
	    [ "$(status_of "$3" wsrep_local_state_comment)" = Synced ]; do
		i=$((i + 1))
		[ "$i" -lt $((START_WAIT * 4)) ] ||
		    die "node $3 did not rejoin within ${START_WAIT}s"
		sleep 0.25
	done
	;;
sql)
	[ $# -eq 3 ] || usage
	setup
	nodesql "$3"
	;;
test)
	[ $# -eq 3 ] || usage
	BASE=$3
	setup
	cmd_start
	BPG_TEST_GALERA_PORTS=$(cport 1),$(cport 2),$(cport 3)
	CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-600}
	export BPG_TEST_GALERA_PORTS CK_DEFAULT_TIMEOUT
	top=$(cd "$(dirname "$0")/../.." && pwd)
	"$top/${BUILD:-build}/tests/galera/check_galera"
	rc=$?
	cmd_stop
	exit $rc
	;;
stop)
	[ $# -eq 2 ] || usage
	[ -d "$DIR" ] || exit 0
	setup
	cmd_stop
	;;
*)
	usage
	;;
esac
