/* mcp_internal.h: structures shared by mcp.c (sessions, routing, replies) and
 * mcp_methods.c (the method table). Not for other modules. */
#ifndef ACK_MCP_INTERNAL_H
#define ACK_MCP_INTERNAL_H

#include "mcp.h"

#include <stdint.h>

#define MCP_MODERN_VERSION "2026-07-28"
#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_CLIENT "io.modelcontextprotocol/clientInfo"
#define META_LOGLEVEL "io.modelcontextprotocol/logLevel"
#define META_SERVER "io.modelcontextprotocol/serverInfo"
#define META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"

typedef struct mcp_batch mcp_batch_t;

/* One request being answered: where the answer goes and how to shape it. */
typedef struct mcp_req {
  mcp_session_t *s;
  json_t *id;               /* owned */
  char *method;
  char *tool;               /* tools/call: the tool, as logger of its messages */
  bool modern;
  bool has_log_level;       /* 2026-07-28: notifications/message only when asked */
  log_level_t log_level;
  json_t *progress_token;   /* owned or NULL */
  mcp_batch_t *batch;       /* 2025-03-26 batch this belongs to, or NULL */
  void *origin;             /* the transport's cookie for where answers go */
  host_call_t *call;        /* running tool call, or NULL */
  bool client_cancelled;
  bool listening;           /* subscriptions/listen that stays open */
  json_t *listen_filter;    /* its filter: which notifications */
  uint64_t started;         /* uv_hrtime at dispatch, for latency metrics */
  struct mcp_req *prev, *next;
} mcp_req_t;

/* A server-to-client request waiting for its answer (legacy elicitation). */
typedef struct mcp_outreq {
  json_int_t id;
  char *key;                /* the ask it answers */
  mcp_req_t *req;
  struct mcp_outreq *next;
} mcp_outreq_t;

struct mcp_batch {
  json_t *responses;
  int outstanding;
  void *origin;
};

struct mcp_session {
  mcp_t *m;
  const mcp_transport_t *t;
  void *tctx;
  bool initialized;         /* legacy: initialize answered */
  bool closed;
  int busy;                 /* > 0 while a loop walks it: not freed under its feet */
  char version[16];         /* negotiated legacy revision */
  json_t *client_caps;      /* legacy, from initialize */
  json_t *subscriptions;    /* resources/subscribe: uri -> true */
  json_t *credentials;      /* per-request cloud credentials, or NULL */
  log_level_t log_level;    /* legacy logging/setLevel */
  mcp_req_t *reqs;          /* in flight */
  mcp_outreq_t *outreqs;
  json_int_t next_out_id;
  int nreqs;
  struct mcp_session *prev, *next;
};

struct mcp {
  const config_t *cfg;
  lua_host_t *host;
  registry_t *reg;
  metrics_t *metrics;
  mcp_session_t *sessions;
  int active_calls;
  bool draining;
};

typedef json_t *(*mcp_method_fn)(mcp_req_t *r, json_t *params, int *code, char *msg, size_t msglen);

/* The method table lookup. Returns NULL when unknown. flags: see mcp_methods.c. */
typedef struct mcp_method {
  const char *name;
  mcp_method_fn fn;
  unsigned flags;
} mcp_method_t;

enum {
  M_LEGACY = 1,     /* served in the legacy era */
  M_MODERN = 2,     /* served to 2026-07-28 requests */
  M_BEFORE_INIT = 4,/* allowed before initialize */
  M_CACHEABLE = 8,  /* 2026-07-28: result carries ttlMs/cacheScope */
};

const mcp_method_t *mcp_method_find(const char *name);

/* Replies. A handler returns a result (stolen), or NULL with *code/msg set, or NULL with
 * *code == 0 when it answers later through mcp_reply_result/mcp_reply_error. */
void mcp_reply_result(mcp_req_t *r, json_t *result);
void mcp_reply_error(mcp_req_t *r, int code, const char *message, json_t *data);
/* Ends r without an answer (cancelled by the client). */
void mcp_reply_none(mcp_req_t *r);
/* Sends a message on the session (stolen); see mcp_transport_t for origin and final. */
void mcp_send(mcp_session_t *s, json_t *msg, void *origin, bool final);
/* Sends a notification related to request r (progress, log). */
void mcp_notify(mcp_req_t *r, const char *method, json_t *params);
/* The serverInfo object (new reference). */
json_t *mcp_server_info(void);
/* The capabilities the server declares (new reference). */
json_t *mcp_capabilities(const mcp_t *m);
/* The legacy revision initialize answers with: the client's if supported, else the latest. */
const char *mcp__negotiate(const char *requested);

#endif
