#!/bin/sh
# A throw-away MariaDB server for the tests, kept entirely under one
# directory (data, socket, pid file, log).  No systemd, no /etc/mysql: the
# packaged service does not need to be running.
#
#   sh tests/mariadb.sh start DIR PORT   initialise DIR/data if absent, start
#                                        mariadbd on 127.0.0.1:PORT, create
#                                        database bpg and user bpg
#   sh tests/mariadb.sh stop DIR         shut it down (bounded, then kill)
#   sh tests/mariadb.sh url DIR          print the JDBC URL, or nothing if the
#                                        server is not running
#
# With BPG_DB_TLS_DIR set (a directory of tests/pki.sh: ca.pem, server.pem,
# server.key), start serves TLS with that certificate and sets
# require_secure_transport=ON: TCP clients without TLS are refused (the
# socket, which this script itself uses, counts as secure).
#
# Every command is idempotent, quiet on success and loud on failure.
# Credentials: user "bpg", password "bpg-test-pw", all privileges (with
# GRANT OPTION, so tests can make users with fewer).

set -u

TEST_USER=bpg
TEST_PASSWORD=bpg-test-pw
TEST_DATABASE=bpg
START_WAIT=60	# seconds until the server must answer
STOP_WAIT=30	# seconds until a TERM becomes a KILL

die()
{
	echo "mariadb.sh: $*" >&2
	exit 1
}

usage()
{
	echo "usage: sh tests/mariadb.sh start DIR PORT | stop DIR | url DIR" >&2
	exit 2
}

# Find a program in PATH or in the sbin directories a non-root PATH lacks.
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

# Absolute form of a directory that exists.
absdir()
{
	(cd "$1" 2>/dev/null && pwd -P)
}

# Pid of the server started in $DIR, if it is alive.
running_pid()
{
	[ -f "$DIR/mariadbd.pid" ] || return 1
	pid=$(cat "$DIR/mariadbd.pid" 2>/dev/null)
	case "$pid" in
	'' | *[!0-9]*) return 1 ;;
	esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

show_log()
{
	if [ -f "$DIR/mariadbd.log" ]; then
		echo "--- last lines of $DIR/mariadbd.log:" >&2
		tail -n 30 "$DIR/mariadbd.log" >&2
	fi
}

# Run SQL from stdin as the server's root account, over the socket.
rootsql()
{
	"$CLIENT" --no-defaults --protocol=socket --socket="$SOCK" \
	    --user=root --batch --skip-column-names
}

