/*
 * fcgi-echo: a FastCGI responder for the web-tier tests.  It stands where
 * bpg-gateway stands (behind spawn-fcgi, on the same kind of socket) and
 * answers every request with the CGI parameters the web server handed
 * over, so that tests/web/web-test.sh can see exactly what reaches the
 * application: REQUEST_URI, REMOTE_USER, CONTENT_TYPE, CONTENT_LENGTH,
 * and whether a client-sent User-Account or Authorization header got
 * through.
 *
 *	spawn-fcgi -s SOCKET -n -- fcgi-echo LOGFILE
 *
 * Each request appends one line "METHOD REQUEST_URI" to LOGFILE (control
 * bytes replaced by '?') before its body is read, so a request the web
 * server refused never shows up there.  The answer is a JSON object of the
 * parameters below (absent ones are null) plus "body_bytes", the number of
 * body bytes actually received.  Header values that carry secrets
 * (Authorization) are reported as present or not, never echoed.
 *
 * Test tool only; never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

static const char *const params[] = {
	"REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "SCRIPT_NAME",
	"PATH_INFO", "REMOTE_USER", "AUTH_TYPE", "CONTENT_TYPE",
	"CONTENT_LENGTH", "HTTPS", "SERVER_PROTOCOL", "HTTP_USER_ACCOUNT",
	"HTTP_REMOTE_USER", "HTTP_X_FORWARDED_USER",
};

/* JSON string (RFC 8259 §7) of s, or null. */
static void
put_json_string(FCGX_Stream *out, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		FCGX_PutS("null", out);
		return;
	}
	FCGX_PutChar('"', out);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			FCGX_FPrintF(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			FCGX_FPrintF(out, "\\u%04x", *p);
		else
			FCGX_PutChar((int)*p, out);
	}
	FCGX_PutChar('"', out);
}

static void
log_request(const char *path, const char *method, const char *uri)
{
	FILE *f;
	const char *p;

	if ((f = fopen(path, "a")) == NULL)
		return;
	fprintf(f, "%s ", method != NULL ? method : "-");
	for (p = uri != NULL ? uri : "-"; *p != '\0'; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
	fputc('\n', f);
	fclose(f);
}

int
main(int argc, char *argv[])
{
	FCGX_Request r;
	char buf[65536];
	unsigned long long total;
	size_t i;
	int got;

	if (argc != 2) {
		fprintf(stderr, "usage: fcgi-echo LOGFILE\n");
		return 2;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		log_request(argv[1], FCGX_GetParam("REQUEST_METHOD", r.envp),
		    FCGX_GetParam("REQUEST_URI", r.envp));
		total = 0;
		while ((got = FCGX_GetStr(buf, (int)sizeof(buf), r.in)) > 0)
			total += (unsigned long long)got;
		FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n\r\n{", r.out);
		for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
			FCGX_FPrintF(r.out, "\"%s\":", params[i]);
			put_json_string(r.out, FCGX_GetParam(params[i], r.envp));
			FCGX_PutChar(',', r.out);
		}
		FCGX_FPrintF(r.out, "\"HTTP_AUTHORIZATION\":%s,",
		    FCGX_GetParam("HTTP_AUTHORIZATION", r.envp) != NULL ?
		    "\"(present)\"" : "null");
		FCGX_FPrintF(r.out, "\"body_bytes\":%llu}\n", total);
		FCGX_Finish_r(&r);
	}
	return 0;
}
