/* test_kubeconfig.c: kubeconfig files resolved into targets (every field, paths, errors),
 * the simulator's own kubeconfig, and the in-cluster service account. */
#include "kubeconfig.h"
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURES ACK_SOURCE_DIR "/tests/fixtures/kubeconfig"

static const kube_target_t *ctx(const kubeconfig_t *kc, const char *name) {
  const kube_target_t *t = kubeconfig_target(kc, name);
  if (!t) fprintf(stderr, "no context %s\n", name);
  return t;
}

/* Parses text held in memory with base dir /base; returns NULL with err. */
static kubeconfig_t *parse(const char *text, char *err) {
  return kubeconfig_parse(text, strlen(text), "/base", err, 256);
}

#define CHECK_PARSE_ERR(text, want)                                                 \
  do {                                                                              \
    char err_[256] = "";                                                            \
    kubeconfig_t *kc_ = parse(text, err_);                                          \
    kubeconfig_free(kc_);                                                           \
    CHECK(kc_ == NULL);                                                             \
    CHECK_CONTAINS(err_, want);                                                     \
  } while (0)

TEST(kubeconfig_loads_every_field) {
  char err[256];
  kubeconfig_t *kc = kubeconfig_load(FIXTURES "/full.yaml", err, sizeof err);
  CHECK(kc != NULL);
  CHECK_STR(kc->path, FIXTURES "/full.yaml");
  CHECK_STR(kc->current_context, "prod");
  CHECK(kc->ntargets == 9);
  CHECK_STR(kc->targets[0].name, "prod"); /* file order */
  CHECK_STR(kc->targets[8].name, "nowhere");

  const kube_target_t *t = kubeconfig_target(kc, NULL);
  CHECK(t == ctx(kc, "prod"));
  CHECK_STR(t->cluster_name, "prod-cluster");
  CHECK_STR(t->user_name, "cert-user");
  CHECK_STR(t->namespace_, "shop");
  CHECK_STR(t->server, "https://prod.example.com:6443"); /* trailing slash dropped */
  CHECK_STR(t->tls_server_name, "api.prod.internal");
  CHECK_STR(t->proxy_url, "socks5://127.0.0.1:1080");
  CHECK(!t->insecure);
  CHECK(t->ca_len == strlen(t->ca_data));
  CHECK_STR(t->ca_data, "-----BEGIN CERTIFICATE-----\nfixture CA\n-----END CERTIFICATE-----\n");
  CHECK(t->ca_file == NULL);
  CHECK_STR(t->cert_data, "-----BEGIN CERTIFICATE-----\nfixture client\n-----END CERTIFICATE-----\n");
  CHECK(t->cert_len == strlen(t->cert_data));
  CHECK_STR(t->key_data, "-----BEGIN EC PRIVATE KEY-----\nfixture key\n-----END EC PRIVATE KEY-----\n");
  CHECK(t->key_len == strlen(t->key_data));
  CHECK(!t->token && !t->token_file && !t->exec && !t->username && !t->auth_provider);

  t = ctx(kc, "token");
  CHECK(t != NULL);
  CHECK_STR(t->token, "0123456789abcdef"); /* quoted: stays a string with its leading 0 */
  CHECK(t->insecure);
  CHECK_STR(t->server, "https://[fd00::1]:6443");
  CHECK(t->namespace_ == NULL); /* "" means default */

  t = ctx(kc, "basic");
  CHECK(t != NULL);
  CHECK_STR(t->username, "admin");
  CHECK_STR(t->password, "s3cret: yes");

  t = ctx(kc, "exec");
  CHECK(t != NULL && t->exec != NULL);
  CHECK_STR(t->exec->command, FIXTURES "/./exec-plugin.sh");
  CHECK_STR(t->exec->args[0], "--token");
  CHECK_STR(t->exec->args[3], "3600"); /* a YAML number in args reads as its text */
  CHECK(t->exec->args[4] == NULL);
  CHECK_STR(t->exec->env[0], "PLUGIN_MODE=test");
  CHECK_STR(t->exec->env[1], "EMPTY=");
  CHECK(t->exec->env[2] == NULL);
  CHECK_STR(t->exec->api_version, "client.authentication.k8s.io/v1beta1");
  CHECK(t->exec->provide_cluster_info);
  CHECK_STR(t->exec->install_hint, "pip install something");

  t = ctx(kc, "path-exec");
  CHECK(t != NULL && t->exec != NULL);
  CHECK_STR(t->exec->command, "aws"); /* bare: looked up in PATH when run */
  CHECK(t->exec->env && t->exec->env[0] == NULL);
  CHECK(!t->exec->provide_cluster_info);

  t = ctx(kc, "gcp");
  CHECK(t != NULL);
  CHECK_STR(t->auth_provider, "gcp");

  t = ctx(kc, "anonymous");
  CHECK(t != NULL);
  CHECK(t->user_name == NULL && !t->token && !t->cert_data && !t->exec);
  t = ctx(kc, "nowhere");
  CHECK(t != NULL);
  CHECK(t->server == NULL && t->cluster_name == NULL);

  CHECK(kubeconfig_target(kc, "missing") == NULL);
  kubeconfig_free(kc);
}

