/* lua_host.h: the Lua state that runs tools. One state for the process; one coroutine per
 * tool call, resumed from the event loop (OpenResty's cosocket model). The host owns the
 * sandbox (allow-listed globals, no bytecode, no os/io/debug), a heap cap and a per-call
 * memory cap (allocator), a per-call instruction budget with time slicing (count hook), and
 * the one function that turns a coroutine's outcome into an MCP CallToolResult.
 *
 * The sandbox is in lua_host_sandbox.c, the ctx object in lua_bind_ctx.c.
 *
 * Ownership: lua_host_t is owned by the server; host_call_t by the host, from
 * lua_host_call_start until its done callback has returned. */
#ifndef ACK_LUA_HOST_H
#define ACK_LUA_HOST_H

#include "gate.h"
#include "http_client.h"
#include "log.h"

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <uv.h>

typedef struct lua_host lua_host_t;
typedef struct host_call host_call_t;

typedef struct host_limits {
  size_t heap_bytes;          /* whole Lua heap */
  size_t call_bytes;          /* net allocation of one call */
  long long call_instructions;
  const char *state_secret;   /* signs 2026-07-28 requestState; NULL: a random key per process */
} host_limits_t;

/* How a call ended, for the done callback. */
typedef enum {
  CALL_RESULT,          /* result is a CallToolResult (possibly isError) */
  CALL_INPUT_REQUIRED,  /* result is a 2026-07-28 input_required result */
  CALL_CANCELLED,       /* cancelled by the client or shutdown: send nothing */
} call_outcome_t;

/* What the MCP layer gives a call: callbacks toward its client. ud is the caller's. */
typedef struct host_call_ops {
  /* ctx.progress: only called when the request carried a progressToken. */
  void (*progress)(void *ud, double progress, double total, const char *message);
  /* ctx.log: data is borrowed. Filtering by the client's level is the callee's job. */
  void (*log)(void *ud, log_level_t level, json_t *data);
  /* ctx.elicit/sample/roots/ask in the legacy era: send the request method
   * (elicitation/create, sampling/createMessage, roots/list) with params (stolen) to the
   * client, and later call lua_host_call_answer with the same key. Returns 0, or ACK_ESTATE
   * when the client did not declare it can. */
  int (*request)(void *ud, host_call_t *call, const char *key, const char *method, json_t *params);
  /* The end. result is stolen (NULL for CALL_CANCELLED). Called exactly once. */
  void (*done)(void *ud, call_outcome_t outcome, json_t *result);
} host_call_ops_t;

typedef struct host_call_opts {
  const char *tool;              /* copied */
  int def_ref;                   /* registry ref of the tool definition table */
  int validate_ref;              /* registry ref of schema.validate of its generation */
  const json_t *args;            /* borrowed; NULL means {} */
  const json_t *input_responses; /* borrowed; 2026-07-28 retry answers, or NULL */
  bool modern;                   /* 2026-07-28 request: ctx.elicit answers via MRTR */
  const json_t *client_caps;     /* 2026-07-28: the request's clientCapabilities (borrowed) */
  const char *kind;              /* "tool" (NULL), "prompt", "resource" or "complete" */
  const char *uri;               /* resources: the uri being read */
  const json_t *credentials;     /* per-request cloud credentials (HTTP, when allowed), or NULL */
  bool allow_write;
  double timeout;                /* seconds of wall clock */
  const host_call_ops_t *ops;
  void *ud;
} host_call_opts_t;

/* Creates the state, its sandbox base and host modules. Returns NULL with err set. */
lua_host_t *lua_host_new(uv_loop_t *loop, const host_limits_t *limits, char *err, size_t errlen);
/* Cancels every call (done callbacks fire with CALL_CANCELLED), then closes the state once
 * the loop has closed the calls' handles. */
void lua_host_free(lua_host_t *host);
/* The write gate the bindings ask before a mutating request (borrowed; set by the server). */
void lua_host_set_gate(lua_host_t *host, const gate_t *gate);
const gate_t *lua_host_gate(const lua_host_t *host);
/* The HTTP client the `http` module sends with (borrowed; set by the server). */
void lua_host_set_http(lua_host_t *host, http_client_t *client);
http_client_t *lua_host_http(const lua_host_t *host);
/* The server's settings the bridges read (borrowed; set by the server, may be NULL in
 * unit tests). */
struct config;
void lua_host_set_config(lua_host_t *host, const struct config *cfg);
const struct config *lua_host_config(const lua_host_t *host);
/* Services of the server the bindings use (the Kubernetes bridge, ...), borrowed. */
typedef enum { HOST_SVC_K8S, HOST_SVC_ALIYUN, HOST_SVC_CACHE, HOST_SVC_COUNT } host_service_t;
void lua_host_set_service(lua_host_t *host, host_service_t which, void *svc);
void *lua_host_service(const lua_host_t *host, host_service_t which);
/* The raw state, for the registry (loading files) and bindings. */
lua_State *lua_host_state(lua_host_t *host);
uv_loop_t *lua_host_loop(lua_host_t *host);

