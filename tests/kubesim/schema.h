/*
 * A CustomResourceDefinition's OpenAPI v3 schema, applied to objects the way
 * a Kubernetes API server applies it to custom resources:
 *
 *   1. structural pruning: fields the schema does not declare are dropped
 *      ("Specifying a structural schema", Kubernetes CRD documentation);
 *   2. null values of non-nullable fields are dropped, and "default" values
 *      filled in for absent fields ("Defaulting and nullable");
 *   3. validation, every failure collected as a Kubernetes StatusCause
 *      ({"reason","message","field"}) with the texts the API server uses,
 *      e.g. "Required value", "Unsupported value: ...", "Invalid value: 0:
 *      spec.driver.cores in body should be greater than or equal to 1".
 *
 * Self-contained (jansson, POSIX regex and lib/bpg_yaml only) so that test
 * programs can link this file alone.  Thread-safe once loaded: the compiled
 * schema is never written after schema_load().
 *
 * Supported keywords: type (object, array, string, integer, number,
 * boolean), nullable, required, enum, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, multipleOf, minLength, maxLength, pattern, format
 * (int32, int64, date-time, byte), minItems, maxItems, uniqueItems,
 * minProperties, maxProperties, properties, additionalProperties (a schema
 * or false), items, anyOf, allOf, oneOf, not, default,
 * x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields,
 * x-kubernetes-embedded-resource.  x-kubernetes-validations (CEL) rules are
 * ignored.
 *
 * Patterns are Go (RE2) regular expressions; they are translated to POSIX
 * ERE (\d, \w, \s and their negations, (?:...), escapes inside brackets;
 * lazy quantifiers become greedy, which matches the same strings).
 * XXX: a pattern using other RE2-only syntax (flags such as (?i), \b,
 * \pL classes, \x escapes) cannot be honoured; such a pattern is
 * skipped and counted in schema_skipped_patterns().  Unlike RE2's, "."
 * here also matches a newline, and classes work on bytes, not runes.
 * Integers beyond 64 bits are not read by jansson, so format int64 needs
 * no range check; int32 is range-checked (kube-apiserver does not).
 */
#ifndef KUBESIM_SCHEMA_H
#define KUBESIM_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "bpg_err.h"

struct schema;

/*
 * Load the CRD at crd_path (YAML, or JSON if the first non-blank byte is
 * '{') and compile spec.versions[0].schema.openAPIV3Schema.  Returns NULL
 * with a reason in err[0..errlen) if the file cannot be read or the schema
 * is malformed.  err may be NULL when errlen is 0.
 */
struct schema *schema_load(const char *crd_path, char *err, size_t errlen);

/*
 * Compile an openAPIV3Schema given as a JSON tree (borrowed; the schema
 * keeps references to parts of it).  Returns NULL with a reason in err.
 */
struct schema *schema_compile(json_t *openapi, char *err, size_t errlen);

/* NULL is a no-op. */
void schema_free(struct schema *);

/*
 * The group, version, kind and plural of the loaded CRD (from its spec);
 * static for the life of the schema, "" when not known (schema_compile()).
 */
const char *schema_group(const struct schema *);
const char *schema_version(const struct schema *);
const char *schema_kind(const struct schema *);
const char *schema_plural(const struct schema *);

/* Patterns that could not be translated to POSIX ERE (see above). */
size_t schema_skipped_patterns(const struct schema *);

/*
 * Structural pruning, as the API server does when it decodes a custom
 * resource: unknown fields are deleted from obj in place (root apiVersion,
 * kind and metadata are left alone), then non-nullable nulls are deleted
 * and defaults applied.  If unknown is not NULL, *unknown receives a new
 * array of the pruned field paths ("spec.originalUser"), possibly empty.
 * BPG_OK or BPG_ENOMEM.
 */
enum bpg_err schema_prune(const struct schema *, json_t *obj,
    json_t **unknown) BPG_WUR;

/*
 * Validate obj against the schema.  If prune is non-zero obj is first
 * pruned in place (schema_prune()).  Returns BPG_OK when obj is valid, with
 * *causes set to NULL; BPG_EINVAL when it is not, with *causes a new array
 * of every StatusCause found, in a stable order (required fields in schema
 * order, then properties by name); BPG_ENOMEM.  causes must not be NULL.
 */
enum bpg_err schema_validate(const struct schema *, json_t *obj, int prune,
    json_t **causes) BPG_WUR;

/*
 * The message Kubernetes gives for an Invalid status:
 * "KIND.GROUP \"NAME\" is invalid: cause" for one cause,
 * "... is invalid: [cause1, cause2]" for more (duplicates dropped), where a
 * cause reads "field: message".  A new string the caller frees, or NULL
 * on ENOMEM.
 */
char *schema_invalid_message(const char *kind, const char *group,
    const char *name, const json_t *causes);

/*
 * Append a StatusCause {"reason","message","field"} to the array causes,
 * the message made from fmt.  BPG_OK or BPG_ENOMEM.
 */
enum bpg_err schema_cause_add(json_t *causes, const char *reason,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5))) BPG_WUR;

/*
 * s quoted as Go's strconv.Quote (%q) does, the way Kubernetes quotes
 * values in messages.  A new string the caller frees, or NULL on ENOMEM.
 */
char *schema_quote(const char *s);

#endif
