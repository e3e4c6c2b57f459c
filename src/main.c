/* main.c: parse the configuration, then run the server. Exit 2 on a bad command line. */
#include "ack.h"
#include "config.h"
#include "log.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv) {
  config_t cfg = { 0 };
  char err[512] = "";
  int rc = config_load(&cfg, argc, argv, err, sizeof err);
  if (rc == CONFIG_EXIT_OK) {
    config_free(&cfg);
    return 0;
  }
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", ACK_NAME, err);
    config_free(&cfg);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* a client that goes away must not kill us mid-write */
  rc = server_run(&cfg);
  config_free(&cfg);
  return rc;
}
