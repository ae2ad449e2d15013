/*
 * Tests for lib/bpg_jwt.c: bpg-reference section 12's QueueTokenVerifierTest
 * and JwtUtilsTest cases, and the tokens a verifier must refuse (expired,
 * not yet valid, alg none, HS512, garbage, empty), each with the message
 * section 8.3 puts on the wire.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jwt.h>

#include "bpg_jwt.h"
#include "testutil.h"

#define HINT ". Please provide a valid queue token, or contact service " \
	"support."
#define SIG_FAIL "Queue token is not valid: The Token's Signature resulted " \
	"invalid when verified using the Algorithm: HmacSHA256" HINT
#define ALG_FAIL "Queue token is not valid: The provided Algorithm doesn't " \
	"match the one defined in the JWT's Header" HINT
#define SERVER_FAIL "Server failed to verify queue token. Please contact " \
	"service support."

/* A fixed "now" for the time-claim rows: 2024-01-01T00:00:00Z. */
#define NOW ((time_t)1704067200)

/* A token signed by libjwt with alg and secret over the claims JSON. */
static char *
signed_token(jwt_alg_t alg, const char *secret, const char *claims)
{
	jwt_t *j;
	char *t;

	ck_assert_int_eq(jwt_new(&j), 0);
	ck_assert_int_eq(jwt_add_grants_json(j, claims), 0);
	ck_assert_int_eq(jwt_set_alg(j, alg, (const unsigned char *)secret,
	    (int)strlen(secret)), 0);
	t = jwt_encode_str(j);
	jwt_free(j);
	return tu_track(t);
}

/* base64url without padding (RFC 4648 section 5). */
static char *
b64url(const char *s)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(n / 3 * 4 + 5);
	uint32_t v;

	ck_assert_ptr_nonnull(out);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)(unsigned char)s[i] << 16 |
		    (uint32_t)(unsigned char)s[i + 1] << 8 |
		    (unsigned char)s[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)(unsigned char)s[i] << 16;
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)(unsigned char)s[i] << 16 |
		    (uint32_t)(unsigned char)s[i + 1] << 8;
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

/* "<b64url(header)>.<b64url(payload)>.<sig>", unsigned. */
static char *
raw_token(const char *header, const char *payload, const char *sig)
{
	char *h = b64url(header), *p = b64url(payload), *t;

	ck_assert_int_gt(asprintf(&t, "%s.%s.%s", h, p, sig), 0);
	free(h);
	free(p);
	return tu_track(t);
}

/* ---- QueueTokenVerifierTest ------------------------------------------ */

static char *const one_secret[] = { (char *)(uintptr_t)"secret1" };
static char *const rotated[] = { (char *)(uintptr_t)"invalidSecret",
	(char *)(uintptr_t)"secret1" };
static char *const bad_only[] = { (char *)(uintptr_t)"invalidSecret" };

