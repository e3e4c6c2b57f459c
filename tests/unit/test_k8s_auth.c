/* test_k8s_auth.c: credentials of a target on the loop: static and anonymous, token file
 * rotation, exec plugins (tests/fixtures/kubeconfig/exec-plugin.sh) with caching, sharing,
 * expiry, failures, timeout, cancel and free while running. */
#include "k8s_auth.h"
#include "ack.h"
#include "test.h"

#include <jansson.h>

#include <stdlib.h>
#include <unistd.h>

#define PLUGIN ACK_SOURCE_DIR "/tests/fixtures/kubeconfig/exec-plugin.sh"

/* What one callback saw. */
typedef struct seen {
  int calls;
  char token[256], cert[256], key[256], err[512];
  bool had_creds;
} seen_t;

static void on_creds(void *ud, const k8s_creds_t *c, const char *err) {
  seen_t *s = ud;
  s->calls++;
  s->had_creds = c != NULL;
  snprintf(s->err, sizeof s->err, "%s", err ? err : "");
  snprintf(s->token, sizeof s->token, "%s", c && c->token ? c->token : "");
  snprintf(s->cert, sizeof s->cert, "%.*s", c && c->cert_pem ? (int)c->cert_len : 0, c && c->cert_pem ? c->cert_pem : "");
  snprintf(s->key, sizeof s->key, "%.*s", c && c->key_pem ? (int)c->key_len : 0, c && c->key_pem ? c->key_pem : "");
}

/* A scratch directory per test, removed by done(). */
typedef struct fixture {
  uv_loop_t loop;
  k8s_auth_t *a;
  char dir[64];
  char counter[128];
} fixture_t;

static void setup(fixture_t *f) {
  uv_loop_init(&f->loop);
  f->a = k8s_auth_new(&f->loop);
  snprintf(f->dir, sizeof f->dir, "/tmp/k8s-auth-XXXXXX");
  if (!mkdtemp(f->dir)) perror("mkdtemp");
  snprintf(f->counter, sizeof f->counter, "%s/runs", f->dir);
}

/* Frees the auth object, lets the loop close its handles, checks nothing is left. */
static int done(fixture_t *f) {
  k8s_auth_free(f->a);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&f->loop);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  if (system(cmd) != 0) rc = -1;
  return rc;
}

static int runs(const fixture_t *f) {
  FILE *fp = fopen(f->counter, "r");
  if (!fp) return 0;
  int n = 0, c;
  while ((c = fgetc(fp)) != EOF) n += c == '\n';
  fclose(fp);
  return n;
}

/* A target whose user runs the plugin with args (NULL-terminated, after the counter). */
typedef struct exec_target {
  kube_target_t t;
  kube_exec_t x;
  char *args[16];
  char *env[4];
} exec_target_t;

static void exec_target(exec_target_t *et, const fixture_t *f, const char *const *args) {
  memset(et, 0, sizeof *et);
  et->t.name = "ctx";
  et->t.user_name = "plugin-user";
  et->t.server = "https://127.0.0.1:6443";
  et->t.exec = &et->x;
  et->x.command = PLUGIN;
  et->x.api_version = "client.authentication.k8s.io/v1beta1";
  int n = 0;
  et->args[n++] = "--counter";
  et->args[n++] = (char *)f->counter;
  for (; args && *args && n < 15; args++) et->args[n++] = (char *)*args;
  et->x.args = et->args;
  et->x.env = et->env;
}

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  if (fp) {
    fputs(text, fp);
    fclose(fp);
  }
}

