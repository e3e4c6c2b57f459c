/* aliyun_creds.h: where the Alibaba Cloud bridge gets its AccessKey (reference:
 * aliyun-signing.md §6-§7). The default chain, first source that yields credentials wins:
 *
 *   config          --access-key-id/--access-key-secret, ACCESS_KEY_ID/ACCESS_KEY_SECRET
 *                   (upstream's names, read by config.c)
 *   env             ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (+ _SECURITY_TOKEN)
 *   rrsa            ALIBABA_CLOUD_ROLE_ARN + _OIDC_PROVIDER_ARN + _OIDC_TOKEN_FILE: STS
 *                   AssumeRoleWithOIDC (unsigned), the token file re-read on every refresh
 *   cli_profile     ~/.aliyun/config.json (ALIBABA_CLOUD_PROFILE or "current"; modes AK,
 *                   StsToken, RamRoleArn, EcsRamRole, OIDC)
 *   profile         ~/.alibabacloud/credentials or ALIBABA_CLOUD_CREDENTIALS_FILE, INI section
 *                   ALIBABA_CLOUD_PROFILE or "default" (types access_key, sts, ram_role_arn,
 *                   ecs_ram_role, oidc_role_arn)
 *   credentials_uri ALIBABA_CLOUD_CREDENTIALS_URI: GET returns the metadata JSON shape
 *   ecs_ram_role    the ECS metadata service with an IMDSv2 token (role name from
 *                   ALIBABA_CLOUD_ECS_METADATA or discovered); off with
 *                   ALIBABA_CLOUD_ECS_METADATA_DISABLED=true
 *
 * The winning source is kept: session credentials (STS) are refreshed from it in the
 * background once inside the refresh margin (min(5 min, 10 % of their lifetime) before they
 * expire) and callers wait only when nothing valid is at hand; one fetch runs at a time and
 * every caller that needs it waits for that one. Secrets are registered with the logger
 * (log_add_secret) as they are learnt, and never formatted into a message.
 *
 * Ownership: aliyun_creds_t is owned by the bridge (aliyun_client.c); a waiter is embedded
 * in its owner's struct and belongs to the module between aliyun_creds_get returning 1 and
 * its callback or aliyun_creds_unwait. */
#ifndef ACK_ALIYUN_CREDS_H
#define ACK_ALIYUN_CREDS_H

#include "http_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* One set of credentials. Strings are owned by whoever made the struct. */
typedef struct aliyun_credential {
  char *access_key_id;
  char *access_key_secret;
  char *security_token;  /* NULL unless STS credentials */
  double expiration;     /* Unix seconds; 0: does not expire (or unknown) */
  double obtained;       /* Unix seconds when fetched */
  const char *source;    /* static: "config", "env", "rrsa", "profile", ... or "request" */
} aliyun_credential_t;

typedef struct aliyun_creds aliyun_creds_t;

typedef struct aliyun_creds_opts {
  const char *access_key_id, *access_key_secret; /* from config, or NULL */
  const char *sts_url;       /* STS base URL (scheme://host[:port]), e.g. https://sts.aliyuncs.com */
  const char *metadata_url;  /* ECS metadata base URL, e.g. http://100.100.100.200 */
  double timeout;            /* seconds per STS / credentials-URI request */
} aliyun_creds_opts_t;

/* Called once with the credentials (borrowed: valid during the callback) or, on failure,
 * cred NULL and code ("NoCredentials", ...) and message set. */
typedef void (*aliyun_creds_cb)(void *ud, const aliyun_credential_t *cred, const char *code, const char *message);

typedef struct aliyun_creds_waiter {
  aliyun_creds_cb cb;
  void *ud;
  aliyun_creds_t *owner;
  struct aliyun_creds_waiter *prev, *next;
} aliyun_creds_waiter_t;

aliyun_creds_t *aliyun_creds_new(uv_loop_t *loop, http_client_t *http, const aliyun_creds_opts_t *o);
/* Aborts a fetch in flight; waiters get no callback (their owners are gone by then). */
void aliyun_creds_free(aliyun_creds_t *c);

/* Returns 0 with *out set (borrowed until control returns to the loop) when credentials are
 * at hand; 1 when w waits for a fetch (cb fires later, never from inside this call); or
 * ACK_ENOENT when no source has any, with the reason (naming every setting tried) in err. */
int aliyun_creds_get(aliyun_creds_t *c, aliyun_creds_waiter_t *w, aliyun_creds_cb cb, void *ud,
                     const aliyun_credential_t **out, char *err, size_t errlen);
/* Stops waiting: no callback will come. A no-op for a waiter that is not waiting. */
void aliyun_creds_unwait(aliyun_creds_waiter_t *w);
/* The cloud said the credentials with this id are no longer valid (an expired STS token):
 * forget them so the next get fetches fresh ones. Returns whether that can help (the source
 * refreshes; static credentials cannot). */
bool aliyun_creds_invalidate(aliyun_creds_t *c, const char *access_key_id);

/* ---- pieces, exposed for the unit tests ------------------------------------------------ */

/* "LTAI5tSim...0001" -> "LTAI****0001": at most a quarter of the id (and no more than 4
 * characters) at each end; short ids show less. */
void aliyun_mask_id(const char *id, char *out, size_t outlen);
/* Seconds before expiration at which a refresh starts: min(300, 10 % of the lifetime). */
double aliyun_refresh_margin(const aliyun_credential_t *cred);
/* Whether cred can be used at `now` without a refresh (no expiration, or outside the margin). */
bool aliyun_cred_fresh(const aliyun_credential_t *cred, double now);
/* Whether cred has not yet expired at `now` (usable while a refresh runs). */
bool aliyun_cred_valid(const aliyun_credential_t *cred, double now);
/* "2024-01-02T03:04:05Z" (also with fraction or "+00:00") -> Unix seconds, or -1. */
double aliyun_parse_iso8601(const char *s);

/* A profile of a credentials file or the CLI config, in the credentials-file vocabulary. */
typedef struct aliyun_profile {
  char *type;  /* access_key, sts, ram_role_arn, ecs_ram_role, oidc_role_arn */
  char *access_key_id, *access_key_secret, *security_token;
  char *role_arn, *role_session_name, *policy, *external_id, *sts_region;
  char *role_name;                          /* ecs_ram_role */
  char *oidc_provider_arn, *oidc_token_file; /* oidc_role_arn */
} aliyun_profile_t;

/* Parses INI text (~/.alibabacloud/credentials) and fills *out from section `name`.
 * Returns 0, ACK_ENOENT (no such section), or ACK_EINVAL (the section is unusable) with a
 * message in err naming the missing key or the unsupported type. */
int aliyun_profile_parse_ini(const char *text, const char *name, aliyun_profile_t *out, char *err, size_t errlen);
/* The same for the CLI's JSON config (~/.aliyun/config.json); name NULL: its "current". */
int aliyun_profile_parse_cli(const char *text, const char *name, aliyun_profile_t *out, char *err, size_t errlen);
void aliyun_profile_free(aliyun_profile_t *p);

#endif
