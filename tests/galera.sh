#!/bin/sh
# A throw-away 3-node MariaDB Galera cluster on the loopback, kept
# entirely under one directory (a directory per node: my.cnf, data,
# socket, pid file, log).  Packages: mariadb-server, galera-4,
# mariadb-backup (the state transfer: rsync's fails between nodes of one
# host) and socat (which mariabackup's transfer uses).
#
#   sh tests/galera.sh start DIR BASE   bootstrap node 1 (a new cluster),
#                                       create database bpg and user bpg,
#                                       then join nodes 2 and 3 (each by a
#                                       full state transfer from a donor)
#   sh tests/galera.sh stop DIR         shut every node down
#   sh tests/galera.sh node-stop DIR N  shut node N down
#   sh tests/galera.sh node-start DIR N start node N again (rejoins)
#   sh tests/galera.sh ports DIR        print the SQL ports, "p1,p2,p3"
#   sh tests/galera.sh test DIR BASE    start, run build/tests/galera/
#                                       check_galera against it, stop
#
# Node n (1 to 3) listens on 127.0.0.1: SQL BASE+n-1, group communication
# BASE+10+n-1, incremental transfer BASE+20+n-1, state transfer
# BASE+30+n-1.  Credentials as tests/mariadb.sh: user "bpg", password
# "bpg-test-pw".  Every wait is bounded.

set -u

TEST_USER=bpg
TEST_PASSWORD=bpg-test-pw
START_WAIT=120	# seconds until a node must be synced (a transfer included)
STOP_WAIT=30

die()
{
	echo "galera.sh: $*" >&2
	exit 1
}

usage()
{
	echo "usage: sh tests/galera.sh start DIR BASE | stop DIR |" \
	    "node-stop DIR N | node-start DIR N | ports DIR | test DIR BASE" >&2
	exit 2
}

