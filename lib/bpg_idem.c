/* Idempotent submission: keys, request hashes, verdicts (bpg_idem.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "bpg_idem.h"

static const char *const state_names[BPG_IDEM__MAX] = {
	[BPG_IDEM_PENDING] = "pending",
	[BPG_IDEM_DONE] = "done",
	[BPG_IDEM_UNKNOWN] = "unknown",
};

const char *
bpg_idem_state_name(enum bpg_idem_state s)
{
	return (unsigned)s < BPG_IDEM__MAX ? state_names[s] : "?";
}

bool
bpg_idem_state_of(const char *s, enum bpg_idem_state *out)
{
	unsigned i;

	if (s == NULL)
		return false;
	for (i = 0; i < BPG_IDEM__MAX; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum bpg_idem_state)i;
			return true;
		}
	return false;
}

/*
 * The draft leaves the key's syntax to the resource (it is an RFC 8941
 * String there); ours is 1..128 printable ASCII characters, so that it
 * fits the column exactly and can be logged safely.
 */
enum bpg_err
bpg_idem_check_key(const char *key, size_t len, const char *what,
    struct bpg_errinfo *ei)
{
	size_t i;
	unsigned char c;

	if (key == NULL || len == 0)
		return bpg_errf(ei, BPG_EINVAL, "Invalid %s: it is empty; an "
		    "idempotency key is 1 to %d printable ASCII characters",
		    what, BPG_IDEM_MAX_KEY);
	if (len > BPG_IDEM_MAX_KEY)
		return bpg_errf(ei, BPG_EINVAL, "Invalid %s: it is %zu "
		    "characters long, longer than %d", what, len,
		    BPG_IDEM_MAX_KEY);
	for (i = 0; i < len; i++) {
		c = (unsigned char)key[i];
		if (c < 0x20 || c == 0x7f)
			return bpg_errf(ei, BPG_EINVAL, "Invalid %s: a control "
			    "character at position %zu; an idempotency key is "
			    "printable ASCII", what, i + 1);
		if (c > 0x7e)
			return bpg_errf(ei, BPG_EINVAL, "Invalid %s: a "
			    "non-ASCII byte at position %zu; an idempotency "
			    "key is printable ASCII", what, i + 1);
	}
	return BPG_OK;
}

enum bpg_err
bpg_idem_pick(const char *header, const char *field, const char **key,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*key = NULL;
	if (header != NULL && (e = bpg_idem_check_key(header, strlen(header),
	    "Idempotency-Key header", ei)) != BPG_OK)
		return e;
	if (field != NULL && (e = bpg_idem_check_key(field, strlen(field),
	    "idempotencyKey field", ei)) != BPG_OK)
		return e;
	if (header != NULL && field != NULL && strcmp(header, field) != 0)
		return bpg_errf(ei, BPG_EINVAL, "The Idempotency-Key header "
		    "and the idempotencyKey field differ; send one of them, "
		    "or the same key in both");
	*key = header != NULL ? header : field;
	return BPG_OK;
}

/* One field: "<present><length>:<bytes>" (absent and "" differ). */
static int
hash_field(EVP_MD_CTX *c, const char *s, size_t len)
{
	char pre[32];
	int n;

	if (s == NULL)
		return EVP_DigestUpdate(c, "-", 1);
	n = snprintf(pre, sizeof(pre), "+%zu:", len);
	return EVP_DigestUpdate(c, pre, (size_t)n) &&
	    EVP_DigestUpdate(c, s, len);
}

static int
hash_str(EVP_MD_CTX *c, const char *s)
{
	return hash_field(c, s, s != NULL ? strlen(s) : 0);
}

enum bpg_err
bpg_idem_hash(const struct bpg_idem_req *r, char out[BPG_IDEM_HASH_HEX + 1],
    struct bpg_errinfo *ei)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *c;
	int ok;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, "bpg-idem-1\n", 11) &&
	    hash_str(c, r->method) && hash_str(c, r->path) &&
	    hash_str(c, r->content_type) && hash_str(c, r->dag_user) &&
	    hash_field(c, r->body != NULL ? r->body : "", r->body_len) &&
	    EVP_DigestFinal_ex(c, md, &mdlen) && mdlen * 2 == BPG_IDEM_HASH_HEX;
	EVP_MD_CTX_free(c);
	if (!ok)
		return bpg_errf(ei, BPG_ENOMEM, "SHA-256 failed");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[BPG_IDEM_HASH_HEX] = '\0';
	return BPG_OK;
}

enum bpg_idem_verdict
bpg_idem_judge(const struct bpg_idem_seen *s, int64_t stale_s)
{
	if (!s->same_hash)
		return BPG_IDEM_MISMATCH;
	switch (s->state) {
	case BPG_IDEM_DONE:
		return BPG_IDEM_REPLAY;
	case BPG_IDEM_UNKNOWN:
		return BPG_IDEM_RESOLVE;
	case BPG_IDEM_PENDING:
	default:
		if (s->age_s < stale_s)
			return BPG_IDEM_WAIT;
		/* Its owner is gone; the ID was recorded before any create. */
		return s->has_submission ? BPG_IDEM_RESOLVE :
		    BPG_IDEM_TAKEOVER;
	}
}

enum bpg_idem_outcome
bpg_idem_settle(const struct bpg_idem_sub *s, bool stale)
{
	if (!s->found)
		return stale ? BPG_IDEM_NOT_CREATED : BPG_IDEM_UNSETTLED;
	if (s->has_next)
		return BPG_IDEM_CREATED;
	if (!s->has_status || s->status == NULL)
		return BPG_IDEM_UNSETTLED;
	if (strcmp(s->status, "SUBMISSION_FAILED") == 0)
		return BPG_IDEM_NOT_CREATED;
	if (strcmp(s->status, "LOST") == 0 && s->never_seen)
		return BPG_IDEM_NOT_CREATED;
	return BPG_IDEM_CREATED;
}

void
bpg_idem_owner(const unsigned char rnd[16], char out[BPG_IDEM_OWNER_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	out[BPG_IDEM_OWNER_HEX] = '\0';
}
