/*
 * floor: the least any gateway of bpg-gateway's design does for a
 * submission, the reference that tells the gateway's own cost from its
 * architecture's.
 *
 *	spawn-fcgi -s SOCKET -n -- floor -K URL -C CAFILE -T TOKENFILE
 *	    -r CRFILE -P DBPORT -b ROWFILE -s SUMMARYFILE [-w WORKERS]
 *
 * WORKERS pre-forked processes (default 4, prefork.c) each keep one TLS
 * connection to the cluster at URL (libcurl with the options of
 * lib/bpg_kube.c: bearer token, CA, TLS 1.2+) and one MariaDB connection
 * (benchdb.c).  For every request: read the body, insert the row of
 * ROWFILE/SUMMARYFILE under a fresh name of the gateway's shape (the
 * gateway's insert), POST CRFILE with each @NAME@ replaced by that name
 * (a CR the gateway built) and answer {"submissionId":NAME}.  No parsing,
 * no validation, no routing, no logging: what is left is the I/O the
 * design cannot avoid.
 *
 * Benchmark tool only; never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "benchdb.h"
#include "prefork.h"

#define MAX_PARTS 16
#define MAX_NAME 64
#define MAX_BODY (1024 * 1024)	/* as the gateway's */

static struct benchdb dbc = { "127.0.0.1", "bpg", "bpg-test-pw", "bpg", 0 };
static const char *url, *cafile;
static char token[BENCHDB_MAX_TEXT + 1];
static char row[BENCHDB_MAX_TEXT + 1], summary[BENCHDB_MAX_TEXT + 1];
static char crtext[BENCHDB_MAX_TEXT + 1];
static const char *part[MAX_PARTS];	/* crtext split at each @NAME@ */
static size_t partlen[MAX_PARTS], nparts;
static unsigned long start;

/* One worker's connections and buffers. */
static CURL *curl;
static struct curl_slist *headers;
static MYSQL_STMT *insert;
static char cr[sizeof(crtext) + MAX_PARTS * MAX_NAME];
static char rbuf[64 * 1024];

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;	/* a 2xx body is not read by the gateway either */
}

static int
init(void)
{
	char auth[sizeof(token) + 32];	/* "Authorization: Bearer " */
	struct curl_slist *h = NULL;
	MYSQL *my;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if ((curl = curl_easy_init()) == NULL ||
	    (h = curl_slist_append(h, auth)) == NULL ||
	    (h = curl_slist_append(h, "Accept: application/json")) == NULL ||
	    (h = curl_slist_append(h, "Content-Type: application/json")) ==
	    NULL || (h = curl_slist_append(h, "Expect:")) == NULL)
		return 1;
	headers = h;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bpg");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_CAINFO, cafile);
	if ((my = benchdb_connect(&dbc, "floor")) == NULL)
		return 1;
	if ((insert = benchdb_prepare_insert(my, &dbc, "floor")) == NULL)
		return 1;
	return 0;
}

static void
answer(FCGX_Request *r, const char *status, const char *key,
    const char *value)
{
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "{\"%s\":\"%s\"}", key, value);
	FCGX_FPrintF(r->out, "Status: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\nCache-Control: no-store\r\n\r\n%s", status,
	    n, body);
}

/* xorshift64*: random enough for names, seeded apart per worker. */
static unsigned long long
rnd(void)
{
	static unsigned long long x;

	if (x == 0)
		x = ((unsigned long long)start << 20) ^
		    ((unsigned long long)getpid() << 1) ^ 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dULL;
}

static void
serve(FCGX_Request *r)
{
	char name[MAX_NAME];
	size_t i, len, nl;
	long code = 0;
	CURLcode rc;

	/* The body, as the gateway reads it (1 MiB at most). */
	for (len = 0; len < MAX_BODY; len += (size_t)nl)
		if ((nl = (size_t)FCGX_GetStr(rbuf, sizeof(rbuf), r->in)) == 0)
			break;
	/*
	 * A name of the gateway's shape: a cluster ID of the bench's length
	 * and 32 random hex digits (BPG's "<clusterId>-<uuid>").  Short
	 * names in sequence, as floor once made, are appended at the end of
	 * MariaDB's primary key and the stand-in's index: cheaper than any
	 * gateway whose IDs are random and unique across instances can be.
	 */
	snprintf(name, sizeof(name), "floor-cluster-x-%016llx%016llx",
	    rnd(), rnd());
	for (i = len = 0; i < nparts; i++) {
		if (i > 0) {
			nl = strlen(name);
			memcpy(cr + len, name, nl);
			len += nl;
		}
		memcpy(cr + len, part[i], partlen[i]);
		len += partlen[i];
	}
	if (benchdb_insert(insert, name, row, summary) != 0) {
		answer(r, "500 Internal Server Error", "error",
		    "insert failed");
		return;
	}
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, cr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code < 200 || code >= 300) {
		answer(r, "502 Bad Gateway", "error", "create failed");
		return;
	}
	answer(r, "200 OK", "submissionId", name);
}

/* Split crtext at each @NAME@; the parts stay in crtext. */
static void
split_cr(void)
{
	char *p = crtext, *q;

	nparts = 0;
	while ((q = strstr(p, "@NAME@")) != NULL && nparts < MAX_PARTS - 1) {
		part[nparts] = p;
		partlen[nparts++] = (size_t)(q - p);
		p = q + 6;
	}
	part[nparts] = p;
	partlen[nparts++] = strlen(p);
	if (nparts < 2) {
		fprintf(stderr, "floor: the CR has no @NAME@\n");
		exit(2);
	}
}

int
main(int argc, char *argv[])
{
	const char *crfile = NULL;
	long n = 4;
	int ch;

	while ((ch = getopt(argc, argv, "w:K:C:T:r:P:b:s:")) != -1) {
		switch (ch) {
		case 'w':
			if ((n = prefork_workers("floor", optarg)) < 0)
				return 2;
			break;
		case 'K': url = optarg; break;
		case 'C': cafile = optarg; break;
		case 'T': benchdb_read_text("floor", optarg, token); break;
		case 'r': crfile = optarg; break;
		case 'P': dbc.port = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'b': benchdb_read_text("floor", optarg, row); break;
		case 's': benchdb_read_text("floor", optarg, summary); break;
		default:
			goto usage;
		}
	}
	if (url == NULL || cafile == NULL || token[0] == '\0' ||
	    crfile == NULL || dbc.port == 0 || row[0] == '\0' ||
	    summary[0] == '\0')
		goto usage;
	benchdb_read_text("floor", crfile, crtext);
	split_cr();
	start = (unsigned long)time(NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    mysql_library_init(0, NULL, NULL) != 0)
		return 1;
	return prefork_run("floor", n, init, serve);
usage:
	fprintf(stderr, "usage: floor -K URL -C CAFILE -T TOKENFILE -r CRFILE "
	    "-P DBPORT -b ROWFILE -s SUMMARYFILE [-w WORKERS]\n");
	return 2;
}
