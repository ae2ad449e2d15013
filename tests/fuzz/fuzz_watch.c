/*
 * libFuzzer target: what the monitor reads from an API server.  The input
 * is a watch stream: each line goes through the event parser
 * (bpg_watch_parse_line), each object through the SparkApplication and
 * pod readers (bpg_monitor_app_parse, bpg_monitor_pod_parse) and the
 * decision table (bpg_monitor_decide); the whole input also goes through
 * the quantity parsers.  Besides memory errors, it checks what the
 * parsers promise.
 *
 *	make fuzz && build-fuzz/fuzz_watch tests/fuzz/corpus/watch
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_monitor.h"
#include "bpg_watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static void
objects(const json_t *obj)
{
	static const enum bpg_monitor_event evs[] = { BPG_MONITOR_EV_LIST,
		BPG_MONITOR_EV_MODIFIED, BPG_MONITOR_EV_DELETED };
	struct bpg_monitor_app app;
	struct bpg_monitor_pod pod;
	struct bpg_monitor_known k;
	struct bpg_errinfo ei;
	unsigned int a;
	size_t i;

	if (bpg_monitor_app_parse(obj, &app, &ei) == BPG_OK) {
		check_str(app.name, sizeof(app.name));
		check_str(app.state, sizeof(app.state));
		check_str(app.app_id, sizeof(app.app_id));
		check_str(app.bad, sizeof(app.bad));
		if (app.name[0] == '\0' || app.max_running_ms <= 0)
			abort();
		if (app.has_state && app.state[0] == '\0')
			abort();
		if (app.executor_instances < -1 ||
		    app.executor_instances > 32767)
			abort();
		memset(&k, 0, sizeof(k));
		for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
			a = bpg_monitor_decide(&k, &app, evs[i]);
			/* Exactly one of TRACK and FORGET. */
			if (((a & BPG_MONITOR_DO_TRACK) != 0) ==
			    ((a & BPG_MONITOR_DO_FORGET) != 0))
				abort();
			/* FINISH and LOST never together. */
			if ((a & BPG_MONITOR_DO_FINISH) &&
			    (a & BPG_MONITOR_DO_LOST))
				abort();
			bpg_monitor_known_apply(&k, &app, a);
		}
	}
	if (bpg_monitor_pod_parse(obj, &pod, &ei) == BPG_OK) {
		check_str(pod.bad, sizeof(pod.bad));
		if (pod.cores < -1 || pod.cores > 32767 ||
		    pod.memory_mb < -1)
			abort();
	}
}

static void
quantities(const uint8_t *data, size_t size)
{
	struct bpg_quantity q;
	struct bpg_errinfo ei;
	char buf[80];
	int64_t v;

	if (bpg_monitor_quantity_parse((const char *)data, size, &q, &ei) ==
	    BPG_OK) {
		if (bpg_monitor_quantity_ceil(&q, 20, INT64_MAX, &v, &ei) ==
		    BPG_OK && v < 0)
			abort();
	}
	if (bpg_monitor_spark_size_parse((const char *)data, size, &q, &ei) ==
	    BPG_OK) {
		if (bpg_monitor_quantity_ceil(&q, 0, 1000, &v, &ei) ==
		    BPG_OK && (v < 0 || v > 1000))
			abort();
	}
	if (size >= sizeof(buf))
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (bpg_monitor_cpu_cores(buf, &v, &ei) == BPG_OK &&
	    (v < 0 || v > 32767))
		abort();
	if (bpg_monitor_mem_mb(buf, &v, &ei) == BPG_OK &&
	    (v < 0 || v > 2147483647))
		abort();
	if (bpg_monitor_spark_mb(buf, &v, &ei) == BPG_OK &&
	    (v < 0 || v > 2147483647))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct bpg_watch_event ev;
	struct bpg_errinfo ei;

	quantities(data, size);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		ei.msg[0] = '\0';
		if (bpg_watch_parse_line(p, (size_t)(nl - p), &ev, &ei) ==
		    BPG_OK) {
			if (!json_is_object(ev.object))
				abort();
			if (ev.type != BPG_WATCH_ERROR && (ev.rv[0] == '\0' ||
			    strlen(ev.rv) > BPG_WATCH_MAX_RV))
				abort();
			objects(ev.object);
			bpg_watch_event_clear(&ev);
		} else if (ei.msg[0] == '\0' || ev.object != NULL)
			abort();
		p = nl + 1;
	}
	return 0;
}