static const struct {
	const char *name;
	const char *claims;
	char *const *secrets;
	size_t nsecrets;
	const char *error;	/* NULL: valid for queue1 */
} qtv_rows[] = {
	{ "valid_secret1", "{\"iss\":\"admin\",\"sub\":\"queueToken\","
	  "\"allowedQueues\":[\"queue1\"]}", one_secret, 1, NULL },
	{ "valid_rotated_secrets", "{\"iss\":\"admin\",\"sub\":\"queueToken\","
	  "\"allowedQueues\":[\"queue1\"]}", rotated, 2, NULL },
	/* Java builds the claim either from an array or from a list; both
	 * are the same JSON array. */
	{ "valid_several_queues_array_or_list", "{\"iss\":\"admin\","
	  "\"sub\":\"queueToken\",\"allowedQueues\":[\"qa\",\"qb\","
	  "\"queue1\"]}", one_secret, 1, NULL },
	{ "valid_issuer_airflow", "{\"iss\":\"airflow\",\"sub\":\"queueToken\","
	  "\"allowedQueues\":[\"queue1\"]}", rotated, 2, NULL },
	{ "valid_issuer_case", "{\"iss\":\"ADMIN\",\"sub\":\"queueToken\","
	  "\"allowedQueues\":[\"queue1\"]}", one_secret, 1, NULL },
	{ "valid_no_sub", "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}",
	  one_secret, 1, NULL },
	{ "error_invalid_secret_only", "{\"iss\":\"admin\",\"sub\":"
	  "\"queueToken\",\"allowedQueues\":[\"queue1\"]}", bad_only, 1,
	  SIG_FAIL },
	{ "error_invalid_issuer", "{\"iss\":\"invalidIssuer\",\"sub\":"
	  "\"queueToken\",\"allowedQueues\":[\"queue1\"]}", one_secret, 1,
	  "Queue token is not valid due to unsupported issuer: invalidIssuer"
	  HINT },
	{ "error_no_issuer", "{\"sub\":\"queueToken\",\"allowedQueues\":"
	  "[\"queue1\"]}", one_secret, 1,
	  "Queue token is not valid: no issuer" HINT },
	{ "error_empty_issuer", "{\"iss\":\"\",\"allowedQueues\":"
	  "[\"queue1\"]}", one_secret, 1,
	  "Queue token is not valid: no issuer" HINT },
	{ "error_claim1_instead_of_allowedQueues", "{\"iss\":\"admin\","
	  "\"sub\":\"queueToken\",\"claim1\":[\"queue1\"]}", one_secret, 1,
	  "Queue token is not valid due to no claim: allowedQueues" HINT },
	{ "error_allowedQueues_null", "{\"iss\":\"admin\",\"allowedQueues\":"
	  "null}", one_secret, 1,
	  "Queue token is not valid due to no claim: allowedQueues" HINT },
	{ "error_allowedQueues_empty_array_or_list", "{\"iss\":\"admin\","
	  "\"sub\":\"queueToken\",\"allowedQueues\":[]}", one_secret, 1,
	  "Queue token has no allowed queues" HINT },
	{ "error_allowedQueues_not_array", "{\"iss\":\"admin\","
	  "\"allowedQueues\":\"queue1\"}", one_secret, 1,
	  "Queue token has no allowed queues" HINT },
	{ "error_queue_not_allowed", "{\"iss\":\"admin\",\"allowedQueues\":"
	  "[\"qa\",\"QUEUE1\"]}", one_secret, 1,
	  "Queue token does not allow queue queue1" HINT },
};

START_TEST(test_queue_token_verifier)
{
	struct bpg_errinfo ei = { "" };
	const char *tok = signed_token(JWT_ALG_HS256, "secret1",
	    qtv_rows[_i].claims);
	enum bpg_err e;

	e = bpg_jwt_check_queue(tok, qtv_rows[_i].secrets,
	    qtv_rows[_i].nsecrets, "queue1", time(NULL), &ei);
	if (qtv_rows[_i].error == NULL) {
		ck_assert_msg(e == BPG_OK, "row %s: %s", qtv_rows[_i].name,
		    ei.msg);
	} else {
		ck_assert_msg(e == BPG_EINVAL, "row %s: %d", qtv_rows[_i].name,
		    e);
		ck_assert_msg(strcmp(ei.msg, qtv_rows[_i].error) == 0,
		    "row %s: got \"%s\"", qtv_rows[_i].name, ei.msg);
	}
}
END_TEST

/* ---- tokens that never verify ---------------------------------------- */

enum kind { SIGNED, RAW, LITERAL };

