/*
 * kubesim: a Kubernetes API stand-in for the gateway's tests.
 *
 * One process serves several simulated clusters, each on its own HTTPS
 * port on 127.0.0.1, with the Kubernetes API paths the gateway uses
 * (SparkApplications of sparkoperator.k8s.io/v1beta2, pods and their logs,
 * events, secrets), a simulated spark-operator, and a plain-HTTP control
 * API for tests.
 *
 * usage: kubesim --crd PATH --cert PEM --key PEM
 *            (--token TOKEN | --token-file PATH)
 *            --control 127.0.0.1:PORT
 *            --cluster NAME=PORT[,NAME=PORT...] [--cluster ...]
 *            [--namespace NS] [--tick-ms MS] [--ttl-scale F]
 *            [--bookmark-ms MS] [--history N] [--seed N]
 *            [--pidfile PATH] [--ports-file PATH] [--quiet]
 *        kubesim --crd PATH --validate FILE [--no-prune]
 *
 *   --crd         the SparkApplication CRD (YAML or JSON); its
 *                 spec.versions[0].schema.openAPIV3Schema validates and
 *                 prunes created objects
 *   --cert/--key  PEM server certificate (chain) and key for every port
 *   --token       the bearer token every cluster accepts; --token-file
 *                 reads it from a file (first line), keeping it out of ps
 *   --control     the control API's loopback address and port (0: any)
 *   --cluster     NAME=PORT pairs (names up to 63 characters, PORT 0 picks
 *                 a free port, which is reported on stderr)
 *   --namespace   the namespace the gateway is configured with (reported
 *                 by GET /clusters; every namespace is served)
 *   --tick-ms     operator step interval, default 300
 *   --ttl-scale   factor on spec.timeToLiveSeconds, default 1.0
 *   --bookmark-ms interval of watch BOOKMARK events, default 5000
 *   --history     watch events kept per cluster, default 1000
 *   --seed        seed of the fault RNG (rates), default 1
 *   --pidfile     written once ready, removed on exit
 *   --ports-file  written once ready: {"control":PORT,"clusters":
 *                 {"NAME":PORT,...}}, so that tests can ask for port 0
 *   --quiet       no request log
 *   --validate    no server: prune FILE (a JSON object) and validate it
 *                 against the CRD as the API server would, print
 *                 {"object","unknownFields","causes"} and exit 0 if valid,
 *                 1 if not (2 on errors); --no-prune skips pruning
 *
 * Once every port listens, "kubesim ready" is printed on stdout.  Requests
 * are logged to stderr (method, path, query, status; never headers, so
 * never the token).  SIGTERM or SIGINT ends streams and exits with 0.
 *
 * Control API (HTTP, no authentication, JSON in and out):
 *   GET    /healthz                      "ok"
 *   GET    /clusters                     [{"name","port","namespace"}]
 *   GET    /config                       {"tickMs","ttlScale","bookmarkMs",
 *                                          "quiet","historySize"}
 *   POST   /config                       {"tickMs":N,"ttlScale":F,
 *                                          "bookmarkMs":N,"quiet":B}
 *   POST   /reset                        every cluster back to empty
 *   GET    /clusters/C[/stats]           {"connections" (TLS connections
 *            accepted so far),"activeConnections","requests","methods":
 *            {"GET":N..},"codes":{"200":N..},"faultsInjected":{"latency",
 *            "error","drop","throttle","down"},"watches","activeWatches",
 *            "logFollows","resourceVersion","pendingCommits","held"}
 *   DELETE /clusters/C/stats             zero the counters
 *   GET    /clusters/C/faults            {"faults":[...]}
 *   POST   /clusters/C/faults            one fault, an array, or
 *            {"faults":[...]}; a fault is
 *            {"type":"latency","ms":N} | {"type":"error","code":5xx} |
 *            {"type":"drop"} | {"type":"throttle","retryAfter":S} |
 *            {"type":"down"} | {"type":"up"} (ends "down"; while down,
 *            running watch streams break too) |
 *            {"type":"garbage"} (200 with a truncated JSON body) |
 *            {"type":"watchcut"} (a running or future watch stream sends
 *            half of its next event, then the connection breaks) |
 *            {"type":"watchgarbage"} (a watch stream sends a line that is
 *            not JSON before its next event; both count streams) |
 *            {"type":"lateanswer","ms":N} (the request is carried out at
 *            once, a create stores its object, and the answer leaves N ms
 *            later: after a client's timeout) |
 *            {"type":"latecommit","ms":N,"code":C} (a create is checked,
 *            answered at once with C, default 504 as kube-apiserver's
 *            timeout filter answers while the request goes on, and its
 *            object stored N ms later, 1 <= N <= 60000: kube-apiserver's
 *            default --request-timeout bounds how long a request runs; a
 *            GET or DELETE before then sees 404, and if the name is taken
 *            by then the late commit is lost, as the losing create of two
 *            gets AlreadyExists; GET .../stats "pendingCommits" counts
 *            those not stored yet) |
 *            {"type":"expire"} (the next list with a continue token finds
 *            its resourceVersion compacted: 410 Expired, as after etcd
 *            compaction) |
 *            {"type":"hold"} (a request, once its body has arrived, waits
 *            unanswered until the fault is removed: {"type":"release"},
 *            DELETE or a reset; then it is carried out as usual even if
 *            its client has gone, as a write given to a stalled API
 *            server lands after the client gave up; GET .../stats
 *            "held" counts the requests waiting; unlimited by default)
 *            with optional "method":"POST", "path":"/api/v1/" (prefix),
 *            "count":N (requests it applies to; default 1 for error, drop
 *            and throttle, unlimited for latency and down, -1 unlimited),
 *            "rate":F (probability per request, 0..1; without count it
 *            is unlimited), "message":"..." (error text), "commit":true
 *            (error: the request is carried out first, a create stores
 *            its object, then the error answers in place of the API's
 *            answer), "close":true (error: the connection's next request,
 *            if it comes within 1 s, is read and the connection closed
 *            unanswered, as when a server closes a keep-alive connection
 *            as the client reuses it), "seed":N
 *            (reseed the cluster's RNG).  Short forms: {"reset":true},
 *            {"fail_next":N,"fail_status":C}, {"drop_next":N},
 *            {"throttle_next":N}, {"latency_ms":MS} (with an optional
 *            "method").  Faults apply in order down, drop, latency,
 *            hold once the body has arrived, then (after authentication)
 *            the first of error, throttle, garbage, lateanswer and
 *            latecommit in the order they were added.  A dropped
 *            request's connection is closed with no response.
 *   DELETE /clusters/C/faults            remove all faults
 *   GET    /clusters/C/operator          {"frozen","outcome","apps",
 *                                          "submitTicks","pendingTicks",
 *                                          "runTicks","errorMessage"}
 *   POST   /clusters/C/operator          any of those: "outcome" is
 *            COMPLETED (default), FAILED, SUBMISSION_FAILED, RUNNING
 *            (never ends) or PENDING (driver never starts); "apps":
 *            {"name":OUTCOME or null} per application name; "frozen":true
 *            stops the operator (pods still terminate and are collected)
 *   POST   /clusters/C/tick              {"count":N}: N operator steps now,
 *                                          frozen or not
 *   GET    /clusters/C/history           {"size","events",
 *                                          "oldestResourceVersion",
 *                                          "resourceVersion"}
 *   POST   /clusters/C/history           {"size":N} bounds the watch
 *            history, {"compact":true} drops it: older watches get 410
 *   GET    /clusters/C/objects           {"sparkapplications":[...],
 *                                          "pods","events","secrets"}
 *   GET    /clusters/C/objects/RES[/NS[/NAME]]
 *   GET    /clusters/C/logs/NS/POD       the pod's log, text
 *   POST   /clusters/C/reset             that cluster back to empty
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubesim.h"

#define KS_MAX_PEM (1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kubesim --crd PATH --cert PEM --key PEM\n"
	    "           (--token TOKEN | --token-file PATH)\n"
	    "           --control 127.0.0.1:PORT\n"
	    "           --cluster NAME=PORT[,NAME=PORT...] [--cluster ...]\n"
	    "           [--namespace NS] [--tick-ms MS] [--ttl-scale F]\n"
	    "           [--bookmark-ms MS] [--history N] [--seed N]\n"
	    "           [--pidfile PATH] [--ports-file PATH] [--quiet]\n"
	    "       kubesim --crd PATH --validate FILE [--no-prune]\n"
	    "\n"
	    "A Kubernetes API stand-in: SparkApplications validated against\n"
	    "the CRD schema, a simulated spark-operator, pods, logs, events,\n"
	    "secrets, watches; faults and inspection through the control\n"
	    "API (see the top of tests/kubesim/main.c).  Prints \"kubesim\n"
	    "ready\" once all ports listen.\n");
}

static char *
read_small(const char *path, size_t max)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "kubesim: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	if (ferror(f) || n == max) {
		fprintf(stderr, "kubesim: %s: unreadable or too large\n",
		    path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
add_clusters(struct kubesim *ks, const char *spec)
{
	char *copy, *item, *save = NULL, *eq;
	struct ks_cluster *cl;
	long port;
	size_t i;
	int rc = -1;

	if ((copy = strdup(spec)) == NULL)
		return -1;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL || eq == item ||
		    (size_t)(eq - item) > KS_MAX_NAME ||
		    parse_long(eq + 1, 0, 65535, &port) != 0) {
			fprintf(stderr, "kubesim: --cluster %s: NAME=PORT\n",
			    item);
			goto out;
		}
		*eq = '\0';
		/* Names appear in control API paths. */
		if (strspn(item, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(item)) {
			fprintf(stderr, "kubesim: cluster name %s: letters, "
			    "digits, '.', '_' and '-' only\n", item);
			goto out;
		}
		for (i = 0; i < ks->nclusters; i++)
			if (strcmp(ks->clusters[i].name, item) == 0) {
				fprintf(stderr, "kubesim: cluster %s given "
				    "twice\n", item);
				goto out;
			}
		if (ks->nclusters == KS_MAX_CLUSTERS) {
			fprintf(stderr, "kubesim: at most %d clusters\n",
			    KS_MAX_CLUSTERS);
			goto out;
		}
		cl = &ks->clusters[ks->nclusters++];
		snprintf(cl->name, sizeof(cl->name), "%s", item);
		cl->port = (unsigned)port;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* --validate: the schema module on one file, for tests of the schema. */
static int
validate_file(const char *crd, const char *path, int prune)
{
	struct schema *s;
	json_error_t je;
	json_t *obj, *unknown = NULL, *causes = NULL, *out;
	char err[512];
	int rc = 2;

	if ((s = schema_load(crd, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kubesim: %s\n", err);
		return 2;
	}
	if (schema_skipped_patterns(s) > 0)
		fprintf(stderr, "kubesim: %zu schema patterns cannot be "
		    "checked\n", schema_skipped_patterns(s));
	if ((obj = json_load_file(path, 0, &je)) == NULL) {
		fprintf(stderr, "kubesim: %s:%d: %s\n", path, je.line,
		    je.text);
		goto out;
	}
	if (prune && schema_prune(s, obj, &unknown) != BPG_OK)
		goto out;
	switch (schema_validate(s, obj, 0, &causes)) {
	case BPG_OK:
		rc = 0;
		break;
	case BPG_EINVAL:
		rc = 1;
		break;
	default:
		goto out;
	}
	out = json_pack("{s:O, s:o, s:o}", "object", obj, "unknownFields",
	    unknown ? json_incref(unknown) : json_array(), "causes",
	    causes ? json_incref(causes) : json_array());
	if (out == NULL || json_dumpf(out, stdout, JSON_INDENT(2)) != 0)
		rc = 2;
	printf("\n");
	json_decref(out);
out:
	json_decref(causes);
	json_decref(unknown);
	json_decref(obj);
	schema_free(s);
	return rc;
}

/* Written to a temporary name and renamed: readers never see half. */
static int
write_ports(const struct kubesim *ks, const char *path, unsigned ctl)
{
	json_t *j, *cl;
	char *tmp = NULL;
	size_t i;
	int rc = -1;

	if ((cl = json_object()) == NULL)
		return -1;
	for (i = 0; i < ks->nclusters; i++)
		json_object_set_new(cl, ks->clusters[i].name,
		    json_integer(ks->clusters[i].port));
	j = json_pack("{s:i, s:o}", "control", (int)ctl, "clusters", cl);
	if (j != NULL && asprintf(&tmp, "%s.tmp", path) >= 0 &&
	    json_dump_file(j, tmp, JSON_COMPACT) == 0 &&
	    rename(tmp, path) == 0)
		rc = 0;
	else
		fprintf(stderr, "kubesim: %s: cannot write\n", path);
	free(tmp);
	json_decref(j);
	return rc;
}

enum {
	OPT_CRD = 256, OPT_CERT, OPT_KEY, OPT_TOKEN, OPT_TOKEN_FILE,
	OPT_CONTROL, OPT_CLUSTER, OPT_NAMESPACE, OPT_TICK, OPT_TTL,
	OPT_BOOKMARK, OPT_HISTORY, OPT_SEED, OPT_PIDFILE, OPT_PORTS, OPT_QUIET,
	OPT_VALIDATE, OPT_NO_PRUNE, OPT_HELP
};

static const struct option longopts[] = {
	{ "crd", required_argument, NULL, OPT_CRD },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "tick-ms", required_argument, NULL, OPT_TICK },
	{ "ttl-scale", required_argument, NULL, OPT_TTL },
	{ "bookmark-ms", required_argument, NULL, OPT_BOOKMARK },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "ports-file", required_argument, NULL, OPT_PORTS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "validate", required_argument, NULL, OPT_VALIDATE },
	{ "no-prune", no_argument, NULL, OPT_NO_PRUNE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	static struct kubesim ks;
	const char *crd = NULL, *certp = NULL, *keyp = NULL, *control = NULL;
	const char *pidfile = NULL, *tokfile = NULL, *portsfile = NULL;
	const char *validate = NULL;
	int prune = 1;
	char *cert = NULL, *key = NULL, *token = NULL, *colon, *end;
	char ctladdr[64], err[512];
	void *ctl = NULL;
	pthread_condattr_t ca;
	pthread_t ticker;
	sigset_t sigs;
	long v, ctlport = 0;
	unsigned ctlp;
	size_t i, started = 0;
	int ch, sig, rc = 1, have_ticker = 0;
	FILE *pf;

	ks.tick_ms = 300;
	ks.ttl_scale = 1.0;
	ks.bookmark_ms = 5000;
	ks.hist_default = KS_DEFAULT_HISTORY;
	ks.seed = 1;
	snprintf(ks.default_ns, sizeof(ks.default_ns), "spark-applications");
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CRD:
			crd = optarg;
			break;
		case OPT_CERT:
			certp = optarg;
			break;
		case OPT_KEY:
			keyp = optarg;
			break;
		case OPT_TOKEN:
			free(token);
			token = strdup(optarg);
			break;
		case OPT_TOKEN_FILE:
			tokfile = optarg;
			break;
		case OPT_CONTROL:
			control = optarg;
			break;
		case OPT_CLUSTER:
			if (add_clusters(&ks, optarg) != 0)
				return 2;
			break;
		case OPT_NAMESPACE:
			snprintf(ks.default_ns, sizeof(ks.default_ns), "%s",
			    optarg);
			break;
		case OPT_TICK:
			if (parse_long(optarg, 10, 3600000, &v) != 0)
				goto bad;
			ks.tick_ms = v;
			break;
		case OPT_TTL:
			ks.ttl_scale = strtod(optarg, &end);
			if (*end != '\0' || ks.ttl_scale < 0)
				goto bad;
			break;
		case OPT_BOOKMARK:
			if (parse_long(optarg, 10, 3600000, &v) != 0)
				goto bad;
			ks.bookmark_ms = v;
			break;
		case OPT_HISTORY:
			if (parse_long(optarg, 0, KS_MAX_HISTORY, &v) != 0)
				goto bad;
			ks.hist_default = (size_t)v;
			break;
		case OPT_SEED:
			if (parse_long(optarg, 0, LONG_MAX, &v) != 0)
				goto bad;
			ks.seed = (uint64_t)v;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_PORTS:
			portsfile = optarg;
			break;
		case OPT_QUIET:
			ks.quiet = 1;
			break;
		case OPT_VALIDATE:
			validate = optarg;
			break;
		case OPT_NO_PRUNE:
			prune = 0;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (validate != NULL) {
		free(token);
		if (crd == NULL || optind != argc) {
			usage(stderr);
			return 2;
		}
		return validate_file(crd, validate, prune);
	}
	if (tokfile != NULL) {
		free(token);
		if ((token = read_small(tokfile, 64 * 1024)) == NULL)
			return 2;
		token[strcspn(token, "\r\n")] = '\0';
	}
	if (crd == NULL || certp == NULL || keyp == NULL || control == NULL ||
	    token == NULL || *token == '\0' || ks.nclusters == 0 ||
	    optind != argc) {
		usage(stderr);
		free(token);
		return 2;
	}
	ks.token = token;
	snprintf(ctladdr, sizeof(ctladdr), "%s", control);
	if ((colon = strrchr(ctladdr, ':')) == NULL ||
	    parse_long(colon + 1, 0, 65535, &ctlport) != 0) {
		fprintf(stderr, "kubesim: --control ADDR:PORT\n");
		free(token);
		return 2;
	}
	*colon = '\0';
	if ((ks.schema = schema_load(crd, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kubesim: %s\n", err);
		free(token);
		return 2;
	}
	if (schema_skipped_patterns(ks.schema) > 0)
		fprintf(stderr, "kubesim: %zu schema patterns cannot be "
		    "checked\n", schema_skipped_patterns(ks.schema));
	if ((cert = read_small(certp, KS_MAX_PEM)) == NULL ||
	    (key = read_small(keyp, KS_MAX_PEM)) == NULL)
		goto out;

	pthread_mutex_init(&ks.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ks.cv, &ca);
	pthread_condattr_destroy(&ca);
	for (i = 0; i < ks.nclusters; i++)
		ks_cluster_init(&ks, &ks.clusters[i]);

	/* Every thread inherits this mask: only main takes the signals. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (pthread_create(&ticker, NULL, ks_ticker, &ks) != 0) {
		fprintf(stderr, "kubesim: cannot start the operator\n");
		goto stop;
	}
	have_ticker = 1;
	ctlp = (unsigned)ctlport;
	if ((ctl = ks_control_start(&ks, ctladdr, &ctlp, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "kubesim: %s\n", err);
		goto stop;
	}
	fprintf(stderr, "kubesim: control on http://%s:%u\n", ctladdr, ctlp);
	for (started = 0; started < ks.nclusters; started++) {
		if (ks_api_start(&ks.clusters[started], cert, key, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "kubesim: %s\n", err);
			goto stop;
		}
		fprintf(stderr, "kubesim: cluster %s on https://127.0.0.1:%u\n",
		    ks.clusters[started].name, ks.clusters[started].port);
	}
	if (pidfile != NULL) {
		if ((pf = fopen(pidfile, "w")) == NULL) {
			fprintf(stderr, "kubesim: %s: %s\n", pidfile,
			    strerror(errno));
			goto stop;
		}
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
	}
	if (portsfile != NULL && write_ports(&ks, portsfile, ctlp) != 0)
		goto stop;
	printf("kubesim ready\n");
	fflush(stdout);

	for (;;) {
		if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM ||
		    sig == SIGINT))
			break;
	}
	fprintf(stderr, "kubesim: signal %d, stopping\n", sig);
	rc = 0;
stop:
	pthread_mutex_lock(&ks.mu);
	ks.stopping = 1;
	pthread_cond_broadcast(&ks.cv);
	pthread_mutex_unlock(&ks.mu);
	for (i = 0; i < started; i++)
		ks_api_stop(&ks.clusters[i]);
	ks_control_stop(ctl);
	if (have_ticker)
		pthread_join(ticker, NULL);
	for (i = 0; i < ks.nclusters; i++)
		ks_cluster_free(&ks.clusters[i]);
	pthread_cond_destroy(&ks.cv);
	pthread_mutex_destroy(&ks.mu);
	if (pidfile != NULL && rc == 0)
		unlink(pidfile);
	if (portsfile != NULL && rc == 0)
		unlink(portsfile);
out:
	schema_free(ks.schema);
	free(cert);
	free(key);
	free(token);
	return rc;
bad:
	fprintf(stderr, "kubesim: bad value for an option: %s\n", optarg);
	free(token);
	return 2;
}
