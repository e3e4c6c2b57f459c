/* test_config.c: flags, environment, .env, the Lua config file, precedence and errors. */
#include "config.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static int load(config_t *cfg, char *err, int argc, char **argv) {
  *cfg = (config_t){ 0 };
  err[0] = '\0';
  return config_load(cfg, argc, argv, err, 512);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

TEST(config_defaults_match_upstream) {
  config_t c;
  char err[512];
  char *argv[] = { "x" };
  CHECK(load(&c, err, 1, argv) == 0);
  CHECK_STR(c.transport, "stdio");
  CHECK_STR(c.host, "127.0.0.1");
  CHECK(c.port == 8000);
  CHECK(!c.allow_write);
  CHECK(c.cache_ttl == 300 && c.cache_max_size == 1000);
  CHECK_STR(c.region, "cn-hangzhou");
  CHECK(c.max_message_bytes == 4194304);
  config_free(&c);
}

TEST(config_flag_beats_env_beats_dotenv_beats_file) {
  config_t c;
  char err[512];
  write_file("cfg.lua", "return { region = 'file-region', cache_ttl = 11, page_size = 7, port = 9001 }");
  write_file(".env", "REGION_ID=dotenv-region\nCACHE_TTL=22\nexport PAGE_SIZE='8' # comment\n");
  setenv("REGION_ID", "env-region", 1);
  setenv("CACHE_TTL", "33", 1);
  char *argv[] = { "x", "--config", "cfg.lua", "-r", "flag-region" };
  int rc = load(&c, err, 5, argv);
  unsetenv("REGION_ID");
  unsetenv("CACHE_TTL");
  unlink(".env");
  unlink("cfg.lua");
  CHECK(rc == 0);
  CHECK_STR(c.region, "flag-region");
  CHECK(c.cache_ttl == 33);  /* env over .env */
  CHECK(c.page_size == 8);   /* .env over file */
  CHECK(c.port == 9001);     /* file over default */
  config_free(&c);
}

TEST(config_upstream_env_names) {
  config_t c;
  char err[512];
  setenv("FASTMCP_LOG_LEVEL", "DEBUG", 1);
  setenv("DEVELOPMENT", "true", 1);
  setenv("ACCESS_KEY_ID", "LTAIexample", 1);
  char *argv[] = { "x" };
  int rc = load(&c, err, 1, argv);
  unsetenv("FASTMCP_LOG_LEVEL");
  unsetenv("DEVELOPMENT");
  unsetenv("ACCESS_KEY_ID");
  CHECK(rc == 0);
  CHECK(c.log_level == LOG_DEBUG);
  CHECK(c.dev);
  CHECK_STR(c.access_key_id, "LTAIexample");
  config_free(&c);
}

TEST(config_unknown_flag_is_rejected) {
  config_t c;
  char err[512];
  char *argv[] = { "x", "--alow-write" };
  CHECK(load(&c, err, 2, argv) != 0);
  CHECK_CONTAINS(err, "unknown option '--alow-write'");
  config_free(&c);
}

TEST(config_invalid_values_name_the_flag) {
  config_t c;
  char err[512];
  char *a1[] = { "x", "--port", "http" };
  CHECK(load(&c, err, 3, a1) != 0);
  CHECK_CONTAINS(err, "--port: expected an integer");
  config_free(&c);
  char *a2[] = { "x", "--port=70000" };
  CHECK(load(&c, err, 2, a2) != 0);
  CHECK_CONTAINS(err, "between 1 and 65535");
  config_free(&c);
  char *a3[] = { "x", "--kubeconfig-mode", "CLOUD" };
  CHECK(load(&c, err, 3, a3) != 0);
  CHECK_CONTAINS(err, "ACK_PUBLIC|ACK_PRIVATE|LOCAL|INCLUSTER");
  config_free(&c);
  char *a4[] = { "x", "--tools-dir" };
  CHECK(load(&c, err, 2, a4) != 0);
  CHECK_CONTAINS(err, "--tools-dir needs a value");
  config_free(&c);
}

TEST(config_missing_features_are_refused) {
  config_t c;
  char err[512];
  char *a1[] = { "x", "--audit-log", "/tmp/audit.jsonl" };
  CHECK(load(&c, err, 3, a1) != 0);
  CHECK_CONTAINS(err, "not in this build yet");
  config_free(&c);
  char *a2[] = { "x", "--tls-cert", "cert.pem" };
  CHECK(load(&c, err, 3, a2) != 0);
  CHECK_CONTAINS(err, "--tls-cert and --tls-key go together");
  config_free(&c);
}

TEST(config_list_flags_repeat_and_replace_lower_layers) {
  config_t c;
  char err[512];
  setenv("TOOLS_DIR", "/env/a,/env/b", 1);
  char *argv[] = { "x", "--tools-dir", "/flag/1", "--tools-dir=/flag/2", "--no-dev" };
  int rc = load(&c, err, 5, argv);
  unsetenv("TOOLS_DIR");
  CHECK(rc == 0);
  CHECK_STR(c.tools_dirs[0], "/flag/1");
  CHECK_STR(c.tools_dirs[1], "/flag/2");
  CHECK(c.tools_dirs[2] == NULL);
  CHECK(!c.dev);
  config_free(&c);
}

TEST(config_file_is_data_not_a_program) {
  config_t c;
  char err[512];
  write_file("cfg.lua", "os.execute('true') return {}");
  char *argv[] = { "x", "--config", "cfg.lua" };
  CHECK(load(&c, err, 3, argv) != 0);
  CHECK_CONTAINS(err, "os");
  config_free(&c);
  write_file("cfg.lua", "while true do end");
  CHECK(load(&c, err, 3, argv) != 0);
  CHECK_CONTAINS(err, "runs too long");
  config_free(&c);
  write_file("cfg.lua", "return { alow_write = true }");
  CHECK(load(&c, err, 3, argv) != 0);
  CHECK_CONTAINS(err, "unknown setting 'alow_write'");
  config_free(&c);
  write_file("cfg.lua", "allow_write = true\ntools_dir = { 'a', 'b' }");
  CHECK(load(&c, err, 3, argv) == 0);
  CHECK(c.allow_write);
  CHECK_STR(c.tools_dirs[1], "b");
  config_free(&c);
  unlink("cfg.lua");
}

RUN_TESTS(T(config_defaults_match_upstream), T(config_flag_beats_env_beats_dotenv_beats_file),
          T(config_upstream_env_names), T(config_unknown_flag_is_rejected), T(config_invalid_values_name_the_flag),
          T(config_missing_features_are_refused), T(config_list_flags_repeat_and_replace_lower_layers),
          T(config_file_is_data_not_a_program))