TEST(k8s_auth_static_token_and_anonymous_answer_at_once) {
  fixture_t f;
  setup(&f);
  kube_target_t t = { .name = "x", .token = "static-token-1234" };
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &t, on_creds, &s) == NULL);
  CHECK(s.calls == 1 && s.had_creds);
  CHECK_STR(s.token, "static-token-1234");
  kube_target_t anon = { .name = "y", .cert_data = "PEM", .cert_len = 3 };
  seen_t s2 = { 0 };
  CHECK(k8s_auth_get(f.a, &anon, on_creds, &s2) == NULL);
  CHECK(s2.calls == 1 && s2.had_creds);
  CHECK_STR(s2.token, ""); /* static certificates stay on the target */
  CHECK_STR(s2.cert, "");
  kube_target_t gcp = { .name = "z", .auth_provider = "gcp" };
  seen_t s3 = { 0 };
  CHECK(k8s_auth_get(f.a, &gcp, on_creds, &s3) == NULL);
  CHECK(s3.calls == 1 && !s3.had_creds);
  CHECK_CONTAINS(s3.err, "auth-provider gcp is not supported; use an exec plugin");
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_token_file_is_reread_when_it_rotates) {
  fixture_t f;
  setup(&f);
  char path[128], tmp[128];
  snprintf(path, sizeof path, "%s/token", f.dir);
  snprintf(tmp, sizeof tmp, "%s/token.new", f.dir);
  kube_target_t t = { .name = "x", .token_file = path, .token = "ignored-static" };
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &t, on_creds, &s) == NULL);
  CHECK_CONTAINS(s.err, "token file ");
  CHECK_CONTAINS(s.err, "No such file or directory");
  write_text(path, "first-token\n");
  CHECK(k8s_auth_get(f.a, &t, on_creds, &s) == NULL);
  CHECK_STR(s.token, "first-token");
  /* The kubelet's way: a new file renamed over the old one (same size, new inode). */
  write_text(tmp, "other-token\n");
  CHECK(rename(tmp, path) == 0);
  CHECK(k8s_auth_get(f.a, &t, on_creds, &s) == NULL);
  CHECK_STR(s.token, "other-token");
  /* Rewritten in place, longer. */
  write_text(path, "  third-token-longer  \n");
  CHECK(k8s_auth_get(f.a, &t, on_creds, &s) == NULL);
  CHECK_STR(s.token, "third-token-longer");
  write_text(path, "\n");
  CHECK(k8s_auth_get(f.a, &t, on_creds, &s) == NULL);
  CHECK_CONTAINS(s.err, "is empty");
  CHECK(s.calls == 5);
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_exec_runs_once_and_caches_until_expiry) {
  fixture_t f;
  setup(&f);
  static const char *const args[] = { "--token", "exec-token-1", "--ttl", "3600", NULL };
  exec_target_t et;
  exec_target(&et, &f, args);
  seen_t s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
  /* Two requests before the plugin answers share one run. */
  k8s_auth_req_t *r1 = k8s_auth_get(f.a, &et.t, on_creds, &s1);
  k8s_auth_req_t *r2 = k8s_auth_get(f.a, &et.t, on_creds, &s2);
  CHECK(r1 != NULL && r2 != NULL);
  CHECK(s1.calls == 0);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(s1.calls == 1 && s2.calls == 1);
  CHECK_STR(s1.token, "exec-token-1");
  CHECK_STR(s2.token, "exec-token-1");
  CHECK(runs(&f) == 1);
  /* Cached: answered at once. Another context with the same user shares it. */
  exec_target_t other;
  exec_target(&other, &f, args);
  other.t.name = "other-ctx";
  CHECK(k8s_auth_get(f.a, &other.t, on_creds, &s3) == NULL);
  CHECK_STR(s3.token, "exec-token-1");
  CHECK(runs(&f) == 1);
  /* After a 401: run again. */
  k8s_auth_invalidate(f.a, &et.t);
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s3) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(s3.calls == 2);
  CHECK(runs(&f) == 2);
  /* A token expiring within the margin is used once, then the plugin runs again. */
  static const char *const short_args[] = { "--token", "short-lived", "--ttl", "5", NULL };
  exec_target_t st;
  exec_target(&st, &f, short_args);
  seen_t s4 = { 0 };
  CHECK(k8s_auth_get(f.a, &st.t, on_creds, &s4) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_STR(s4.token, "short-lived");
  CHECK(k8s_auth_get(f.a, &st.t, on_creds, &s4) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(s4.calls == 2);
  CHECK(runs(&f) == 4);
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_exec_gets_env_and_cluster_info_and_returns_certs) {
  fixture_t f;
  setup(&f);
  char dump[128];
  snprintf(dump, sizeof dump, "%s/env.json", f.dir);
  const char *args[] = { "--cert", "--no-token", "--dump-env", dump, NULL };
  exec_target_t et;
  exec_target(&et, &f, args);
  et.env[0] = "PLUGIN_MODE=from-kubeconfig";
  et.x.api_version = "client.authentication.k8s.io/v1";
  et.x.provide_cluster_info = true;
  et.t.ca_data = "CA PEM";
  et.t.ca_len = 6;
  et.t.tls_server_name = "api.internal";
  setenv("PLUGIN_MODE", "inherited", 1);
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  unsetenv("PLUGIN_MODE");
  CHECK(s.calls == 1);
  CHECK_STR(s.err, "");
  CHECK_STR(s.token, "");
  CHECK_STR(s.cert, "-----BEGIN CERTIFICATE-----\nplugin cert\n-----END CERTIFICATE-----\n");
  CHECK_STR(s.key, "-----BEGIN EC PRIVATE KEY-----\nplugin key\n-----END EC PRIVATE KEY-----\n");
  json_error_t je;
  json_t *j = json_load_file(dump, 0, &je);
  CHECK(j != NULL);
  char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(j);
  CHECK_STR(text, "{\"exec_info\":{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                  "\"spec\":{\"cluster\":{\"certificate-authority-data\":\"Q0EgUEVN\",\"server\":\"https://127.0.0.1:6443\","
                  "\"tls-server-name\":\"api.internal\"},\"interactive\":false}},\"plugin_mode\":\"from-kubeconfig\"}");
  free(text);
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_exec_failures_are_precise) {
  fixture_t f;
  setup(&f);
  static const struct {
    const char *args[8];
    const char *want;
  } cases[] = {
    { { "--exit", "3", "--stderr", "  boom: credentials expired  ", NULL }, "/exec-plugin.sh: exit 3: boom: credentials expired" },
    { { "--garbage", NULL }, "output is not an ExecCredential (invalid JSON at line 1, column 4)" },
    { { "--big", NULL }, "output larger than 1 MiB" },
    { { "--no-token", NULL }, "has neither a token nor a client certificate" },
    { { "--api-version", "client.authentication.k8s.io/v1alpha1", NULL },
      "answered apiVersion client.authentication.k8s.io/v1alpha1, expected client.authentication.k8s.io/v1beta1" },
  };
  for (size_t i = 0; i < ACK_ARRAY_LEN(cases); i++) {
    exec_target_t et;
    exec_target(&et, &f, cases[i].args);
    seen_t s = { 0 };
    CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) != NULL);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    CHECK(s.calls == 1 && !s.had_creds);
    CHECK_CONTAINS(s.err, cases[i].want);
  }
  /* Failures are not cached: the next request runs the plugin again. */
  int before = runs(&f);
  exec_target_t et;
  exec_target(&et, &f, cases[0].args);
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(runs(&f) == before + 1);
  /* Refused before running. */
  et.x.api_version = NULL;
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) == NULL);
  CHECK_CONTAINS(s.err, "apiVersion (missing) is not supported");
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_exec_missing_command_names_the_hint) {
  fixture_t f;
  setup(&f);
  exec_target_t et;
  exec_target(&et, &f, NULL);
  et.x.command = "ack-no-such-plugin";
  et.x.install_hint = "Install it with: brew install ack-no-such-plugin";
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) == NULL);
  CHECK(s.calls == 1);
  CHECK_STR(s.err, "exec plugin ack-no-such-plugin: not found. Install it with: brew install ack-no-such-plugin");
  et.x.command = "/nonexistent/dir/plugin";
  et.x.install_hint = NULL;
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) == NULL);
  CHECK_STR(s.err, "exec plugin /nonexistent/dir/plugin: not found");
  /* Found in PATH: sh running the fixture. */
  char *args[] = { PLUGIN, "--token", "via-path", NULL };
  et.x.command = "sh";
  et.x.args = args;
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_STR(s.token, "via-path");
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_exec_timeout_kills_the_plugin) {
  fixture_t f;
  setup(&f);
  k8s_auth_set_exec_timeout(f.a, 0.3);
  static const char *const args[] = { "--sleep", "60", NULL };
  exec_target_t et;
  exec_target(&et, &f, args);
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT); /* returns: the plugin was killed, nothing else waits */
  CHECK(s.calls == 1);
  CHECK_STR(s.err, "exec plugin " PLUGIN ": timed out after 0.3 s");
  CHECK(done(&f) == 0);
}

