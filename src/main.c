/* main.c: parse the configuration, then run the server. Exit 2 on a bad command line. */
#include "ack.h"
#include "config.h"
#include "log.h"
#include "server.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

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
  /* A shared listener holds a descriptor per connection: the usual soft limit of 1024 would
   * refuse connections long before --max-sessions. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread or handle exists */
  rc = server_run(&cfg);
  curl_global_cleanup();
  config_free(&cfg);
  return rc;
}
