/*
 * Apache Livy's batches API (Livy REST API: /batches), for bpg_api.c's
 * route table: POST /batches, GET /batches, GET /batches/{id},
 * /batches/{id}/state, /batches/{id}/log, DELETE /batches/{id}.  A batch
 * is a submission made through POST /spark's pipeline (bpg_api_submit.h)
 * with an integer ID (bpg_db_livy.h); reads and deletes are those of
 * /spark/{id} and /log, answered in Livy's shapes.  Errors are Livy's
 * {"msg": "..."}.  Off (404) unless the config's livy.enabled.
 */
#ifndef BPG_API_LIVY_H
#define BPG_API_LIVY_H

#include <stdbool.h>

struct route_ctx;
struct bpg_http_resp;

void api_h_livy_create(struct route_ctx *);
void api_h_livy_list(struct route_ctx *);
void api_h_livy_get(struct route_ctx *);
void api_h_livy_state(struct route_ctx *);
void api_h_livy_log(struct route_ctx *);
void api_h_livy_delete(struct route_ctx *);

/*
 * An error answer in BPG's envelope {"code","message"} (any answer of
 * the route table: 401, 404, 405, 413, ...) rewritten as Livy's
 * {"msg"}, without the Java class prefix; other answers are left alone.
 */
void api_livy_error_shape(struct bpg_http_resp *);

#endif
