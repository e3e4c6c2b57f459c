/* test_aliyun_creds.c: the Alibaba Cloud credential chain without the network (settings,
 * environment, profile files, what a failure says), masking and refresh margins, and the
 * bridge's request classes (read / job / write) and setting checks. Sources that need the
 * network (STS, the metadata service) are covered end to end in tests/e2e/aliyun_bridge.test.js. */
#include "ack.h"
#include "aliyun_client.h"
#include "aliyun_creds.h"
#include "config.h"
#include "gate.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#define SECRET "Sup3rSecretValue-0123456789"

/* Every variable the chain reads, cleared so the developer's shell cannot leak in. */
static void clean_env(const char *home) {
  static const char *const names[] = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_URI",
    "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "ALIBABA_CLOUD_ROLE_SESSION_NAME",
  };
  for (size_t i = 0; i < ACK_ARRAY_LEN(names); i++) unsetenv(names[i]);
  setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true", 1); /* never probe 100.100.100.200 */
  setenv("HOME", home, 1);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

typedef struct fixture {
  uv_loop_t loop;
  http_client_t *http;
  aliyun_creds_t *creds;
} fixture_t;

static void fx_open(fixture_t *f, const char *id, const char *secret) {
  uv_loop_init(&f->loop);
  f->http = http_client_new(&f->loop);
  aliyun_creds_opts_t o = { id, secret, "http://127.0.0.1:1", "http://127.0.0.1:1", 1 };
  f->creds = aliyun_creds_new(&f->loop, f->http, &o);
}

static void fx_close(fixture_t *f) {
  aliyun_creds_free(f->creds);
  http_client_free(f->http);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  uv_loop_close(&f->loop);
}

static void never(void *ud, const aliyun_credential_t *k, const char *code, const char *msg) {
  (void)ud, (void)k, (void)code, (void)msg;
  abort(); /* these tests only use sources answered at once */
}

/* Runs the chain once; returns the rc of aliyun_creds_get. */
static int get(fixture_t *f, const aliyun_credential_t **k, char *err, size_t errlen) {
  aliyun_creds_waiter_t w = { 0 };
  err[0] = '\0';
  return aliyun_creds_get(f->creds, &w, never, NULL, k, err, errlen);
}

TEST(mask_shows_a_quarter_at_most) {
  char out[64];
  aliyun_mask_id("LTAI5tSimFullAccess00001", out, sizeof out);
  CHECK_STR(out, "LTAI****0001");
  aliyun_mask_id("STS.NTabcdefghijklmnopqrstuvwxyz0123", out, sizeof out);
  CHECK_STR(out, "STS.****0123");
  aliyun_mask_id("testid", out, sizeof out);
  CHECK_STR(out, "t****d");
  aliyun_mask_id("abc", out, sizeof out);
  CHECK_STR(out, "****");
  aliyun_mask_id(NULL, out, sizeof out);
  CHECK_STR(out, "****");
}

TEST(refresh_margin_is_five_minutes_or_ten_percent) {
  aliyun_credential_t k = { .access_key_id = "STS.x", .obtained = 1000, .expiration = 1000 + 3600 };
  CHECK(aliyun_refresh_margin(&k) == 300);
  CHECK(aliyun_cred_fresh(&k, 1000 + 3600 - 301));
  CHECK(!aliyun_cred_fresh(&k, 1000 + 3600 - 299));
  CHECK(aliyun_cred_valid(&k, 1000 + 3600 - 1));
  CHECK(!aliyun_cred_valid(&k, 1000 + 3600));
  k.expiration = 1000 + 100; /* a short lifetime refreshes at 90 % */
  CHECK(aliyun_refresh_margin(&k) == 10);
  CHECK(aliyun_cred_fresh(&k, 1089) && !aliyun_cred_fresh(&k, 1091));
  aliyun_credential_t forever = { .access_key_id = "LTAIx" };
  CHECK(aliyun_cred_fresh(&forever, 1e12) && aliyun_cred_valid(&forever, 1e12));
  aliyun_credential_t none = { 0 };
  CHECK(!aliyun_cred_valid(&none, 0));
}