TEST(k8s_auth_exec_child_holding_the_pipe_does_not_stall) {
  fixture_t f;
  setup(&f);
  /* The plugin answers and exits, but a child it left keeps stdout open for 5 s: the
   * answer is used once the plugin has exited (after a short grace), not timed out at 3 s. */
  k8s_auth_set_exec_timeout(f.a, 3);
  static const char *const args[] = { "--linger", "5", "--token", "lingered", NULL };
  exec_target_t et;
  exec_target(&et, &f, args);
  seen_t s = { 0 };
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s) != NULL);
  while (s.calls == 0) uv_run(&f.loop, UV_RUN_ONCE);
  CHECK_STR(s.err, "");
  CHECK_STR(s.token, "lingered");
  CHECK(done(&f) == 0);
}

/* Cancels the request whose address is in ud, then records like on_creds. */
typedef struct canceller {
  seen_t seen;
  k8s_auth_req_t *victim;
  k8s_auth_t *free_me;
} canceller_t;

static void cancel_other(void *ud, const k8s_creds_t *c, const char *err) {
  canceller_t *x = ud;
  on_creds(&x->seen, c, err);
  if (x->victim) k8s_auth_cancel(x->victim);
  if (x->free_me) k8s_auth_free(x->free_me);
}

TEST(k8s_auth_cancel_and_free_while_running) {
  fixture_t f;
  setup(&f);
  static const char *const args[] = { "--token", "after-cancel", NULL };
  exec_target_t et;
  exec_target(&et, &f, args);
  seen_t s1 = { 0 }, s2 = { 0 };
  k8s_auth_req_t *r = k8s_auth_get(f.a, &et.t, on_creds, &s1);
  CHECK(r != NULL);
  k8s_auth_cancel(r);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(s1.calls == 0);
  /* The run finished anyway and was cached. */
  CHECK(k8s_auth_get(f.a, &et.t, on_creds, &s2) == NULL);
  CHECK_STR(s2.token, "after-cancel");
  CHECK(runs(&f) == 1);

  /* Two waiters of one run that each cancel the other: whichever is called first, the
   * other is never called. */
  k8s_auth_invalidate(f.a, &et.t);
  canceller_t x = { 0 }, y = { 0 };
  k8s_auth_req_t *rx = k8s_auth_get(f.a, &et.t, cancel_other, &x);
  k8s_auth_req_t *ry = k8s_auth_get(f.a, &et.t, cancel_other, &y);
  CHECK(rx && ry);
  x.victim = ry;
  y.victim = rx;
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(x.seen.calls + y.seen.calls == 1);
  CHECK(runs(&f) == 2);

  /* Freed with a plugin running and a request waiting: no callback, no leak, loop closes. */
  static const char *const slow[] = { "--sleep", "60", NULL };
  exec_target_t st;
  exec_target(&st, &f, slow);
  seen_t s3 = { 0 };
  CHECK(k8s_auth_get(f.a, &st.t, on_creds, &s3) != NULL);
  CHECK(done(&f) == 0);
  CHECK(s3.calls == 0);
}

