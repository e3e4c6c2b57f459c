/* log.c: stderr logger with secret masking.
 * The logger is process-wide like stderr itself, so its state is the one file-scope
 * mutable object in the core; everything else hangs off the server context. */
#include "log.h"

#include "ack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_MAX_SECRETS 256
#define LOG_PINNED_SECRETS 16 /* the first ones (settings) are never dropped */

static struct {
  log_level_t level;
  char *secrets[LOG_MAX_SECRETS];
  int nsecrets;
} logger = { LOG_INFO, { 0 }, 0 };

static const char *const level_names[] = {
  "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"
};

int log_level_parse(const char *name, log_level_t *out) {
  if (!name) return ACK_EINVAL;
  for (size_t i = 0; i < ACK_ARRAY_LEN(level_names); i++) {
    if (strcasecmp(name, level_names[i]) == 0) {
      *out = (log_level_t)i;
      return 0;
    }
  }
  if (strcasecmp(name, "warn") == 0) { *out = LOG_WARNING; return 0; }
  if (strcasecmp(name, "fatal") == 0) { *out = LOG_CRITICAL; return 0; }
  return ACK_EINVAL;
}

const char *log_level_name(log_level_t level) {
  return (unsigned)level < ACK_ARRAY_LEN(level_names) ? level_names[level] : "info";
}

void log_set_level(log_level_t level) { logger.level = level; }
log_level_t log_get_level(void) { return logger.level; }

void log_add_secret(const char *secret) {
  if (!secret || strlen(secret) < 4) return;
  for (int i = 0; i < logger.nsecrets; i++)
    if (strcmp(logger.secrets[i], secret) == 0) return;
  if (logger.nsecrets == LOG_MAX_SECRETS) {
    /* Rotating credentials (token files, plugins, STS) keep coming: the oldest of those
     * goes, being the one least likely still in use; the settings' secrets stay. */
    free(logger.secrets[LOG_PINNED_SECRETS]);
    memmove(&logger.secrets[LOG_PINNED_SECRETS], &logger.secrets[LOG_PINNED_SECRETS + 1],
            (LOG_MAX_SECRETS - LOG_PINNED_SECRETS - 1) * sizeof logger.secrets[0]);
    logger.nsecrets--;
  }
  logger.secrets[logger.nsecrets++] = ack_strdup(secret);
}

void log_scrub(char *buf) {
  for (int i = 0; i < logger.nsecrets; i++) {
    size_t n = strlen(logger.secrets[i]);
    for (char *p = strstr(buf, logger.secrets[i]); p; p = strstr(p + n, logger.secrets[i]))
      memset(p, '*', n);
  }
}

void log_vmsg(log_level_t level, const char *fmt, va_list ap) {
  if (level < logger.level) return;
  char line[4096];
  vsnprintf(line, sizeof line, fmt, ap);
  log_scrub(line);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  /* One fprintf per line keeps lines whole when stderr is shared. */
  fprintf(stderr, "%s.%03ldZ %-7s %s\n", stamp, ts.tv_nsec / 1000000L, log_level_name(level), line);
}

void log_msg(log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(level, fmt, ap);
  va_end(ap);
}
