/* server.h: wires the loop, the Lua host, the tool registry, the MCP dispatcher and the
 * transport together, and owns start-up, signals, reload and graceful shutdown. */
#ifndef ACK_SERVER_H
#define ACK_SERVER_H

#include "config.h"

/* A one-shot command instead of serving: `ack-mcp-server tools check|list|call NAME [JSON]`. */
typedef struct server_cli {
  const char *verb;  /* "check", "list" or "call" */
  const char *name;  /* call: the tool */
  const char *args;  /* call: its arguments as JSON text, or NULL */
} server_cli_t;

/* Runs the server until stdin ends or a signal stops it, or (cli not NULL) runs one tools
 * command with the same configuration. Returns the process exit code. */
int server_run(config_t *cfg, const server_cli_t *cli);

#endif
