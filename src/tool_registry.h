/* tool_registry.h: loads tools/NAME.lua into generations. A reload builds a new generation
 * beside the old one: a file that fails to load or validate keeps its previous version, and
 * calls already running keep the code they started with (their coroutine holds it).
 * In dev mode the tools and lua/ directories are watched; SIGHUP reloads in any mode.
 *
 * Ownership: the registry owns its tools; a reg_item_t pointer is valid until the next
 * reload, so callers use it at once (lua_host_call_start copies what it needs). */
#ifndef ACK_TOOL_REGISTRY_H
#define ACK_TOOL_REGISTRY_H

#include "lua_host.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

typedef struct registry registry_t;

typedef enum { REG_TOOL, REG_PROMPT, REG_RESOURCE, REG_TEMPLATE } reg_kind_t;

/* A tool, prompt or resource (static or templated) loaded from one file. */
typedef struct reg_item {
  reg_kind_t kind;
  char *name, *file, *toolset;
  char *uri;           /* resources: the uri or the uri template */
  bool is_write;       /* annotations do not say readOnlyHint = true */
  bool destructive;    /* write tool whose destructiveHint is not false */
  double timeout;      /* seconds; 0 = server default */
  int def_ref, validate_ref;
  json_t *descriptor;  /* the Tool, Prompt, Resource or ResourceTemplate object served by lists */
  int refs;            /* generations holding it */
} reg_item_t;

typedef struct registry_policy {
  bool allow_write;
  bool disable_destructive;
  const char *toolsets;  /* comma list or NULL for all; upstream sub-service names map to ours */
} registry_policy_t;

typedef struct registry_cbs {
  /* What clients see changed: a bit per kind, 1 << REG_TOOL, REG_PROMPT, REG_RESOURCE
   * (templates count as resources). */
  void (*list_changed)(void *ud, unsigned kinds);
  /* A file failed to load; msg names file and line. Repeats of the same error are not
   * reported again. */
  void (*error)(void *ud, const char *file, const char *msg);
  void *ud;
} registry_cbs_t;

/* dirs: NULL-terminated, copied. Nothing is loaded until registry_reload. */
registry_t *registry_new(lua_host_t *host, char *const *dirs, const char *lua_dir, const registry_policy_t *policy,
                         const registry_cbs_t *cbs);
void registry_free(registry_t *reg);
/* Loads every tool file. Returns the number of files that failed (their previous versions
 * stay), or ACK_ELUA when the shared library (lua/schema.lua, lua/tooldef.lua) itself fails,
 * in which case the whole previous generation stays. */
int registry_reload(registry_t *reg);
/* Starts watching the directories (dev mode). Returns 0 or a negative libuv error. */
int registry_watch(registry_t *reg);
/* Finds a tool or prompt by name. When it exists but policy hides it, returns NULL and sets
 * *why. */
const reg_item_t *registry_lookup(registry_t *reg, reg_kind_t kind, const char *name, const char **why);
/* Finds the resource for uri: a static one, else the first template that matches, with its
 * variables in *vars (a new object, or NULL for a static resource). */
const reg_item_t *registry_resource(registry_t *reg, const char *uri, json_t **vars);
/* The resource template whose text is tmpl ("test://t/{id}/data"), or NULL. */
const reg_item_t *registry_template(registry_t *reg, const char *tmpl);
/* A new JSON array of up to limit visible descriptors of kind from offset, in name order;
 * *more is set when more remain after them. */
json_t *registry_list(registry_t *reg, reg_kind_t kind, size_t offset, size_t limit, bool *more);
/* Matches uri against an RFC 6570 level-1 template ("test://t/{id}/data"): returns a new
 * object of the variables, or NULL. A variable matches one or more characters up to the
 * next literal part, never across '/'. */
json_t *registry_match_template(const char *tmpl, const char *uri);
/* Visible tools, and the generation number (0 until the first load). */
size_t registry_count(registry_t *reg);
unsigned registry_generation(registry_t *reg);

#endif
