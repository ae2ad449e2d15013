/* bpg's requests to the gateway (bpg_cli_http.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bpg_cli_http.h"
#include "bpg_cli_out.h"

/* The most of an error answer kept (its message is all that is used). */
#define ERR_BODY_MAX (64 * 1024)
/* The most of a JSON or text answer held (lists of many submissions). */
#define BODY_MAX (256 * 1024 * 1024)

struct bpg_cli_http {
	CURL *h;
	char *base;		/* the URL without a trailing '/' */
	char *user, *password;	/* NULL: netrc */
	char *netrc_file, *cacert; /* NULL: libcurl's defaults */
	FILE *err;
	bool verbose, bars;
	/* the transfer in progress */
	const struct bpg_cli_call *call;
	struct bpg_cli_resp *resp;
	bool sink_failed;
	int last_drawn;		/* percent drawn, -1 none */
};

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

struct bpg_cli_http *
bpg_cli_http_new(const struct bpg_cli_opts *o, const char *user,
    const char *password, FILE *err)
{
	struct bpg_cli_http *x;
	size_t n;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->err = err;
	x->verbose = o->verbose;
	x->bars = o->progress || isatty(fileno(err));
	if ((x->base = strdup(o->url)) == NULL || (x->h = curl_easy_init()) ==
	    NULL)
		goto fail;
	n = strlen(x->base);
	while (n > 0 && x->base[n - 1] == '/')
		x->base[--n] = '\0';
	if (user != NULL && (x->user = strdup(user)) == NULL)
		goto fail;
	if (password != NULL && (x->password = strdup(password)) == NULL)
		goto fail;
	if (o->netrc_file != NULL && (x->netrc_file = strdup(o->netrc_file))
	    == NULL)
		goto fail;
	if (o->cacert != NULL && (x->cacert = strdup(o->cacert)) == NULL)
		goto fail;
	return x;
fail:
	bpg_cli_http_free(x);
	return NULL;
}

void
bpg_cli_http_free(struct bpg_cli_http *x)
{
	if (x == NULL)
		return;
	if (x->h != NULL)
		curl_easy_cleanup(x->h);
	free(x->base);
	free(x->user);
	free(x->netrc_file);
	free(x->cacert);
	wipe_free(x->password);
	free(x);
}

bool
bpg_cli_http_bars(const struct bpg_cli_http *x)
{
	return x->bars;
}