findprog()
{
	for p in "$@"; do
		for d in $(echo "$PATH" | tr ':' ' ') /usr/sbin /usr/local/sbin \
		    /sbin; do
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
	    /usr/lib/libgalera_smm.so /usr/lib64/galera-4/libgalera_smm.so \
	    /usr/lib/x86_64-linux-gnu/galera/libgalera_smm.so; do
		if [ -r "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

setup_progs()
{
	SERVER=$(findprog mariadbd mysqld) ||
	    die "mariadbd not found (apt-get install mariadb-server)"
	INSTALL=$(findprog mariadb-install-db mysql_install_db) ||
	    die "mariadb-install-db not found (apt-get install mariadb-server)"
	CLIENT=$(findprog mariadb mysql) ||
	    die "mariadb client not found (apt-get install mariadb-client)"
	PROVIDER=$(provider) || die "libgalera_smm.so not found" \
	    "(apt-get install galera-4)"
	findprog mariabackup mariadb-backup >/dev/null ||
	    die "mariabackup not found (apt-get install mariadb-backup)"
	findprog socat >/dev/null || die "socat not found (apt-get install socat)"
}

node_dir()
{
	echo "$DIR/n$1"
}

running_pid()
{
	nd=$(node_dir "$1")
	[ -f "$nd/mariadbd.pid" ] || return 1
	pid=$(cat "$nd/mariadbd.pid" 2>/dev/null)
	case "$pid" in
	'' | *[!0-9]*) return 1 ;;
	esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# Run SQL from stdin as root on node n, over its socket.
rootsql()
{
	"$CLIENT" --no-defaults --protocol=socket \
	    --socket="$(node_dir "$1")/mysqld.sock" --user=root --batch \
	    --skip-column-names
}

write_cnf()
{
	n=$1
	nd=$(node_dir "$n")
	base=$(cat "$DIR/base")
	g1=$((base + 10))
	g=$((base + 10 + n - 1))
	mkdir -p "$nd/tmp" "$nd/data" || die "cannot create $nd"
	cat >"$nd/my.cnf" <<EOF
[mysqld]
user=root
datadir=$nd/data
tmpdir=$nd/tmp
socket=$nd/mysqld.sock
pid-file=$nd/mariadbd.pid
log-error=$nd/mariadbd.log
port=$((base + n - 1))
bind-address=127.0.0.1
skip-name-resolve
innodb-use-native-aio=0
innodb-buffer-pool-size=64M
max-connections=300
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=bpg-test-$base
wsrep_cluster_address=gcomm://127.0.0.1:$g1,127.0.0.1:$((g1 + 1)),127.0.0.1:$((g1 + 2))
wsrep_node_name=n$n
wsrep_node_address=127.0.0.1:$g
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((base + 20 + n - 1));gcache.size=64M"
wsrep_sst_method=mariabackup
wsrep_sst_auth=root:
wsrep_sst_receive_address=127.0.0.1:$((base + 30 + n - 1))
EOF
}

# Wait until node n is synced with its cluster.
wait_synced()
{
	n=$1
	i=0
	while :; do
		st=$(echo "SHOW STATUS LIKE 'wsrep_local_state_comment'" |
		    rootsql "$n" 2>/dev/null | cut -f2)
		[ "$st" = "Synced" ] && return 0
		# setsid may fork; then the pid file tells.
		if ! kill -0 "$server_pid" 2>/dev/null &&
		    ! running_pid "$n" >/dev/null; then
			tail -n 30 "$(node_dir "$n")/mariadbd.log" >&2
			die "node $n exited during start-up"
		fi
		i=$((i + 1))
		if [ "$i" -ge $((START_WAIT * 4)) ]; then
			tail -n 30 "$(node_dir "$n")/mariadbd.log" >&2
			die "node $n not synced within ${START_WAIT}s"
		fi
		sleep 0.25
	done
}

# Start node n; "new" bootstraps a new cluster from it.
start_node()
{
	n=$1
	bootstrap=
	if [ "${2:-}" = new ]; then
		bootstrap=--wsrep-new-cluster
	fi
	nd=$(node_dir "$n")
	if running_pid "$n" >/dev/null; then
		return 0
	fi
	write_cnf "$n"
	rm -f "$nd/mariadbd.pid"
	setsid "$SERVER" --defaults-file="$nd/my.cnf" $bootstrap \
	    </dev/null >>"$nd/mariadbd.log" 2>&1 &
	server_pid=$!
	wait_synced "$n"
}

cmd_start()
{
	base=$1
	case "$base" in
	'' | *[!0-9]*) die "BASE must be a number: '$base'" ;;
	esac
	setup_progs
	mkdir -p "$DIR" || die "cannot create $DIR"
	DIR=$(cd "$DIR" && pwd -P)
	[ ${#DIR} -lt 90 ] || die "path too long for a socket: $DIR"
	echo "$base" >"$DIR/base"
	nd=$(node_dir 1)
	mkdir -p "$nd/tmp"
	if [ ! -d "$nd/data/mysql" ]; then
		"$INSTALL" --no-defaults --user=root --datadir="$nd/data" \
		    --tmpdir="$nd/tmp" --skip-test-db --skip-name-resolve \
		    --auth-root-authentication-method=normal \
		    >"$nd/install.log" 2>&1 ||
		    { cat "$nd/install.log" >&2; die "install-db failed"; }
	else
		# Started again: node 1, stopped last, bootstraps again.
		sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' \
		    "$nd/data/grastate.dat" 2>/dev/null
	fi
	start_node 1 new
	rootsql 1 <<EOF || die "creating database bpg and user bpg failed"
CREATE DATABASE IF NOT EXISTS bpg;
CREATE USER IF NOT EXISTS '$TEST_USER'@'%' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
EOF
	# Joiners start empty: the state transfer fills them.
	start_node 2
	start_node 3
	size=$(echo "SHOW STATUS LIKE 'wsrep_cluster_size'" | rootsql 1 |
	    cut -f2)
	[ "$size" = 3 ] || die "cluster size $size, not 3"
}

stop_node()
{
	n=$1
	pid=$(running_pid "$n") || return 0
	kill -TERM "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge $((STOP_WAIT * 4)) ]; then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.25
	done
	rm -f "$(node_dir "$n")/mariadbd.pid"
}

cmd_stop()
{
	[ -d "$DIR" ] || return 0
	# Joiners first: node 1, stopped last, may bootstrap again.
	stop_node 3
	stop_node 2
	stop_node 1
}

check_node()
{
	case "$1" in
	1 | 2 | 3) ;;
	*) die "N must be 1, 2 or 3: '$1'" ;;
	esac
}

cmd_ports()
{
	base=$(cat "$DIR/base" 2>/dev/null) || die "no cluster in $DIR"
	echo "$base,$((base + 1)),$((base + 2))"
}

cmd_test()
{
	top=$(cd "$(dirname "$0")/.." && pwd)
	build=${BUILD:-build}
	cmd_start "$1"
	BPG_TEST_GALERA_PORTS=$(cmd_ports)
	export BPG_TEST_GALERA_PORTS
	CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-600}
	export CK_DEFAULT_TIMEOUT
	"$top/$build/tests/galera/check_galera"
	rc=$?
	cmd_stop
	return $rc
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$2
[ -n "$DIR" ] || usage
case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	cmd_start "$3"
	;;
stop)
	[ $# -eq 2 ] || usage
	cmd_stop
	;;
node-stop)
	[ $# -eq 3 ] || usage
	check_node "$3"
	stop_node "$3"
	;;
node-start)
	[ $# -eq 3 ] || usage
	check_node "$3"
	setup_progs
	DIR=$(cd "$DIR" && pwd -P)
	start_node "$3"
	;;
ports)
	[ $# -eq 2 ] || usage
	cmd_ports
	;;
test)
	[ $# -eq 3 ] || usage
	cmd_test "$3"
	;;
*)
	usage
	;;
esac
