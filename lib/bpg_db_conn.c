/*
 * The handle and its connection: configuration (dbStorageSOPS, with the
 * URL of bpg_db_url.c), connect, TLS, and the session diagnostics.
 *
 * Connections.  Always TCP (as JDBC), character set utf8mb4, time_zone
 * '+00:00' (MYSQL_INIT_COMMAND, so it holds on every new connection),
 * LOAD DATA LOCAL disabled, no automatic reconnect inside libmariadb: it
 * would silently drop our prepared statements.  Instead a statement that
 * fails with a "connection lost" error closes everything and is run once
 * more on a fresh connection (db_with_retry()).  All statements are
 * idempotent (upsert, guarded update, select), so running one twice after
 * a lost reply does no harm.
 *
 * TLS.  The URL's sslMode (or Connector/J 5.1's useSSL, requireSSL and
 * verifyServerCertificate) maps to libmariadb's options in tls_options();
 * the CA is dbStorageSOPS.caCertDataSOPS, staged in a memfd.  A TLS
 * failure at connect time (a certificate that does not verify, a server
 * that offers no TLS where it is required) is BPG_ECONFIG, not BPG_EDB:
 * retrying will not mend it, and the daemons stop on it at start-up.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"

/*
 * Connection
 */

void
db_close(struct bpg_db *db)
{
	size_t i;

	for (i = 0; i < ST__MAX; i++) {
		if (db->stmt[i] != NULL)
			mysql_stmt_close(db->stmt[i]);
		db->stmt[i] = NULL;
	}
	if (db->my != NULL)
		mysql_close(db->my);
	db->my = NULL;
}

/*
 * Close a connection this process inherited (misuse: handles must not
 * cross fork()).  COM_STMT_CLOSE and COM_QUIT on the shared socket would
 * end the other process's session, so our descriptor is first pointed at
 * /dev/null; the socket itself stays open in the other process.
 */
static void
db_detach(struct bpg_db *db)
{
	int fd = (int)mysql_get_socket(db->my), nul;

	if (fd < 0) {
		db_close(db);
		return;
	}
	if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		/* XXX: without /dev/null the handle is abandoned (leaked). */
		db->my = NULL;
		memset(db->stmt, 0, sizeof(db->stmt));
		return;
	}
	if (dup2(nul, fd) < 0) {
		close(nul);
		db->my = NULL; /* XXX: as above */
		memset(db->stmt, 0, sizeof(db->stmt));
		return;
	}
	close(nul);
	db_close(db);
}

/* JDBC milliseconds to whole seconds, rounded up; dflt if not given. */
static unsigned int
timeout_s(long ms, unsigned int dflt)
{
	if (ms < 0)
		return dflt;
	return (unsigned int)((ms + 999) / 1000);
}

/* sslMode names for messages. */
static const char *const ssl_mode_name[] = {
    [BPG_DB_SSL_NONE] = "(none)",
    [BPG_DB_SSL_DISABLED] = "DISABLED",
    [BPG_DB_SSL_PREFERRED] = "PREFERRED",
    [BPG_DB_SSL_REQUIRED] = "REQUIRED",
    [BPG_DB_SSL_VERIFY_CA] = "VERIFY_CA",
    [BPG_DB_SSL_VERIFY_IDENTITY] = "VERIFY_IDENTITY",
};

/*
 * sslMode on libmariadb (Connector/C 3.3): MYSQL_OPT_SSL_ENFORCE asks for
 * TLS but, without certificate verification, quietly goes on in cleartext
 * with a server that offers none (even with a CA file), so db_open()
 * checks the cipher of REQUIRED and VERIFY_* connections itself.  A CA file makes the library
 * check the chain (VERIFY_CA); MYSQL_OPT_SSL_VERIFY_SERVER_CERT adds the
 * host name (VERIFY_IDENTITY) and, without a CA file, uses the system's
 * store.  Verification is set explicitly either way, since Connector/C
 * 3.4 turns it on by default.
 */
