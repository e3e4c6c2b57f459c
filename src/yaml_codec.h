/* yaml_codec.h: YAML <-> jansson, with libyaml underneath. Scalars resolve the way
 * Kubernetes reads manifests (sigs.k8s.io/yaml on go-yaml v2, so kubectl and this server
 * agree on a file): plain true/false/yes/no/on/off/y/n are booleans, null/~/empty are null,
 * 0644 is octal, 0x1F hex, 1_000 an integer, 1.5/1e3 floats; quoted scalars are strings.
 * The encoder writes `kubectl get -o yaml` style: block style, 2-space indent, keys in
 * insertion order, strings quoted only when a reader would take them for something else.
 *
 * Ownership: both functions return new values the caller owns (json_decref, free). */
#ifndef ACK_YAML_CODEC_H
#define ACK_YAML_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Containers nested deeper than this are refused (the same bound the Lua converter has). */
#define YAML_CODEC_MAX_DEPTH 256
/* Nodes aliases may add to a stream in total: a "billion laughs" document stops here. */
#define YAML_CODEC_MAX_ALIAS_NODES 10000

/* Decodes text (len bytes, need not be NUL-terminated). With all_docs, returns an array of
 * every document, skipping empty ones (a stray `---`, comments only), as kubectl does;
 * without, the first non-empty document (JSON null when there is none; the text after it is
 * not read). Anchors and aliases are resolved (copied), merge keys `<<` applied. Plain keys
 * are kept as written (`y:` stays "y", where kubectl would make it "true"); keys that are
 * aliases or explicitly tagged are stringified ("1", "true"). Returns a new reference, or
 * NULL with err naming the place: "line 3, column 5: mapping values are not allowed in this
 * context", "line 4, column 3: duplicate key \"name\"". */
json_t *yaml_decode(const char *text, size_t len, bool all_docs, char *err, size_t errlen);

/* Encodes v as one YAML document ending in a newline. Returns a new string (free()), or
 * NULL with err (nesting deeper than YAML_CODEC_MAX_DEPTH, out of memory). */
char *yaml_encode(const json_t *v, char *err, size_t errlen);

#endif
