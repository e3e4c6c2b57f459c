/* log.h: leveled logging to stderr (stdout belongs to the MCP stdio transport).
 * Levels are MCP's syslog levels so one value drives both stderr and notifications/message.
 * Registered secrets are masked in every line, so a credential can never reach a log. */
#ifndef ACK_LOG_H
#define ACK_LOG_H

#include <stdarg.h>

typedef enum {
  LOG_DEBUG = 0, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERROR, LOG_CRITICAL, LOG_ALERT, LOG_EMERGENCY
} log_level_t;

/* Parses an MCP/syslog level name, case-insensitive; also accepts "warn", "fatal" and
 * Python's "WARNING"/"CRITICAL". Returns 0 and sets *out, or ACK_EINVAL. */
int log_level_parse(const char *name, log_level_t *out);
/* Returns the MCP wire name of a level ("warning"). */
const char *log_level_name(log_level_t level);

void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* Masks every later occurrence of secret (copied; strings shorter than 4 bytes are ignored
 * because masking them would mangle ordinary text). Up to 256 are kept; past that the oldest
 * beyond the first 16 (the settings' own) make room for new ones. */
void log_add_secret(const char *secret);

void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(log_level_t level, const char *fmt, va_list ap);
/* Replaces every registered secret in buf (NUL-terminated, edited in place) with '*'. */
void log_scrub(char *buf);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