TEST(kubeconfig_paths_resolve_against_its_directory) {
  char err[256];
  setenv("HOME", "/home/tester", 1);
  kubeconfig_t *kc = kubeconfig_load(FIXTURES "/full.yaml", err, sizeof err);
  CHECK(kc != NULL);
  const kube_target_t *t = ctx(kc, "files");
  CHECK(t != NULL);
  CHECK_STR(t->server, "https://10.0.0.1:6443"); /* no scheme: https, as client-go */
  CHECK_STR(t->ca_file, FIXTURES "/certs/ca.crt");
  CHECK_STR(t->cert_file, FIXTURES "/certs/client.crt");
  CHECK_STR(t->key_file, "/home/tester/keys/client.key");
  CHECK_STR(t->token_file, FIXTURES "/./token");
  CHECK(t->ca_data == NULL && t->cert_data == NULL);
  kubeconfig_free(kc);

  /* A relative kubeconfig path: its directory is made absolute against the cwd. */
  char cwd[4096];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(chdir(ACK_SOURCE_DIR "/tests") == 0);
  kc = kubeconfig_load("fixtures/kubeconfig/full.yaml", err, sizeof err);
  CHECK(chdir(cwd) == 0);
  CHECK(kc != NULL);
  CHECK_STR(ctx(kc, "files")->ca_file, ACK_SOURCE_DIR "/tests/fixtures/kubeconfig/certs/ca.crt");
  kubeconfig_free(kc);

  /* In memory: against base_dir. */
  kc = parse("clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: ca.pem}}]\n"
             "contexts: [{name: x, context: {cluster: c}}]\n",
             err);
  CHECK(kc != NULL);
  CHECK_STR(kc->path, "<memory>");
  CHECK_STR(kc->targets[0].ca_file, "/base/ca.pem");
  CHECK(kc->current_context == NULL);
  CHECK(kubeconfig_target(kc, NULL) == NULL);
  kubeconfig_free(kc);
}