static int
tls_options(const struct bpg_db *db, MYSQL *my)
{
	enum bpg_db_ssl mode = db->url.ssl_mode;
	my_bool on = 1, verify = mode == BPG_DB_SSL_VERIFY_IDENTITY;
	int bad = 0;

	if (mode == BPG_DB_SSL_NONE || mode == BPG_DB_SSL_DISABLED)
		return 0;
	bad |= mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &on);
	bad |= mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	if (db->ca_path[0] != '\0')
		bad |= mysql_options(my, MYSQL_OPT_SSL_CA, db->ca_path);
	return bad;
}

/* A handle with our options set, or NULL (out of memory). */
static MYSQL *
db_handle(const struct bpg_db *db)
{
	unsigned int proto = MYSQL_PROTOCOL_TCP, no = 0, t;
	char init[96];
	MYSQL *my;
	int bad = 0;

	if ((my = mysql_init(NULL)) == NULL)
		return NULL;
	/* One SET: Connector/C keeps a single init command per handle. */
	if (db->idle_timeout_s > 0)
		snprintf(init, sizeof(init), "SET time_zone = '+00:00', "
		    "SESSION wait_timeout = %u", db->idle_timeout_s);
	else
		snprintf(init, sizeof(init), "SET time_zone = '+00:00'");
	bad |= mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	bad |= mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	bad |= mysql_options(my, MYSQL_INIT_COMMAND, init);
	bad |= mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &no);
	t = timeout_s(
	    db->url.connect_timeout_ms, BPG_DB_DEFAULT_CONNECT_TIMEOUT);
	if (t > 0)
		bad |= mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	t = timeout_s(db->url.socket_timeout_ms, BPG_DB_DEFAULT_SOCKET_TIMEOUT);
	if (t > 0) {
		bad |= mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
		bad |= mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	}
	bad |= tls_options(db, my);
	if (bad) {
		mysql_close(my);
		return NULL;
	}
	return my;
}

/* What a failed TLS connection was checked against, for its message. */
static const char *
tls_what(const struct bpg_db *db)
{
	bool ca = db->ca_path[0] != '\0';

	if (db->url.ssl_mode == BPG_DB_SSL_VERIFY_IDENTITY)
		return ca ? "the server's certificate and host name are checked "
			    "against dbStorageSOPS.caCertDataSOPS"
			  : "the server's certificate and host name are checked "
			    "against the system's CA store";
	return ca ? "the server's certificate is checked against "
		    "dbStorageSOPS.caCertDataSOPS"
		  : "the server's certificate is not checked";
}

/*
 * This process's pid, kept: every statement checks that the handle is
 * its own (a handle used across fork() would interleave two sessions on
 * one socket), and getpid() is a system call each time.
 */
static pid_t self_pid;

static void
self_pid_reset(void)
{
	self_pid = getpid();
}

static void
self_pid_init(void)
{
	self_pid = getpid();
	(void)pthread_atfork(NULL, NULL, self_pid_reset);
}

static pid_t
self(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (pthread_once(&once, self_pid_init) != 0 || self_pid == 0)
		return getpid();
	return self_pid;
}