static const struct {
	const char *name;
	enum kind kind;
	jwt_alg_t alg;		/* SIGNED */
	const char *a, *b, *c;	/* SIGNED: claims; RAW: header, payload,
				 * signature; LITERAL: the token */
	const char *why;	/* the reason in "Queue token is not valid" */
} bad_rows[] = {
	{ "expired", SIGNED, JWT_ALG_HS256, "{\"iss\":\"admin\","
	  "\"allowedQueues\":[\"queue1\"],\"exp\":1704067199}", NULL, NULL,
	  "The Token has expired on Sun Dec 31 23:59:59 UTC 2023" },
	{ "expires_now", SIGNED, JWT_ALG_HS256, "{\"iss\":\"admin\","
	  "\"allowedQueues\":[\"queue1\"],\"exp\":1704067200}", NULL, NULL,
	  "The Token has expired on Mon Jan 01 00:00:00 UTC 2024" },
	{ "nbf_in_future", SIGNED, JWT_ALG_HS256, "{\"iss\":\"admin\","
	  "\"allowedQueues\":[\"queue1\"],\"nbf\":1704067201}", NULL, NULL,
	  "The Token can't be used before Mon Jan 01 00:00:01 UTC 2024" },
	{ "iat_in_future", SIGNED, JWT_ALG_HS256, "{\"iss\":\"admin\","
	  "\"allowedQueues\":[\"queue1\"],\"iat\":1704153600}", NULL, NULL,
	  "The Token can't be used before Tue Jan 02 00:00:00 UTC 2024" },
	{ "exp_not_numeric", SIGNED, JWT_ALG_HS256, "{\"iss\":\"admin\","
	  "\"allowedQueues\":[\"queue1\"],\"exp\":\"tomorrow\"}", NULL, NULL,
	  "The claim 'exp' contained a non-numeric date value" },
	{ "alg_hs512", SIGNED, JWT_ALG_HS512, "{\"iss\":\"admin\","
	  "\"allowedQueues\":[\"queue1\"]}", NULL, NULL,
	  "The provided Algorithm doesn't match the one defined in the JWT's "
	  "Header" },
	{ "alg_none", RAW, JWT_ALG_NONE, "{\"alg\":\"none\"}",
	  "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}", "",
	  "The provided Algorithm doesn't match the one defined in the JWT's "
	  "Header" },
	{ "alg_lower_case", RAW, JWT_ALG_NONE, "{\"alg\":\"hs256\"}",
	  "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}", "abc",
	  "The provided Algorithm doesn't match the one defined in the JWT's "
	  "Header" },
	{ "no_alg", RAW, JWT_ALG_NONE, "{\"typ\":\"JWT\"}",
	  "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}", "abc",
	  "The provided Algorithm doesn't match the one defined in the JWT's "
	  "Header" },
	{ "typ_not_jwt", RAW, JWT_ALG_NONE,
	  "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
	  "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}", "abc",
	  "The token's header has typ \"at+jwt\"; only \"JWT\" is supported" },
	{ "duplicate_claims", RAW, JWT_ALG_NONE,
	  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	  "{\"iss\":\"x\",\"iss\":\"admin\"}", "abc",
	  "The string '{\"iss\":\"x\",\"iss\":\"admin\"}' doesn't have a valid "
	  "JSON format" },
	{ "forged_hs256_no_signature", RAW, JWT_ALG_NONE,
	  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	  "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}", "",
	  "The Token's Signature resulted invalid when verified using the "
	  "Algorithm: HmacSHA256" },
	{ "forged_hs256_bad_signature", RAW, JWT_ALG_NONE,
	  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	  "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}",
	  "7zHHGrluuW17O9HHxzEN1JJYMKt_Xe2hF3k5wXTt4e8",
	  "The Token's Signature resulted invalid when verified using the "
	  "Algorithm: HmacSHA256" },
	{ "header_not_json", RAW, JWT_ALG_NONE, "not json",
	  "{\"iss\":\"admin\"}", "abc",
	  "The string 'not json' doesn't have a valid JSON format" },
	{ "payload_not_object", RAW, JWT_ALG_NONE,
	  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "[1,2]", "abc",
	  "The string '[1,2]' doesn't have a valid JSON format" },
	{ "header_control_bytes_escaped", RAW, JWT_ALG_NONE, "\x01\x02",
	  "{}", "abc",
	  "The string '\\x01\\x02' doesn't have a valid JSON format" },
	{ "garbage", LITERAL, JWT_ALG_NONE, "garbage", NULL, NULL,
	  "The token was expected to have 3 parts, but got 1" },
	{ "empty", LITERAL, JWT_ALG_NONE, "", NULL, NULL,
	  "The token was expected to have 3 parts, but got 1" },
	{ "two_parts", LITERAL, JWT_ALG_NONE, "abc.def", NULL, NULL,
	  "The token was expected to have 3 parts, but got 2" },
	{ "four_parts", LITERAL, JWT_ALG_NONE, "a.b.c.d", NULL, NULL,
	  "The token was expected to have 3 parts, but got 4" },
	{ "only_dots", LITERAL, JWT_ALG_NONE, "...", NULL, NULL,
	  "The token was expected to have 3 parts, but got 0" },
	{ "bad_base64", LITERAL, JWT_ALG_NONE, "a*b.c.d", NULL, NULL,
	  "The string 'a*b' doesn't have a valid JSON format" },
};