TEST(iso8601_expirations_parse_as_utc) {
  CHECK(aliyun_parse_iso8601("2024-01-02T03:04:05Z") == 1704164645);
  CHECK(aliyun_parse_iso8601("2024-01-02T03:04:05.123Z") == 1704164645);
  CHECK(aliyun_parse_iso8601("2024-01-02T03:04:05+00:00") == 1704164645);
  CHECK(aliyun_parse_iso8601("2024-01-02 03:04:05") == -1);
  CHECK(aliyun_parse_iso8601("2024-01-02T03:04:05+08:00") == -1);
  CHECK(aliyun_parse_iso8601(NULL) == -1);
}

TEST(ini_profiles_of_every_supported_type) {
  const char *ini = "# a comment\n"
                    "[default]\n"
                    "type = access_key\n"
                    "access_key_id = LTAIdefault0001\n"
                    "access_key_secret = \"" SECRET "\"\n"
                    "\n; another\n"
                    "[sts]\r\n"
                    "type=sts\r\naccess_key_id=STS.one\r\naccess_key_secret=s1\r\nsecurity_token=CAIS/x+y=\r\n"
                    "[role]\n"
                    "type = ram_role_arn\naccess_key_id = LTAIrole\naccess_key_secret = s2\n"
                    "role_arn = acs:ram::1:role/r\nrole_session_name = mine\n"
                    "[node]\ntype = ecs_ram_role\nrole_name = node-role\n"
                    "[oidc]\ntype = oidc_role_arn\nrole_arn = acs:ram::1:role/r\noidc_provider_arn = acs:ram::1:oidc-provider/p\n"
                    "oidc_token_file_path = /var/run/token\n";
  aliyun_profile_t p;
  char err[300];
  CHECK(aliyun_profile_parse_ini(ini, "default", &p, err, sizeof err) == 0);
  CHECK_STR(p.type, "access_key");
  CHECK_STR(p.access_key_id, "LTAIdefault0001");
  CHECK_STR(p.access_key_secret, SECRET);
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_ini(ini, "sts", &p, err, sizeof err) == 0);
  CHECK_STR(p.security_token, "CAIS/x+y=");
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_ini(ini, "role", &p, err, sizeof err) == 0);
  CHECK_STR(p.role_arn, "acs:ram::1:role/r");
  CHECK_STR(p.role_session_name, "mine");
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_ini(ini, "node", &p, err, sizeof err) == 0);
  CHECK_STR(p.role_name, "node-role");
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_ini(ini, "oidc", &p, err, sizeof err) == 0);
  CHECK_STR(p.oidc_token_file, "/var/run/token");
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_ini(ini, "missing", &p, err, sizeof err) == ACK_ENOENT);
  CHECK_CONTAINS(err, "no profile [missing]");
}