static enum bpg_err
db_open(struct bpg_db *db, struct bpg_errinfo *ei)
{
	const char *dbname =
	    db->url.database[0] != '\0' ? db->url.database : NULL;
	const struct bpg_db_addr *a;
	MYSQL *my;
	unsigned int code;
	size_t tried = 0;
	bool v6;
	enum bpg_err e;

	for (;;) {
		a = &db->url.hosts[db->host % db->url.nhosts];
		v6 = strchr(a->host, ':') != NULL;
		if ((my = db_handle(db)) == NULL)
			return bpg_errf(
			    ei, BPG_ENOMEM, "database: out of memory");
		if (mysql_real_connect(my, a->host, db->user, db->password,
			dbname, a->port, NULL, 0) != NULL)
			break;
		code = mysql_errno(my);
		/*
		 * The URL's database is only the session default: every
		 * statement names dbName.  If it does not exist yet (a new
		 * server, before the migration creates it), go without.
		 */
		if (code == ER_BAD_DB_ERROR && dbname != NULL) {
			mysql_close(my);
			dbname = NULL;
			continue;
		}
		/*
		 * A failed handshake or certificate check will not mend by
		 * itself: a configuration error, so start-up stops on it.
		 */
		e = code == CR_SSL_CONNECTION_ERROR ? BPG_ECONFIG : BPG_EDB;
		/* Failover: the next host of the URL, each once. */
		if (e == BPG_EDB && ++tried < db->url.nhosts) {
			mysql_close(my);
			db->host = (db->host + 1) % db->url.nhosts;
			continue;
		}
		if (e == BPG_ECONFIG)
			bpg_errf(ei, e, "database: cannot connect to %s%s%s:%u "
			    "over TLS: %s (error %u); sslMode %s: %s",
			    v6 ? "[" : "", a->host, v6 ? "]" : "",
			    a->port, mysql_error(my), code,
			    ssl_mode_name[db->url.ssl_mode], tls_what(db));
		else
			bpg_errf(ei, e, "database: cannot connect to %s%s%s:%u"
			    "%s: %s (error %u)",
			    v6 ? "[" : "", a->host, v6 ? "]" : "", a->port,
			    db->url.nhosts > 1 ? " nor to the URL's other "
			    "hosts" : "", mysql_error(my), code);
		db_scrub(ei);
		mysql_close(my);
		return e;
	}
	/* See tls_options(): ENFORCE alone may have fallen back. */
	if (db->url.ssl_mode >= BPG_DB_SSL_REQUIRED &&
	    mysql_get_ssl_cipher(my) == NULL) {
		bpg_errf(ei, BPG_ECONFIG,
		    "database: %s%s%s:%u offers no TLS, but sslMode %s "
		    "requires it",
		    v6 ? "[" : "", a->host, v6 ? "]" : "", a->port,
		    ssl_mode_name[db->url.ssl_mode]);
		mysql_close(my);
		return BPG_ECONFIG;
	}
	db->my = my;
	db->pid = self();
	return BPG_OK;
}

void
db_next_host(struct bpg_db *db)
{
	if (db->url.nhosts > 1)
		db->host = (db->host + 1) % db->url.nhosts;
}

enum bpg_err
bpg_db_connect(struct bpg_db *db, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	/*
	 * A connection shared with a parent process would interleave two
	 * conversations on one socket.  Not even closed here: COM_QUIT would
	 * end the parent's session too.
	 */
	if (db->my != NULL && db->pid != self())
		return bpg_errf(ei, BPG_EINVAL,
		    "database: handle opened by process %ld used in %ld",
		    (long)db->pid, (long)self());
	if (db->my == NULL && (e = db_open(db, ei)) != BPG_OK)
		return e;
	if (!db->migrated) {
		db->lost = false;
		if ((e = db_migrate(db, ei)) != BPG_OK) {
			if (db->lost)
				db_close(db);
			return e;
		}
		db->migrated = true;
	}
	return BPG_OK;
}



/*
 * Handle
 */

static char *
dup_nonempty(const char *s, bool *oom)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return d;
}

/* The TLS settings of url and conf can be honoured (bpg_db_check_conf()). */
static enum bpg_err
tls_check(const struct bpg_db_url *url, const struct bpg_dbconf *conf,
    struct bpg_errinfo *ei)
{
	bool ca = conf->ca_cert != NULL && conf->ca_cert_len > 0;
	const char *lib = NULL;

	if (url->ssl_mode == BPG_DB_SSL_NONE ||
	    url->ssl_mode == BPG_DB_SSL_DISABLED) {
		if (ca)
			return bpg_errf(ei, BPG_ECONFIG,
			    "dbStorageSOPS.caCertDataSOPS is set, but the "
			    "connection string asks for no TLS (add "
			    "sslMode=VERIFY_IDENTITY or VERIFY_CA)");
		return BPG_OK;
	}
	if (mariadb_get_infov(NULL, MARIADB_TLS_LIBRARY, &lib) != 0 ||
	    lib == NULL || strcasecmp(lib, "off") == 0)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.connectionString: sslMode %s, but the "
		    "MariaDB client library was built without TLS",
		    ssl_mode_name[url->ssl_mode]);
	if (url->ssl_mode == BPG_DB_SSL_VERIFY_CA && !ca)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.connectionString: sslMode VERIFY_CA "
		    "needs dbStorageSOPS.caCertDataSOPS, the CA to check the "
		    "server against (VERIFY_IDENTITY without it uses the "
		    "system's CA store)");
	return BPG_OK;
}