START_TEST(test_bad_tokens)
{
	struct bpg_errinfo ei = { "" };
	const char *tok = NULL;
	char want[512];
	enum bpg_err e;

	switch (bad_rows[_i].kind) {
	case SIGNED:
		tok = signed_token(bad_rows[_i].alg, "secret1",
		    bad_rows[_i].a);
		break;
	case RAW:
		tok = raw_token(bad_rows[_i].a, bad_rows[_i].b,
		    bad_rows[_i].c);
		break;
	case LITERAL:
		tok = bad_rows[_i].a;
		break;
	}
	snprintf(want, sizeof(want), "Queue token is not valid: %s" HINT,
	    bad_rows[_i].why);
	e = bpg_jwt_check_queue(tok, rotated, 2, "queue1", NOW, &ei);
	ck_assert_msg(e == BPG_EINVAL, "row %s: %d", bad_rows[_i].name, e);
	ck_assert_msg(strcmp(ei.msg, want) == 0, "row %s: got \"%s\"",
	    bad_rows[_i].name, ei.msg);
}
END_TEST

START_TEST(test_time_claims_valid)
{
	struct bpg_errinfo ei = { "" };
	const char *tok = signed_token(JWT_ALG_HS256, "secret1",
	    "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"],"
	    "\"exp\":1704067201,\"nbf\":1704067200,\"iat\":1704067200}");

	ck_assert_msg(bpg_jwt_check_queue(tok, one_secret, 1, "queue1", NOW,
	    &ei) == BPG_OK, "%s", ei.msg);
}
END_TEST

START_TEST(test_long_token)
{
	struct bpg_errinfo ei = { "" };
	char *tok = tu_track(malloc(BPG_JWT_MAX_TOKEN + 2));

	memset(tok, 'a', BPG_JWT_MAX_TOKEN + 1);
	tok[BPG_JWT_MAX_TOKEN + 1] = '\0';
	ck_assert_int_eq(bpg_jwt_check_queue(tok, one_secret, 1, "queue1",
	    NOW, &ei), BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "Queue token is not valid: The token is "
	    "longer than 8192 characters" HINT);
}
END_TEST

/* ---- secrets that cannot be used (the "500" texts) ------------------- */

START_TEST(test_unusable_secrets)
{
	static char *const empty_only[] = { (char *)(uintptr_t)"" };
	static char *const bad_then_empty[] = {
		(char *)(uintptr_t)"invalidSecret", (char *)(uintptr_t)"" };
	static char *const empty_then_good[] = { (char *)(uintptr_t)"",
		(char *)(uintptr_t)"secret1" };
	struct bpg_errinfo ei = { "" };
	const char *tok = signed_token(JWT_ALG_HS256, "secret1",
	    "{\"iss\":\"admin\",\"allowedQueues\":[\"queue1\"]}");

	/* libjwt would accept any token for an empty key: never used. */
	ck_assert_int_eq(bpg_jwt_check_queue(tok, empty_only, 1, "queue1",
	    NOW, &ei), BPG_ECONFIG);
	ck_assert_str_eq(ei.msg, SERVER_FAIL);
	/* The last failure decides, as in BPG. */
	ck_assert_int_eq(bpg_jwt_check_queue(tok, bad_then_empty, 2, "queue1",
	    NOW, &ei), BPG_ECONFIG);
	ck_assert_str_eq(ei.msg, SERVER_FAIL);
	ck_assert_int_eq(bpg_jwt_check_queue(tok, empty_then_good, 2,
	    "queue1", NOW, &ei), BPG_OK);
	ck_assert_int_eq(bpg_jwt_check_queue("garbage", bad_then_empty, 2,
	    "queue1", NOW, &ei), BPG_ECONFIG);
	/* No secrets at all: nothing verified it. */
	ck_assert_int_eq(bpg_jwt_check_queue(tok, NULL, 0, "queue1", NOW,
	    &ei), BPG_ECONFIG);
}
END_TEST

/* ---- JwtUtilsTest and the generator ---------------------------------- */