/* [-1, +0]: pops a function and gives it a fresh sandbox environment as _ENV whose free
 * names resolve to the base (safe globals + host modules) and `require` resolves through
 * the module table at registry ref modules_ref. Writes to undeclared globals raise. */
void lua_host_sandbox_function(lua_host_t *host, int modules_ref, const char *lua_dir);
/* Loads file (text only) into a sandboxed function and calls it under the load budget
 * (0.5 s of instructions), leaving its single result on the stack. Returns 0, or
 * ACK_ELUA with the error message on the stack. [-0, +1] */
int lua_host_run_file(lua_host_t *host, const char *path, int modules_ref, const char *lua_dir);
/* Like lua_host_run_file for a function already on the stack (replaced by its result). */
int lua_host_run_loaded(lua_host_t *host, int modules_ref, const char *lua_dir);

/* Creates a tool call (nothing runs yet), so the caller can record it before any callback. */
host_call_t *lua_host_call_new(lua_host_t *host, const host_call_opts_t *opts);
/* Runs a new call until it first waits: validates the arguments against the tool's input
 * schema, then runs its handler. The done callback may fire before this returns; after it
 * has fired the call is gone. */
void lua_host_call_run(host_call_t *call);
/* Stops a call: aborts its pending I/O, closes its coroutine and calls done with
 * CALL_CANCELLED (or an isError result naming reason when report is true: a timeout). */
void lua_host_call_cancel(host_call_t *call, const char *reason, bool report);
/* Gives a call waiting in ctx.elicit/sample/roots/ask the client's answer to the request
 * sent for key (borrowed), or its error text; the call resumes once all are in. */
void lua_host_call_answer(host_call_t *call, const char *key, const json_t *result, const char *error);
/* 2026-07-28 requestState: the answers a multi-round call has so far, signed with a key
 * of this process, so a retry can carry them and a client cannot forge them. seal returns
 * a new string (free()); open returns the answers (new reference) or NULL when the state
 * is not one this server signed. */
char *lua_host_state_seal(const lua_host_t *host, const json_t *answers);
json_t *lua_host_state_open(const lua_host_t *host, const char *state);
/* Number of calls running. */
int lua_host_active_calls(const lua_host_t *host);
/* Bytes in the Lua heap. */
size_t lua_host_memory(const lua_host_t *host);

/* ---- for bindings (lua_bind_*.c) ---------------------------------------------------- */

/* A pending operation of a suspended call, embedded in the binding's own struct. */
typedef struct host_op host_op_t;
struct host_op {
  host_call_t *call;
  void (*cancel)(host_op_t *op); /* abort the I/O; must not resume the call */
};

/* The call running on coroutine L, or raises "<what>: only inside a tool call" (for
 * functions that yield: also raises when L is not the call's own coroutine). */
host_call_t *lua_host_current_call(lua_State *L, const char *what);
/* The call running on L (its coroutine, or code it called), or NULL; unlike
 * lua_host_current_call it does not insist on a yieldable context, for functions that only
 * read or write state (they work inside a table.sort comparator too). */
host_call_t *lua_host_running_call(lua_State *L);
/* The call's per-request cloud credentials (HTTP transport, when allowed), or NULL. Borrowed;
 * never to be logged. */
const json_t *lua_host_call_credentials(const host_call_t *c);
/* [-0, +0]: marks the table on top of L as a structured error like lua_host_raise's
 * (tostring gives its message), for bindings that add fields of their own before raising. */
void lua_host_mark_error(lua_State *L);
/* Suspends the call on op: returns lua_yield(L, 0) for the binding to return. */
int lua_host_wait(lua_State *L, host_call_t *call, host_op_t *op);
/* Like lua_host_wait with a continuation k that sees the wake values and ctx (lua_yieldk). */
int lua_host_wait_k(lua_State *L, host_call_t *call, host_op_t *op, lua_KFunction k, lua_KContext ctx);
/* Resumes a call whose op completed, with the nret values the caller pushed onto
 * lua_host_call_thread(call) as the results of the yielding function. Loop callbacks only. */
void lua_host_wake(host_call_t *call, int nret);
/* Raises DESIGN's structured error {code, message, status, retryable} (status 0: none),
 * printable with tostring. Does not return. */
int lua_host_raise(lua_State *L, const char *code, int status, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The host a call runs on. */
lua_host_t *lua_host_of(host_call_t *call);
/* The call's coroutine, to push wake values onto. */
lua_State *lua_host_call_thread(host_call_t *call);
uv_loop_t *lua_host_loop_of(host_call_t *call);
bool lua_host_call_cancelled(const host_call_t *call);

#endif