/*
 * The checks of conf that bpg_db_check_conf() and bpg_db_new() share:
 * dbName (the default if unset) into *name, and the connection string, if
 * one is set (*enabled), parsed into *url with its TLS settings checked.
 */
static enum bpg_err
conf_check(const struct bpg_dbconf *conf, const char **name,
    struct bpg_db_url *url, bool *enabled, struct bpg_errinfo *ei)
{
	struct bpg_errinfo sub;
	enum bpg_err e;

	*name = conf->db_name != NULL && conf->db_name[0] != '\0'
	    ? conf->db_name
	    : BPG_DB_DEFAULT_NAME;
	if ((e = bpg_db_check_name(*name, &sub)) != BPG_OK)
		return bpg_errf(ei, e, "dbStorageSOPS.dbName: %s", sub.msg);
	*enabled = conf->connection_string != NULL &&
	    conf->connection_string[0] != '\0';
	if (!*enabled)
		return BPG_OK;
	if (bpg_db_parse_url(conf->connection_string,
	    strlen(conf->connection_string), url, &sub) != BPG_OK)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.connectionString: %s", sub.msg);
	return tls_check(url, conf, ei);
}

enum bpg_err
bpg_db_check_conf(const struct bpg_dbconf *conf, struct bpg_errinfo *ei)
{
	struct bpg_db_url url;
	const char *name;
	bool enabled;

	if (conf == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no configuration");
	return conf_check(conf, &name, &url, &enabled, ei);
}

/*
 * caCertDataSOPS for libmariadb, which reads a CA only from a file: an
 * anonymous memory file (memfd) named by /proc/self/fd/N, so nothing is
 * left on disk and a crash leaves nothing behind.  A CA is no secret, but
 * neither is it logged.
 */
static enum bpg_err
stage_ca(struct bpg_db *db, const char *pem, size_t len,
    struct bpg_errinfo *ei)
{
	size_t off = 0;
	ssize_t n;
	int fd, chk;

	if ((fd = memfd_create("bpg-db-ca", MFD_CLOEXEC)) < 0)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.caCertDataSOPS: cannot make a memory file "
		    "for the CA: %s", strerror(errno));
	while (off < len) {
		n = write(fd, pem + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return bpg_errf(ei, BPG_ECONFIG,
			    "dbStorageSOPS.caCertDataSOPS: cannot write the "
			    "CA to a memory file");
		}
		off += (size_t)n;
	}
	snprintf(db->ca_path, sizeof(db->ca_path), "/proc/self/fd/%d", fd);
	/* The TLS library opens the path: /proc must be there. */
	if ((chk = open(db->ca_path, O_RDONLY | O_CLOEXEC)) < 0) {
		close(fd);
		db->ca_path[0] = '\0';
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.caCertDataSOPS: the CA's memory file "
		    "cannot be opened by name (is /proc mounted?)");
	}
	close(chk);
	db->ca_fd = fd;
	return BPG_OK;
}

