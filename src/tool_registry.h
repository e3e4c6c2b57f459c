/* tool_registry.h: loads tools/NAME.lua into generations. A reload builds a new generation
 * beside the old one: a file that fails to load or validate keeps its previous version, and
 * calls already running keep the code they started with (their coroutine holds it).
 * In dev mode the tools and lua/ directories are watched; SIGHUP reloads in any mode.
 *
 * Ownership: the registry owns its tools; a reg_tool_t pointer is valid until the next
 * reload, so callers use it at once (lua_host_call_start copies what it needs). */
#ifndef ACK_TOOL_REGISTRY_H
#define ACK_TOOL_REGISTRY_H

#include "lua_host.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

typedef struct registry registry_t;

typedef struct reg_tool {
  char *name, *file, *toolset;
  bool is_write;       /* annotations do not say readOnlyHint = true */
  bool destructive;    /* write tool whose destructiveHint is not false */
  double timeout;      /* seconds; 0 = server default */
  int def_ref, validate_ref;
  json_t *descriptor;  /* the Tool object served by tools/list */
  int refs;            /* generations holding it */
} reg_tool_t;

typedef struct registry_policy {
  bool allow_write;
  bool disable_destructive;
  const char *toolsets;  /* comma list or NULL for all; upstream sub-service names map to ours */
} registry_policy_t;

typedef struct registry_cbs {
  void (*list_changed)(void *ud);
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
/* Finds a tool by name. When it exists but policy hides it, returns NULL and sets *why. */
const reg_tool_t *registry_lookup(registry_t *reg, const char *name, const char **why);
/* A new JSON array of up to limit visible tool descriptors from offset, in name order;
 * *more is set when tools remain after them. */
json_t *registry_list(registry_t *reg, size_t offset, size_t limit, bool *more);
/* Visible tools, and whether the first load has happened (readiness). */
size_t registry_count(registry_t *reg);
unsigned registry_generation(registry_t *reg);

#endif
