/* lua_host_internal.h: the host's structures, shared by lua_host.c (calls, budgets, life),
 * lua_host_sandbox.c (environments, require, loading) and lua_bind_ctx.c (the ctx object).
 * Not for other modules: they use lua_host.h. */
#ifndef ACK_LUA_HOST_INTERNAL_H
#define ACK_LUA_HOST_INTERNAL_H

#include "lua_host.h"

#include <stdint.h>

#define HOOK_STEP 10000                   /* instructions between budget checks */
#define BOX_MT "ack.ctx"
#define ERROR_MT "ack.error"

struct host_call {
  lua_host_t *host;
  char *tool;
  lua_State *co;
  int co_ref;
  int box_ref;                 /* ctx userdata box, cleared when the call ends */
  host_op_t *pending;
  const host_call_ops_t *ops;
  void *ud;
  bool modern, allow_write;
  json_t *client_caps;         /* 2026-07-28: the request's clientCapabilities (owned) */
  const char *kind;            /* "tool", "prompt", "resource", "complete" */
  char *uri;                   /* resources: the uri read */
  json_t *credentials;         /* per-request cloud credentials, or NULL */
  bool finished, closing, preempted, input_required;
  const char *kill_reason;     /* static text when killed */
  char kill_buf[160];
  long long instructions, max_instructions;
  long long mem;               /* net bytes allocated while this call ran */
  double timeout;              /* seconds */
  json_t *args;                /* until the call runs */
  uint64_t slice_start;
  double last_progress;
  int ask_seq;
  json_t *input_responses;     /* owned copy */
  json_t *input_requests;      /* built when an answer is missing (2026-07-28) */
  uv_timer_t deadline;         /* its close callback frees the call */
  host_call_t *next_ready;
  host_call_t *prev, *next;    /* host->calls list */
};

struct lua_host {
  lua_State *L;
  uv_loop_t *loop;
  host_limits_t limits;
  const gate_t *gate;
  http_client_t *http;
  const struct config *cfg;
  void *services[HOST_SVC_COUNT];
  size_t heap;                 /* bytes in use */
  host_call_t *current;        /* call being resumed, for the allocator */
  long long load_instructions;
  int base_ref, env_mt_ref, invoke_ref;
  host_call_t *calls;
  int ncalls;
  host_call_t *ready_head, *ready_tail;
  uv_idle_t idle;
  unsigned char state_key[32];  /* signs 2026-07-28 requestState: a client cannot forge answers */
};

typedef struct call_box {
  host_call_t *call;
} call_box_t;

#define BOX_MT "ack.ctx"
#define ERROR_MT "ack.error"


/* Registry key of the host (a light userdata) and the sentinel of a module being loaded. */
extern const char lua_host__load_key;

/* Resumes c with nargs values on its stack; the one caller of lua_resume. */
void lua_host__resume(host_call_t *c, int nargs);
/* Builds the sandbox base (safe globals, host modules) and locks the shared metatables. */
void lua_host__build_base(lua_host_t *h);
/* [-0, +1]: pushes the ctx table of call c. */
void lua_host__push_ctx(lua_host_t *h, host_call_t *c);

#endif