cmd_start()
{
	port=$1
	case "$port" in
	'' | *[!0-9]*) die "PORT must be a number: '$port'" ;;
	esac
	if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		die "PORT out of range: $port"
	fi

	mkdir -p "$DIR" || die "cannot create $DIR"
	DIR=$(absdir "$DIR") || die "cannot enter $DIR"
	SOCK=$DIR/mysqld.sock
	# sun_path holds 108 bytes including the terminating NUL.
	[ ${#SOCK} -lt 108 ] || die "path too long for a socket: $SOCK"

	SERVER=$(findprog mariadbd mysqld) ||
	    die "mariadbd not found (apt-get install mariadb-server)"
	INSTALL=$(findprog mariadb-install-db mysql_install_db) ||
	    die "mariadb-install-db not found (apt-get install mariadb-server)"
	CLIENT=$(findprog mariadb mysql) ||
	    die "mariadb client not found (apt-get install mariadb-client)"
	ADMIN=$(findprog mariadb-admin mysqladmin) ||
	    die "mariadb-admin not found (apt-get install mariadb-client)"

	# mariadbd refuses to run as root unless told to.
	user_opt=
	if [ "$(id -u)" -eq 0 ]; then
		user_opt=--user=root
	fi

	if pid=$(running_pid); then
		oldport=$(cat "$DIR/port" 2>/dev/null)
		[ "$oldport" = "$port" ] ||
		    die "already running in $DIR on port $oldport, not $port"
	else
		# A temporary directory of its own: servers started side by
		# side (make test) name their temporary tables alike, and
		# clash in a shared /tmp.
		mkdir -p "$DIR/tmp" || die "cannot create $DIR/tmp"
		if [ ! -d "$DIR/data/mysql" ]; then
			# Never delete what this script did not create.
			if [ -e "$DIR/data" ] &&
			    [ -n "$(ls -A "$DIR/data" 2>/dev/null)" ]; then
				die "$DIR/data exists and is not a MariaDB" \
				    "data directory"
			fi
			if ! "$INSTALL" --no-defaults $user_opt \
			    --datadir="$DIR/data" --tmpdir="$DIR/tmp" \
			    --skip-test-db \
			    --skip-name-resolve \
			    --auth-root-authentication-method=normal \
			    >"$DIR/install.log" 2>&1; then
				cat "$DIR/install.log" >&2
				rm -rf "$DIR/data"
				die "mariadb-install-db failed in $DIR/data"
			fi
		fi
		tls_opts=
		if [ -n "${BPG_DB_TLS_DIR:-}" ]; then
			for f in ca.pem server.pem server.key; do
				[ -r "$BPG_DB_TLS_DIR/$f" ] ||
				    die "BPG_DB_TLS_DIR: no $BPG_DB_TLS_DIR/$f"
			done
			tls_opts="--ssl-ca=$BPG_DB_TLS_DIR/ca.pem
			    --ssl-cert=$BPG_DB_TLS_DIR/server.pem
			    --ssl-key=$BPG_DB_TLS_DIR/server.key
			    --require-secure-transport=ON"
		fi
		echo "$port" >"$DIR/port"
		rm -f "$DIR/mariadbd.pid"
		# setsid: the server must outlive this shell and its job
		# control; stdin from /dev/null so it holds no terminal.
		setsid "$SERVER" --no-defaults $user_opt \
		    --datadir="$DIR/data" --tmpdir="$DIR/tmp" \
		    --socket="$SOCK" \
		    --pid-file="$DIR/mariadbd.pid" \
		    --log-error="$DIR/mariadbd.log" \
		    --port="$port" \
		    --bind-address=127.0.0.1 \
		    --skip-name-resolve \
		    --skip-log-bin \
		    --innodb-use-native-aio=0 \
		    --innodb-buffer-pool-size=64M \
		    --max-connections=500 \
		    --character-set-server=utf8mb4 \
		    --collation-server=utf8mb4_general_ci \
		    $tls_opts \
		    </dev/null >>"$DIR/mariadbd.log" 2>&1 &
		server_pid=$!

		i=0
		until "$ADMIN" --no-defaults --protocol=socket \
		    --socket="$SOCK" --user=root --connect-timeout=2 \
		    ping >/dev/null 2>&1; do
			# setsid may fork; then the pid file tells.
			if ! kill -0 "$server_pid" 2>/dev/null &&
			    ! running_pid >/dev/null; then
				show_log
				die "mariadbd exited during start-up"
			fi
			i=$((i + 1))
			if [ "$i" -ge $((START_WAIT * 4)) ]; then
				show_log
				kill -KILL "$server_pid" 2>/dev/null
				if pid=$(running_pid); then
					kill -KILL "$pid" 2>/dev/null
				fi
				die "mariadbd did not answer within ${START_WAIT}s"
			fi
			sleep 0.25
		done
	fi

	# Idempotent: IF NOT EXISTS, and ALTER USER resets the password
	# should an earlier run have set another one.  127.0.0.1 and ::1 are
	# listed because with skip-name-resolve a TCP client from the
	# loopback matches those, not "localhost".
	if ! rootsql <<EOF >"$DIR/setup.log" 2>&1; then
CREATE DATABASE IF NOT EXISTS \`$TEST_DATABASE\`;
CREATE USER IF NOT EXISTS '$TEST_USER'@'%' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER IF NOT EXISTS '$TEST_USER'@'::1' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'%' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'::1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'::1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
EOF
		cat "$DIR/setup.log" >&2
		die "creating database $TEST_DATABASE and user $TEST_USER failed"
	fi
	rm -f "$DIR/setup.log"
}

cmd_stop()
{
	[ -d "$DIR" ] || return 0
	pid=$(running_pid) || {
		rm -f "$DIR/mariadbd.pid"
		return 0
	}
	# TERM is mariadbd's orderly shutdown.
	kill -TERM "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge $((STOP_WAIT * 4)) ]; then
			echo "mariadb.sh: mariadbd (pid $pid) ignored TERM for" \
			    "${STOP_WAIT}s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null
			sleep 0.5
			if kill -0 "$pid" 2>/dev/null; then
				die "cannot kill mariadbd (pid $pid)"
			fi
			break
		fi
		sleep 0.25
	done
	rm -f "$DIR/mariadbd.pid"
}

cmd_url()
{
	[ -d "$DIR" ] || return 0
	running_pid >/dev/null || return 0
	port=$(cat "$DIR/port" 2>/dev/null) || return 0
	echo "jdbc:mysql://127.0.0.1:$port/$TEST_DATABASE"
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
url)
	[ $# -eq 2 ] || usage
	cmd_url
	;;
*)
	usage
	;;
esac