enum bpg_err
bpg_db_new(
    const struct bpg_dbconf *conf, struct bpg_db **out, struct bpg_errinfo *ei)
{
	struct bpg_db *db;
	struct bpg_db_url url;
	const char *name;
	enum bpg_err e;
	bool oom = false, enabled;
	size_t i;

	if (conf == NULL || out == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no configuration");
	if ((e = conf_check(conf, &name, &url, &enabled, ei)) != BPG_OK)
		return e;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	db->ca_fd = -1;
	memcpy(db->name, name, strlen(name) + 1);

	if (enabled) {
		db->url = url;
		if (db->url.ssl_mode > BPG_DB_SSL_DISABLED &&
		    conf->ca_cert != NULL && conf->ca_cert_len > 0 &&
		    (e = stage_ca(db, conf->ca_cert, conf->ca_cert_len, ei)) !=
		    BPG_OK) {
			bpg_db_free(db);
			return e;
		}
		db->enabled = true;
	}
	db->user = dup_nonempty(conf->user, &oom);
	db->password = dup_nonempty(conf->password, &oom);
	db_submissions_sql(db);
	db_history_sql(db);
	db_monitor_sql(db);
	db_notify_sql(db);
	db_monbatch_sql(db);
	db_logindex_sql(db);
	db_idem_sql(db);
	db_attempts_sql(db);
	db_schedules_sql(db);
	db_deps_sql(db);
	db_retry_sql(db);
	db_livy_sql(db);
	db_report_sql(db);
	db_lease_sql(db);
	for (i = 0; i < ST__MAX; i++)
		if (db->sql[i] == NULL)
			oom = true;
	if (oom) {
		bpg_db_free(db);
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	}
	*out = db;
	return BPG_OK;
}

bool
bpg_db_enabled(const struct bpg_db *db)
{
	return db != NULL && db->enabled;
}

unsigned long
bpg_db_connection_id(const struct bpg_db *db)
{
	if (db == NULL || db->my == NULL)
		return 0;
	/* mysql_thread_id() takes a non-const handle but only reads it. */
	return mysql_thread_id((MYSQL *)(uintptr_t)db->my);
}

const char *
bpg_db_tls_cipher(const struct bpg_db *db)
{
	if (db == NULL || db->my == NULL)
		return NULL;
	/* Takes a non-const handle but only reads it. */
	return mysql_get_ssl_cipher((MYSQL *)(uintptr_t)db->my);
}

enum bpg_err
bpg_db_set_idle_timeout(
    struct bpg_db *db, unsigned int seconds, struct bpg_errinfo *ei)
{
	if (db == NULL || seconds > BPG_DB_MAX_IDLE_TIMEOUT)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: idle timeout must be 0 to %u seconds",
		    BPG_DB_MAX_IDLE_TIMEOUT);
	db->idle_timeout_s = seconds;
	return BPG_OK;
}

/*
 * Column col of the first row of the constant query q, run on this
 * handle's own session (connecting if needed), into out[0..outlen): ""
 * for no row or NULL.  For diagnostics and tests.
 */
static enum bpg_err
session_value(struct bpg_db *db, const char *q, unsigned int col, char *out,
    size_t outlen, struct bpg_errinfo *ei)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	enum bpg_err e;

	if (db == NULL || out == NULL || outlen == 0 || !db->enabled)
		return bpg_errf(ei, BPG_EINVAL, "database: no connection");
	out[0] = '\0';
	if ((e = bpg_db_connect(db, ei)) != BPG_OK)
		return e;
	if (mysql_real_query(db->my, q, strlen(q)) != 0 ||
	    (res = mysql_store_result(db->my)) == NULL) {
		bpg_errf(ei, BPG_EDB, "database: %s: %s (error %u)", q,
		    mysql_error(db->my), mysql_errno(db->my));
		db_scrub(ei);
		return BPG_EDB;
	}
	row = mysql_fetch_row(res);
	if (row != NULL && col < mysql_num_fields(res) && row[col] != NULL)
		snprintf(out, outlen, "%s", row[col]);
	mysql_free_result(res);
	return BPG_OK;
}

enum bpg_err
bpg_db_session_idle_timeout(
    struct bpg_db *db, unsigned long *seconds, struct bpg_errinfo *ei)
{
	char v[32];
	enum bpg_err e;

	if (seconds == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no result");
	*seconds = 0;
	e = session_value(db, "SELECT @@session.wait_timeout", 0, v,
	    sizeof(v), ei);
	if (e == BPG_OK)
		*seconds = strtoul(v, NULL, 10);
	return e;
}

enum bpg_err
bpg_db_session_tls_cipher(
    struct bpg_db *db, char *cipher, size_t len, struct bpg_errinfo *ei)
{
	return session_value(db, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", 1,
	    cipher, len, ei);
}

void
bpg_db_free(struct bpg_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	if (db->my != NULL && db->pid != self())
		db_detach(db);
	else
		db_close(db);
	/* An inherited descriptor is this process's copy: close it too. */
	if (db->ca_fd >= 0)
		close(db->ca_fd);
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->user);
	for (i = 0; i < ST__MAX; i++)
		free(db->sql[i]);
	free(db);
}
