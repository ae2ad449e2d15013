/*
 * The schedules' endpoints (README "Schedules"), for bpg_api.c's route
 * table: POST /schedules, GET /schedules, GET, PUT and DELETE
 * /schedules/{id}, POST /schedules/{id}/suspend, /resume and /trigger.
 * Only the owner or an admin may read or change a schedule.
 */
#ifndef BPG_API_SCHEDULES_H
#define BPG_API_SCHEDULES_H

struct route_ctx;

void api_h_sched_create(struct route_ctx *); /* BODY */
void api_h_sched_list(struct route_ctx *);
void api_h_sched_get(struct route_ctx *);
void api_h_sched_replace(struct route_ctx *); /* BODY */
void api_h_sched_delete(struct route_ctx *);
void api_h_sched_suspend(struct route_ctx *);
void api_h_sched_resume(struct route_ctx *);
void api_h_sched_trigger(struct route_ctx *);

#endif