char *
bpg_cli_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	unsigned char c;
	char *out;

	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(3 * n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

void
bpg_cli_redact_url(char *out, size_t outsz, const char *u)
{
	const char *auth = strstr(u, "://"), *at, *end;

	if (auth != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		at = memchr(auth, '@', (size_t)(end - auth));
		/* the last '@' of the authority ends the userinfo */
		while (at != NULL && memchr(at + 1, '@', (size_t)(end - at -
		    1)) != NULL)
			at = memchr(at + 1, '@', (size_t)(end - at - 1));
		if (at != NULL) {
			snprintf(out, outsz, "%.*s***%s", (int)(auth - u), u,
			    at);
			return;
		}
	}
	snprintf(out, outsz, "%s", u);
}

enum bpg_err
bpg_cli_prompt_password(const char *user, char *out, size_t outsz)
{
	struct termios old, quiet;
	bool restore = false;
	FILE *tty;
	size_t n;
	int fd;
	enum bpg_err e = BPG_OK;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return BPG_EIO;
	if ((tty = fdopen(fd, "r+")) == NULL) {
		close(fd);
		return BPG_EIO;
	}
	/* Echo off before the prompt shows: what is typed once it is there
	 * is never echoed, nor thrown away by the flush. */
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	fprintf(tty, "Password for %s: ", user);
	fflush(tty);
	if (fgets(out, (int)outsz, tty) == NULL)
		e = BPG_EIO;
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (e != BPG_OK) {
		explicit_bzero(out, outsz);
		return e;
	}
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return BPG_OK;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct bpg_cli_http *x = arg;
	size_t n = size * nmemb;
	long status = 0;

	(void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->call->sink != NULL && status >= 200 && status <= 299) {
		if (fwrite(p, 1, n, x->call->sink) != n ||
		    fflush(x->call->sink) != 0) {
			x->sink_failed = true;
			return 0;
		}
		return n;
	}
	if (bpg_buf_append(&x->resp->body, p, n, status >= 200 && status <=
	    299 ? BODY_MAX : ERR_BODY_MAX) != BPG_OK)
		return 0;
	return n;
}

/* Reads the upload from the file as libcurl asks, into its own buffer:
 * the file is never held whole. */
static size_t
on_read(char *p, size_t size, size_t nmemb, void *arg)
{
	struct bpg_cli_http *x = arg;
	size_t n = fread(p, 1, size * nmemb, x->call->upload);

	if (n == 0 && ferror(x->call->upload))
		return CURL_READFUNC_ABORT;
	return n;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct bpg_cli_http *x = arg;
	char line[256], done[32], total[32], tail[80];
	uint64_t t = x->call->upload_len;
	int pm;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (x->call->bar == NULL || !x->bars)
		return 0;
	pm = t > 0 ? (int)((double)ulnow / (double)t * 100) : 0;
	if (pm == x->last_drawn)
		return 0;
	x->last_drawn = pm;
	bpg_cli_bytes(done, sizeof(done), (uint64_t)ulnow);
	bpg_cli_bytes(total, sizeof(total), t);
	snprintf(tail, sizeof(tail), "%s / %s", done, total);
	bpg_cli_bar(line, sizeof(line), x->call->bar, (uint64_t)ulnow, t, 30,
	    tail);
	fprintf(x->err, "\r%s", line);
	fflush(x->err);
	return 0;
}

int
bpg_cli_http_call(struct bpg_cli_http *x, const struct bpg_cli_call *c,
    struct bpg_cli_resp *r)
{
	struct curl_slist *hdrs = NULL, *nh;
	char *url = NULL, ctype[160], shown[1024], msg[600];
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	int rc;
	size_t n;

	memset(r, 0, sizeof(*r));
	n = strlen(x->base) + strlen(c->path) + 1;
	if ((url = malloc(n)) == NULL) {
		fprintf(x->err, "bpg: out of memory\n");
		return BPG_CLI_EXIT_API;
	}
	snprintf(url, n, "%s%s", x->base, c->path);
	x->call = c;
	x->resp = r;
	x->sink_failed = false;
	x->last_drawn = -1;

	curl_easy_reset(x->h);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, "bpg/" BPG_VERSION);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, c->method);
	if (x->user != NULL) {
		curl_easy_setopt(x->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(x->h, CURLOPT_USERNAME, x->user);
		curl_easy_setopt(x->h, CURLOPT_PASSWORD,
		    x->password != NULL ? x->password : "");
	} else {
		curl_easy_setopt(x->h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (x->netrc_file != NULL)
			curl_easy_setopt(x->h, CURLOPT_NETRC_FILE,
			    x->netrc_file);
	}
	if (x->cacert != NULL)
		curl_easy_setopt(x->h, CURLOPT_CAINFO, x->cacert);
	if (c->ctype != NULL) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", c->ctype);
		if ((nh = curl_slist_append(hdrs, ctype)) != NULL)
			hdrs = nh;
	}
	/* No 100-continue round trip before the body. */
	if ((nh = curl_slist_append(hdrs, "Expect:")) != NULL)
		hdrs = nh;
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
	if (c->body != NULL) {
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)c->len);
	} else if (c->upload != NULL) {
		curl_easy_setopt(x->h, CURLOPT_POST, 1L);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)c->upload_len);
		curl_easy_setopt(x->h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(x->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(x->h, CURLOPT_XFERINFODATA, x);
	}
	if (c->quiet_end_s > 0) {
		curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, c->quiet_end_s);
	}
	if (x->verbose) {
		bpg_cli_redact_url(shown, sizeof(shown), url);
		fprintf(x->err, "> %s %s\n", c->method, shown);
	}

	cc = curl_easy_perform(x->h);
	(void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->status);
	if (c->bar != NULL && x->bars && x->last_drawn >= 0)
		fputc('\n', x->err);
	if (x->verbose && r->status != 0)
		fprintf(x->err, "< %ld\n", r->status);

	if (cc == CURLE_OPERATION_TIMEDOUT && c->quiet_end_s > 0 &&
	    r->status >= 200 && r->status <= 299)
		cc = CURLE_OK;	/* the stream went quiet: its end for us */
	if (cc != CURLE_OK && x->sink_failed) {
		snprintf(r->msg, sizeof(r->msg), "cannot write the output: %s",
		    strerror(errno));
		rc = BPG_CLI_EXIT_API;
	} else if (cc != CURLE_OK) {
		rc = bpg_cli_exit_curl((int)cc);
		bpg_cli_redact_url(shown, sizeof(shown), x->base);
		snprintf(r->msg, sizeof(r->msg), "%s %s: %s",
		    rc == BPG_CLI_EXIT_CONNECT ? "cannot reach" : "request to",
		    shown, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		if (rc == BPG_CLI_EXIT_OK)
			rc = BPG_CLI_EXIT_API;
	} else if ((rc = bpg_cli_exit_http(r->status)) != BPG_CLI_EXIT_OK) {
		bpg_cli_api_message(r->body.p, r->body.len, r->status, msg,
		    sizeof(msg));
		snprintf(r->msg, sizeof(r->msg), "%s (HTTP %ld)", msg,
		    r->status);
	}
	if (rc != BPG_CLI_EXIT_OK && !c->quiet)
		fprintf(x->err, "bpg: %s\n", r->msg);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, NULL);
	free(url);
	x->call = NULL;
	x->resp = NULL;
	return rc;
}