TEST(kubeconfig_errors_are_precise) {
  char err[256];
  CHECK(kubeconfig_load(FIXTURES "/no-such-file.yaml", err, sizeof err) == NULL);
  CHECK_STR(err, "not found");
  CHECK(kubeconfig_load(FIXTURES, err, sizeof err) == NULL);
  CHECK_STR(err, "Is a directory");
  CHECK_PARSE_ERR("clusters:\n- name: a\n  cluster: {server: x\n", "not YAML: line 4, column 1:");
  CHECK_PARSE_ERR("- a\n- b\n", "not a kubeconfig: the top level is a list, not a mapping");
  CHECK_PARSE_ERR("just words\n", "the top level is a scalar");
  /* A dangling context breaks only itself. */
  kubeconfig_t *kc = parse("contexts: [{name: x, context: {cluster: gone, user: u}}, {name: ok, context: {cluster: c}}]\n"
                           "users: [{name: u, user: {}}]\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n",
                           err);
  CHECK(kc != NULL);
  CHECK_STR(kc->targets[0].broken, "context \"x\" names cluster \"gone\" which is not defined");
  CHECK(kc->targets[1].broken == NULL);
  kubeconfig_free(kc);
  kc = parse("contexts: [{name: x, context: {cluster: c, user: ghost}}]\nclusters: [{name: c, cluster: {}}]\n", err);
  CHECK(kc != NULL);
  CHECK_STR(kc->targets[0].broken, "context \"x\" names user \"ghost\" which is not defined");
  kubeconfig_free(kc);
  CHECK_PARSE_ERR("clusters: [{name: c, cluster: {certificate-authority-data: 'not*base64'}}]\n"
                  "contexts: [{name: x, context: {cluster: c}}]\n",
                  "cluster \"c\": certificate-authority-data is not valid base64");
  CHECK_PARSE_ERR("users: [{name: u, user: {client-key-data: 'QUJD=RA=='}}]\ncontexts: [{name: x, context: {user: u}}]\n",
                  "user \"u\": client-key-data is not valid base64");
  CHECK_PARSE_ERR("clusters: [{name: c, cluster: {}}, {name: c, cluster: {}}]\n", "cluster \"c\" is defined twice");
  CHECK_PARSE_ERR("contexts: {name: x}\n", "contexts must be a list");
  CHECK_PARSE_ERR("users: [{user: {}}]\n", "users[0] has no name");
  CHECK_PARSE_ERR("users: [{name: u, user: {exec: {args: [a]}}}]\ncontexts: [{name: x, context: {user: u}}]\n",
                  "user \"u\": exec has no command");
  CHECK_PARSE_ERR("users: [{name: u, user: {exec: {command: c, env: [{value: v}]}}}]\ncontexts: [{name: x, context: {user: u}}]\n",
                  "user \"u\": exec env[0] must be {name: NAME, value: VALUE}");
  CHECK_PARSE_ERR("clusters: [{name: c, cluster: {insecure-skip-tls-verify: 'yes'}}]\ncontexts: [{name: x, context: {cluster: c}}]\n",
                  "cluster \"c\": insecure-skip-tls-verify must be true or false");
  CHECK_PARSE_ERR("clusters: [{name: c, cluster: {server: [a]}}]\ncontexts: [{name: x, context: {cluster: c}}]\n",
                  "cluster \"c\": server must be a string");
  /* Unused broken entries do not matter; a dangling current-context is reported on use. */
  kc = parse("current-context: gone\nusers: [{name: u, user: {token: [1]}}]\ncontexts: []\n", err);
  CHECK(kc != NULL);
  CHECK(kubeconfig_target(kc, NULL) == NULL);
  kubeconfig_free(kc);
}

TEST(kubeconfig_empty_file_has_no_contexts) {
  char err[256];
  kubeconfig_t *kc = parse("", err);
  CHECK(kc != NULL);
  CHECK(kc->ntargets == 0 && kc->current_context == NULL);
  kubeconfig_free(kc);
  kc = parse("apiVersion: v1\nkind: Config\nclusters: null\nusers: []\ncontexts: ~\n", err);
  CHECK(kc != NULL);
  CHECK(kc->ntargets == 0);
  kubeconfig_free(kc);
}