START_TEST(test_jwt_utils_round_trip)
{
	static const char *const qs[] = { "qa", "qb" };
	struct bpg_errinfo ei = { "" };
	json_t *claims = NULL;
	char *tok;

	/* A string array claim, issuer and subject preserved. */
	ck_assert_int_eq(bpg_jwt_make("secret1", "admin", "queueToken", qs, 2,
	    0, &tok), BPG_OK);
	tu_track(tok);
	ck_assert_int_eq(bpg_jwt_verify(tok, one_secret, 1, NOW, &claims,
	    &ei), BPG_OK);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "iss")),
	    "admin");
	ck_assert_str_eq(json_string_value(json_object_get(claims, "sub")),
	    "queueToken");
	ck_assert_uint_eq(json_array_size(json_object_get(claims,
	    "allowedQueues")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    claims, "allowedQueues"), 1)), "qb");
	/* A missing claim reads as null. */
	ck_assert_ptr_null(json_object_get(claims, "claim1"));
	ck_assert_ptr_null(json_object_get(claims, "exp"));
	json_decref(claims);

	/* An empty claim array. */
	ck_assert_int_eq(bpg_jwt_make("secret1", "admin", "queueToken", NULL, 0,
	    0, &tok), BPG_OK);
	tu_track(tok);
	ck_assert_int_eq(bpg_jwt_verify(tok, one_secret, 1, NOW, &claims,
	    &ei), BPG_OK);
	ck_assert(json_is_array(json_object_get(claims, "allowedQueues")));
	ck_assert_uint_eq(json_array_size(json_object_get(claims,
	    "allowedQueues")), 0);
	json_decref(claims);

	/* The wrong secret: a signature error. */
	ck_assert_int_eq(bpg_jwt_verify(tok, bad_only, 1, NOW, &claims, &ei),
	    BPG_EINVAL);
	ck_assert_ptr_null(claims);
	ck_assert_str_eq(ei.msg, SIG_FAIL);
}
END_TEST

START_TEST(test_generator)
{
	static const char *const qs[] = { "queue1" };
	struct bpg_errinfo ei = { "" };
	json_t *claims;
	char *tok, *dot, *hdr;
	jwt_t *j;

	/* QueueTokenGeneratorTest: -secret secret1 -subject queueToken1
	 * -queue queue1. */
	ck_assert_int_eq(bpg_jwt_make("secret1", "admin", "queueToken1", qs,
	    1, 0, &tok), BPG_OK);
	tu_track(tok);
	ck_assert_int_eq(bpg_jwt_check_queue(tok, one_secret, 1, "queue1",
	    time(NULL), &ei), BPG_OK);
	/* Header {"alg":"HS256","typ":"JWT"}. */
	ck_assert_int_eq(jwt_decode(&j, tok, (const unsigned char *)"secret1",
	    7), 0);
	ck_assert_int_eq(jwt_get_alg(j), JWT_ALG_HS256);
	ck_assert_str_eq(jwt_get_header(j, "typ"), "JWT");
	jwt_free(j);
	dot = strchr(tok, '.');
	ck_assert_ptr_nonnull(dot);
	hdr = b64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	ck_assert_int_eq(strncmp(tok, hdr, (size_t)(dot - tok)), 0);
	ck_assert_uint_eq(strlen(hdr), (size_t)(dot - tok));
	free(hdr);

	/* With exp: honoured. */
	ck_assert_int_eq(bpg_jwt_make("secret1", "admin", NULL, qs, 1,
	    (int64_t)NOW + 60, &tok), BPG_OK);
	tu_track(tok);
	ck_assert_int_eq(bpg_jwt_verify(tok, one_secret, 1, NOW, &claims,
	    &ei), BPG_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "exp")),
	    (json_int_t)NOW + 60);
	ck_assert_ptr_null(json_object_get(claims, "sub"));
	json_decref(claims);
	ck_assert_int_eq(bpg_jwt_verify(tok, one_secret, 1, NOW + 60, NULL,
	    &ei), BPG_EINVAL);

	/* No usable secret: refused rather than an unsigned token. */
	ck_assert_int_eq(bpg_jwt_make("", "admin", NULL, qs, 1, 0, &tok),
	    BPG_EINVAL);
	ck_assert_ptr_null(tok);
	ck_assert_int_eq(bpg_jwt_make(NULL, "admin", NULL, qs, 1, 0, &tok),
	    BPG_EINVAL);
}
END_TEST

static Suite *
jwt_suite(void)
{
	Suite *s = suite_create("jwt");
	TCase *tc;

	tc = tcase_create("verifier");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_queue_token_verifier, 0,
	    TU_NROWS(qtv_rows));
	tcase_add_loop_test(tc, test_bad_tokens, 0, TU_NROWS(bad_rows));
	tcase_add_test(tc, test_time_claims_valid);
	tcase_add_test(tc, test_long_token);
	tcase_add_test(tc, test_unusable_secrets);
	suite_add_tcase(s, tc);

	tc = tcase_create("utils");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_test(tc, test_jwt_utils_round_trip);
	tcase_add_test(tc, test_generator);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(jwt_suite());
}
