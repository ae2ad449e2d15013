/*
 * POST /s3/{name} (bpg-reference section 6), for bpg_api.c's route table,
 * and the parts of it with rules of their own, for tests.
 */
#ifndef BPG_API_UPLOAD_H
#define BPG_API_UPLOAD_H

#include <stddef.h>
#include <time.h>

#include "bpg_err.h"

struct route_ctx;

/* Reads the body itself, in S3 parts (the route has no BODY flag). */
void api_h_upload(struct route_ctx *);

/*
 * api_upload_length(): the upload's length from the query parameter
 * content-length (wins when present and not empty) or the Content-Length
 * header's text (NULL when absent): BPG_EINVAL with BPG's texts when both
 * are missing or the one used is not a non-negative 64-bit integer.
 *
 * api_upload_key(): "<s3Folder>/<folder>/<name>" (s3Folder and folder
 * without leading and trailing '/'; no prefix when s3Folder is NULL or
 * empty; "<yyyyMMdd of now in UTC>/<uuid>" when folder is NULL or nothing
 * but '/') into out[0..outlen).  name and folder must pass
 * bpg_s3_check_key_part() and the key fit BPG_S3_MAX_KEY: else
 * BPG_EINVAL, naming "name" or "folder", never repeating their bytes.
 */
enum bpg_err api_upload_length(const char *query, const char *header,
    long long *out, struct bpg_errinfo *) BPG_WUR;
enum bpg_err api_upload_key(const char *s3_folder, const char *folder,
    const char *name, time_t now, const char *uuid, char *out,
    size_t outlen, struct bpg_errinfo *) BPG_WUR;

#endif