TEST(kubeconfig_reads_the_simulators_kubeconfig) {
  /* The simulator's own generator (real certificates, base64 as kubectl writes it). */
  char dir[] = "/tmp/kc-sim-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd %s/tests/sim/k8s && python3 -c 'import certs; certs.make(\"%s\"); "
           "certs.kubeconfig(\"%s\", 6443, {\"admin\": \"sim-admin-token\", \"viewer\": \"v-token\", \"expired\": \"e-token\"})'",
           ACK_SOURCE_DIR, dir, dir);
  CHECK(system(cmd) == 0);
  char path[256], err[256];
  snprintf(path, sizeof path, "%s/kubeconfig", dir);
  kubeconfig_t *kc = kubeconfig_load(path, err, sizeof err);
  CHECK(kc != NULL);
  CHECK(kc->ntargets == 9);
  const kube_target_t *t = kubeconfig_target(kc, NULL);
  CHECK(t != NULL);
  CHECK_STR(t->name, "sim");
  CHECK_STR(t->server, "https://127.0.0.1:6443");
  CHECK_STR(t->token, "sim-admin-token");
  CHECK_STR(t->namespace_, "default");
  CHECK(t->ca_data && strncmp(t->ca_data, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
  t = ctx(kc, "sim-cert");
  CHECK(t && t->cert_data && strncmp(t->cert_data, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
  CHECK(t->key_data && strstr(t->key_data, "PRIVATE KEY-----\n") != NULL);
  t = ctx(kc, "sim-token-file");
  char want[256];
  snprintf(want, sizeof want, "%s/token", dir);
  CHECK(t && t->token_file);
  CHECK_STR(t->token_file, want);
  CHECK(ctx(kc, "sim-insecure")->insecure);
  CHECK_STR(ctx(kc, "sim-tls-mismatch")->tls_server_name, "wrong-name.example.com");
  CHECK(ctx(kc, "sim-untrusted")->ca_data == NULL);
  t = ctx(kc, "sim-anonymous");
  CHECK(t && !t->token && !t->cert_data && t->user_name);
  kubeconfig_free(kc);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

TEST(kubeconfig_incluster_reads_the_service_account) {
  char dir[] = "/tmp/kc-sa-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char err[256];
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  CHECK(kubeconfig_incluster(dir, err, sizeof err) == NULL);
  CHECK_STR(err, "not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  CHECK(kubeconfig_incluster(dir, err, sizeof err) == NULL);
  CHECK_CONTAINS(err, "not running in a pod: service account token");
  CHECK_CONTAINS(err, "No such file or directory");

  write_file(dir, "token", "sa-token\n");
  kubeconfig_t *kc = kubeconfig_incluster(dir, err, sizeof err);
  CHECK(kc != NULL);
  CHECK(kc->ntargets == 1);
  const kube_target_t *t = kubeconfig_target(kc, NULL);
  CHECK(t == &kc->targets[0]);
  CHECK_STR(t->name, "in-cluster");
  CHECK_STR(t->server, "https://10.96.0.1:443");
  char want[256];
  snprintf(want, sizeof want, "%s/token", dir);
  CHECK_STR(t->token_file, want); /* kept as a file: it rotates */
  CHECK(t->token == NULL);
  CHECK(t->ca_file == NULL); /* no ca.crt: go on without, as client-go */
  CHECK(t->namespace_ == NULL);
  kubeconfig_free(kc);

  write_file(dir, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
  write_file(dir, "namespace", "shop\n");
  setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
  kc = kubeconfig_incluster(dir, err, sizeof err);
  CHECK(kc != NULL);
  t = &kc->targets[0];
  CHECK_STR(t->server, "https://[fd00:10:96::1]:443");
  snprintf(want, sizeof want, "%s/ca.crt", dir);
  CHECK_STR(t->ca_file, want);
  CHECK_STR(t->namespace_, "shop");
  kubeconfig_free(kc);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

RUN_TESTS(T(kubeconfig_loads_every_field), T(kubeconfig_paths_resolve_against_its_directory),
          T(kubeconfig_errors_are_precise), T(kubeconfig_empty_file_has_no_contexts),
          T(kubeconfig_reads_the_simulators_kubeconfig), T(kubeconfig_incluster_reads_the_service_account))
