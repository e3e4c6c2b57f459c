/* server.h: wires the loop, the Lua host, the tool registry, the MCP dispatcher and the
 * transport together, and owns start-up, signals, reload and graceful shutdown. */
#ifndef ACK_SERVER_H
#define ACK_SERVER_H

#include "config.h"

/* Runs the server until stdin ends or a signal stops it. Returns the process exit code. */
int server_run(config_t *cfg);

#endif
