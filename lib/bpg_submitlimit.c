/* Submission rate limits per user and per queue (bpg_submitlimit.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bpg_submitlimit.h"

#define NS 1000000000LL

static int64_t
seconds_up(int64_t ns)
{
	int64_t s = ns / NS + (ns % NS != 0);

	return s < 1 ? 1 : s;
}

enum bpg_err
bpg_submitlimit_take(struct bpg_ratelimit *rl, const struct bpg_config *cfg,
    const char *user, const char *queue, int64_t now_ns,
    int64_t *retry_after_s, struct bpg_errinfo *ei)
{
	const struct bpg_submit_limit *sl = &cfg->submit_limit;
	const struct bpg_submit_rate *qr = &sl->per_queue;
	const struct bpg_queue *q;
	struct bpg_ratelimit_rate ur, rr;
	char parent[256];
	int64_t wait;
	size_t plen;

	*retry_after_s = 0;
	if (rl == NULL || user == NULL)
		return BPG_OK;
	if (bpg_strlist_has(&sl->exempt_users, user, false) ||
	    (sl->exempt_admins && bpg_strlist_has(&cfg->admin_users, user,
	    false)))
		return BPG_OK;
	if (queue == NULL)
		queue = "";
	plen = strcspn(queue, ".");
	if ((q = bpg_config_queue_exact_n(cfg, queue, plen)) != NULL && q->submit_rate.present)
		qr = &q->submit_rate;
	/* Queue names are short; a longer one is limited by its prefix. */
	if (plen >= sizeof(parent))
		plen = sizeof(parent) - 1;
	memcpy(parent, queue, plen);
	parent[plen] = '\0';

	ur.rate = sl->per_user.rate;
	ur.burst = sl->per_user.burst;
	if (sl->per_user.present && !bpg_ratelimit_try_key(rl,
	    BPG_RATELIMIT_USER, user, &ur, now_ns, &wait)) {
		*retry_after_s = seconds_up(wait);
		return bpg_errf(ei, BPG_ERATE, "Too many submissions by user "
		    "%s (at most %g a second, %lld at once); try again in "
		    "%lld s", user, ur.rate, (long long)ur.burst,
		    (long long)*retry_after_s);
	}
	rr.rate = qr->rate;
	rr.burst = qr->burst;
	if (qr->present && !bpg_ratelimit_try_key(rl, BPG_RATELIMIT_QUEUE,
	    parent, &rr, now_ns, &wait)) {
		if (sl->per_user.present)
			bpg_ratelimit_refund_key(rl, BPG_RATELIMIT_USER, user,
			    &ur);
		*retry_after_s = seconds_up(wait);
		return bpg_errf(ei, BPG_ERATE, "Too many submissions to queue "
		    "%s (at most %g a second, %lld at once); try again in "
		    "%lld s", parent, rr.rate, (long long)rr.burst,
		    (long long)*retry_after_s);
	}
	return BPG_OK;
}