TEST(k8s_auth_free_inside_a_callback) {
  fixture_t f;
  setup(&f);
  static const char *const args[] = { "--token", "x-token", NULL };
  exec_target_t et;
  exec_target(&et, &f, args);
  /* Two waiters; the first called frees the auth object: the other is never called. */
  canceller_t x = { .free_me = f.a }, y = { .free_me = f.a };
  CHECK(k8s_auth_get(f.a, &et.t, cancel_other, &x) != NULL);
  CHECK(k8s_auth_get(f.a, &et.t, cancel_other, &y) != NULL);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(x.seen.calls + y.seen.calls == 1);
  CHECK_STR(x.seen.calls ? x.seen.token : y.seen.token, "x-token");
  f.a = NULL;
  CHECK(done(&f) == 0);
}

RUN_TESTS(T(k8s_auth_static_token_and_anonymous_answer_at_once), T(k8s_auth_token_file_is_reread_when_it_rotates),
          T(k8s_auth_exec_runs_once_and_caches_until_expiry), T(k8s_auth_exec_gets_env_and_cluster_info_and_returns_certs),
          T(k8s_auth_exec_failures_are_precise), T(k8s_auth_exec_missing_command_names_the_hint),
          T(k8s_auth_exec_timeout_kills_the_plugin), T(k8s_auth_exec_child_holding_the_pipe_does_not_stall), T(k8s_auth_cancel_and_free_while_running),
          T(k8s_auth_free_inside_a_callback))