TEST(ini_profile_errors_name_the_key_never_the_secret) {
  aliyun_profile_t p;
  char err[300];
  CHECK(aliyun_profile_parse_ini("[default]\ntype = access_key\naccess_key_secret = " SECRET "\n", "default", &p, err, sizeof err) ==
        ACK_EINVAL);
  CHECK_CONTAINS(err, "has no access_key_id");
  CHECK(!strstr(err, SECRET));
  CHECK(aliyun_profile_parse_ini("[default]\ntype = rsa_key_pair\n", "default", &p, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "type rsa_key_pair is not supported");
  CHECK(aliyun_profile_parse_ini("[default]\nfoo = bar\n", "default", &p, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "has no type");
  /* id and secret without a type: an AccessKey, as the SDKs read it */
  CHECK(aliyun_profile_parse_ini("[default]\naccess_key_id = a\naccess_key_secret = b\n", "default", &p, err, sizeof err) == 0);
  CHECK_STR(p.type, "access_key");
  aliyun_profile_free(&p);
}

TEST(cli_config_profiles) {
  const char *cfg = "{\"current\":\"work\",\"profiles\":["
                    "{\"name\":\"default\",\"mode\":\"AK\",\"access_key_id\":\"LTAIdef\",\"access_key_secret\":\"s\"},"
                    "{\"name\":\"work\",\"mode\":\"StsToken\",\"access_key_id\":\"STS.w\",\"access_key_secret\":\"s\",\"sts_token\":\"tok\"},"
                    "{\"name\":\"role\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"LTAIr\",\"access_key_secret\":\"s\","
                    "\"ram_role_arn\":\"acs:ram::1:role/r\",\"ram_session_name\":\"n\",\"sts_region\":\"cn-beijing\"},"
                    "{\"name\":\"sso\",\"mode\":\"CloudSSO\"}]}";
  aliyun_profile_t p;
  char err[300];
  CHECK(aliyun_profile_parse_cli(cfg, NULL, &p, err, sizeof err) == 0);
  CHECK_STR(p.type, "sts");
  CHECK_STR(p.security_token, "tok");
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_cli(cfg, "role", &p, err, sizeof err) == 0);
  CHECK_STR(p.type, "ram_role_arn");
  CHECK_STR(p.sts_region, "cn-beijing");
  aliyun_profile_free(&p);
  CHECK(aliyun_profile_parse_cli(cfg, "sso", &p, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "mode CloudSSO is not supported");
  CHECK(aliyun_profile_parse_cli(cfg, "nope", &p, err, sizeof err) == ACK_ENOENT);
  CHECK(aliyun_profile_parse_cli("{not json", NULL, &p, err, sizeof err) == ACK_EINVAL);
}

TEST(chain_settings_win_over_the_environment) {
  clean_env("/nonexistent-home");
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIfromenv0001", 1);
  setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret", 1);
  fixture_t f;
  fx_open(&f, "LTAIfromflags001", SECRET);
  const aliyun_credential_t *k;
  char err[3000];
  CHECK(get(&f, &k, err, sizeof err) == 0);
  CHECK_STR(k->source, "config");
  CHECK_STR(k->access_key_id, "LTAIfromflags001");
  CHECK(k->expiration == 0 && !k->security_token);
  fx_close(&f);
  /* without settings the environment's AccessKey (and STS token) is used */
  setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "CAIS-token", 1);
  fx_open(&f, NULL, NULL);
  CHECK(get(&f, &k, err, sizeof err) == 0);
  CHECK_STR(k->source, "env");
  CHECK_STR(k->access_key_id, "LTAIfromenv0001");
  CHECK_STR(k->security_token, "CAIS-token");
  fx_close(&f);
}

TEST(chain_reads_the_profile_file) {
  char dir[] = "/tmp/ack-creds-XXXXXX";
  CHECK(mkdtemp(dir));
  clean_env(dir);
  char path[256];
  snprintf(path, sizeof path, "%s/creds.ini", dir);
  write_file(path, "[default]\ntype = access_key\naccess_key_id = LTAIdefault\naccess_key_secret = d\n"
                   "[ci]\ntype = sts\naccess_key_id = STS.ci\naccess_key_secret = c\nsecurity_token = t\n");
  setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", path, 1);
  setenv("ALIBABA_CLOUD_PROFILE", "ci", 1);
  fixture_t f;
  fx_open(&f, NULL, NULL);
  const aliyun_credential_t *k;
  char err[3000];
  CHECK(get(&f, &k, err, sizeof err) == 0);
  CHECK_STR(k->source, "profile");
  CHECK_STR(k->access_key_id, "STS.ci");
  CHECK_STR(k->security_token, "t");
  fx_close(&f);
  /* the default location, ~/.alibabacloud/credentials, with the default profile */
  unsetenv("ALIBABA_CLOUD_CREDENTIALS_FILE");
  unsetenv("ALIBABA_CLOUD_PROFILE");
  char sub[256];
  snprintf(sub, sizeof sub, "%s/.alibabacloud", dir);
  mkdir(sub, 0700);
  snprintf(path, sizeof path, "%s/.alibabacloud/credentials", dir);
  write_file(path, "[default]\ntype = access_key\naccess_key_id = LTAIhome\naccess_key_secret = h\n");
  fx_open(&f, NULL, NULL);
  CHECK(get(&f, &k, err, sizeof err) == 0);
  CHECK_STR(k->access_key_id, "LTAIhome");
  fx_close(&f);
  unlink(path);
  rmdir(sub);
  snprintf(path, sizeof path, "%s/creds.ini", dir);
  unlink(path);
  rmdir(dir);
}

TEST(no_credentials_names_every_setting_tried) {
  char dir[] = "/tmp/ack-creds-XXXXXX";
  CHECK(mkdtemp(dir));
  clean_env(dir);
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIhalf", 1); /* a half-set pair is named */
  fixture_t f;
  fx_open(&f, NULL, SECRET);
  const aliyun_credential_t *k;
  char err[3000];
  CHECK(get(&f, &k, err, sizeof err) == ACK_ENOENT);
  CHECK(k == NULL);
  CHECK_CONTAINS(err, "no Alibaba Cloud credentials: set --access-key-id/--access-key-secret");
  CHECK_CONTAINS(err, "ALIBABA_CLOUD_ACCESS_KEY_ID");
  CHECK_CONTAINS(err, "config: --access-key-secret/ACCESS_KEY_SECRET is set but not the id");
  CHECK_CONTAINS(err, "env: ALIBABA_CLOUD_ACCESS_KEY_ID is set but not ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  CHECK_CONTAINS(err, "rrsa: ALIBABA_CLOUD_ROLE_ARN not set");
  CHECK_CONTAINS(err, "/.alibabacloud/credentials");
  CHECK_CONTAINS(err, "ecs_ram_role: disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED");
  CHECK(!strstr(err, SECRET));
  fx_close(&f);
  rmdir(dir);
}

TEST(rrsa_with_an_unreadable_token_file_falls_through_and_says_why) {
  char dir[] = "/tmp/ack-creds-XXXXXX";
  CHECK(mkdtemp(dir));
  clean_env(dir);
  setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r", 1);
  setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/p", 1);
  setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nonexistent/token", 1);
  fixture_t f;
  fx_open(&f, NULL, NULL);
  const aliyun_credential_t *k;
  char err[3000];
  CHECK(get(&f, &k, err, sizeof err) == ACK_ENOENT);
  CHECK_CONTAINS(err, "rrsa: cannot read the OIDC token file /nonexistent/token");
  fx_close(&f);
  /* a partial RRSA setup names the missing variable */
  unsetenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE");
  fx_open(&f, NULL, NULL);
  CHECK(get(&f, &k, err, sizeof err) == ACK_ENOENT);
  CHECK_CONTAINS(err, "ALIBABA_CLOUD_OIDC_TOKEN_FILE is not");
  fx_close(&f);
  clean_env(dir);
  rmdir(dir);
}

TEST(requests_are_classed_read_job_or_write) {
  aliyun_request_t r = { .style = ALIYUN_STYLE_ROA, .product = "cs", .action = "DescribeClusterDetail", .method = "GET",
                         .path = "/clusters/c1" };
  CHECK(aliyun_classify(&r) == ALIYUN_READ);
  r.action = "ScaleClusterNodePool";
  r.method = "POST";
  r.path = "/clusters/c1/nodepools/np1";
  CHECK(aliyun_classify(&r) == ALIYUN_WRITE);
  r.action = "CreateClusterDiagnosis";
  r.path = "/clusters/c1/diagnosis";
  CHECK(aliyun_classify(&r) == ALIYUN_JOB);
  r.path = "/clusters/c1/nodepools/np1"; /* a job's name on another route is a write */
  CHECK(aliyun_classify(&r) == ALIYUN_WRITE);
  r.action = "RunClusterInspect";
  r.path = "/clusters/c1/inspectReports";
  CHECK(aliyun_classify(&r) == ALIYUN_JOB);
  CHECK(!gate_action_is_job("cs", "RunClusterInspect", "GET", "/clusters/c1/inspectReports"));
  CHECK(!gate_action_is_job("cs", "RunClusterInspect", "POST", "/clusters//inspectReports"));
  aliyun_request_t rpc = { .style = ALIYUN_STYLE_RPC, .product = "cms", .action = "DescribeMetricList" };
  CHECK(aliyun_classify(&rpc) == ALIYUN_READ);
  rpc.action = "GetCallerIdentity";
  CHECK(aliyun_classify(&rpc) == ALIYUN_READ);
  rpc.action = "Getaway"; /* a prefix must end at a word boundary */
  CHECK(aliyun_classify(&rpc) == ALIYUN_WRITE);
  rpc.action = "PutMetricAlarm";
  CHECK(aliyun_classify(&rpc) == ALIYUN_WRITE);
  aliyun_request_t sls = { .style = ALIYUN_STYLE_SLS, .product = "sls", .method = "POST", .path = "/logstores/audit/logs" };
  CHECK(aliyun_classify(&sls) == ALIYUN_READ);
  sls.path = "/ml/tool/call";
  CHECK(aliyun_classify(&sls) == ALIYUN_READ);
  sls.path = "/logstores/audit/shards/lb";
  CHECK(aliyun_classify(&sls) == ALIYUN_WRITE);
  sls.method = "DELETE";
  sls.path = "/logstores/audit/logs";
  CHECK(aliyun_classify(&sls) == ALIYUN_WRITE);
}

TEST(endpoint_and_signature_settings_are_checked) {
  char *good_e[] = { "cs=http://127.0.0.1:1", "sls=127.0.0.1:2", "metadata=http://127.0.0.1:3", NULL };
  char *good_s[] = { "cs=roa-sha1", "cms=rpc-sha1", "sls=sls4", "sts=acs3", NULL };
  config_t c = { .endpoints = good_e, .signatures = good_s };
  char err[300];
  CHECK(aliyun_config_check(&c, err, sizeof err) == 0);
  char *bad_product[] = { "ecs=http://x", NULL };
  c.endpoints = bad_product;
  CHECK(aliyun_config_check(&c, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "unknown product 'ecs'");
  char *bad_url[] = { "cs=ftp://x", NULL };
  c.endpoints = bad_url;
  CHECK(aliyun_config_check(&c, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "http:// or https://");
  c.endpoints = good_e;
  char *bad_scheme[] = { "cms=roa-sha1", NULL };
  c.signatures = bad_scheme;
  CHECK(aliyun_config_check(&c, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "cms takes acs3 or rpc-sha1");
  char *bad_sls[] = { "sls=acs3", NULL };
  c.signatures = bad_sls;
  CHECK(aliyun_config_check(&c, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "sls takes sls-sha256, sls-sha1 or sls4");
}

RUN_TESTS(T(mask_shows_a_quarter_at_most), T(refresh_margin_is_five_minutes_or_ten_percent), T(iso8601_expirations_parse_as_utc),
          T(ini_profiles_of_every_supported_type), T(ini_profile_errors_name_the_key_never_the_secret), T(cli_config_profiles),
          T(chain_settings_win_over_the_environment), T(chain_reads_the_profile_file), T(no_credentials_names_every_setting_tried),
          T(rrsa_with_an_unreadable_token_file_falls_through_and_says_why), T(requests_are_classed_read_job_or_write),
          T(endpoint_and_signature_settings_are_checked))
