/* main.c: parse the configuration, then run the server. Exit 2 on a bad command line. */
#include "ack.h"
#include "config.h"
#include "log.h"
#include "server.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* `tools VERB [NAME [JSON]]` before the flags: takes the positional words out of argv so
 * the flags parse as for the server. Returns the number of words taken (0: not a command). */
static int take_cli(int argc, char **argv, server_cli_t *cli, char *err, size_t errlen) {
  if (argc < 2 || strcmp(argv[1], "tools") != 0) return 0;
  if (argc < 3 || (strcmp(argv[2], "check") && strcmp(argv[2], "list") && strcmp(argv[2], "call"))) {
    snprintf(err, errlen, "usage: ack-mcp-server tools check|list|call NAME ['{json args}'] [flags]");
    return -1;
  }
  cli->verb = argv[2];
  int taken = 2;
  if (strcmp(cli->verb, "call") == 0) {
    if (argc < 4 || argv[3][0] == '-') {
      snprintf(err, errlen, "tools call needs a tool name");
      return -1;
    }
    cli->name = argv[3];
    taken = 3;
    if (argc > 4 && argv[4][0] != '-') {
      cli->args = argv[4];
      taken = 4;
    }
  }
  return taken;
}

int main(int argc, char **argv) {
  config_t cfg = { 0 };
  char err[512] = "";
  server_cli_t cli = { 0 };
  int taken = take_cli(argc, argv, &cli, err, sizeof err);
  if (taken < 0) {
    fprintf(stderr, "%s: %s\n", ACK_NAME, err);
    return 2;
  }
  if (taken > 0) { /* drop the command words: argv[0] stays, the flags follow */
    for (int i = 1; i + taken < argc; i++) argv[i] = argv[i + taken];
    argc -= taken;
  }
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
  /* A shared listener holds a descriptor per connection: the usual soft limit of 1024 would
   * refuse connections long before --max-sessions. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread or handle exists */
  rc = server_run(&cfg, taken > 0 ? &cli : NULL);
  curl_global_cleanup();
  config_free(&cfg);
  return rc;
}
