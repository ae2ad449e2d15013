/*
 * Kubernetes' name rules (apimachinery's validation), in one place for
 * the config loader, the CR check, routing and the Secret reader.
 */
#ifndef BPG_NAME_H
#define BPG_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n), n from 1
 * to max. */
bool bpg_name_label(const char *s, size_t n, size_t max);

/* A DNS-1123 subdomain: such labels (each of any length) joined by '.',
 * s[0..n) with n from 1 to max. */
bool bpg_name_subdomain(const char *s, size_t n, size_t max);

/* The operator webhook's rule for a SparkApplication's name: a DNS-1035
 * label, [a-z]([-a-z0-9]*[a-z0-9])?, at most 63.  False for NULL. */
bool bpg_name_app(const char *s);

#endif
