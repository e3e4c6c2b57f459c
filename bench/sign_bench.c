/* sign_bench.c: signatures per second of src/aliyun_sign.c, one realistic request per row.
 *
 * Each iteration does what a caller does for one outgoing request: a fresh headers object and
 * a copy of the query template, aliyun_sign() with a fresh nonce (RAND_bytes) and the current
 * clock, then aliyun_query_string() for the wire, and frees it all. A run signs for about
 * --seconds (default 1) and counts; the table shows the median of --runs (default 5) runs
 * with their min..max, and the CPU time per signature that median implies.
 *
 * usage: sign_bench [--runs N] [--seconds S]     (make bench-sign)
 * Exit 1 if any signing fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aliyun_sign.h"

typedef struct bench_case {
  const char *label;
  aliyun_scheme_t scheme;
  const char *method, *host, *path, *query, *body, *action, *version, *region;
} bench_case_t;

#define CS_HOST "cs.cn-hangzhou.aliyuncs.com"
#define CMS_QUERY                                                                                \
  "{\"Dimensions\":\"[{\\\"instanceId\\\":\\\"i-abc123\\\"}]\",\"EndTime\":\"2024-01-02 03:00:00\"," \
  "\"Length\":\"100\",\"MetricName\":\"CPUUtilization\",\"Namespace\":\"acs_ecs_dashboard\","    \
  "\"Period\":\"60\",\"StartTime\":\"2024-01-02 02:00:00\",\"RegionId\":\"cn-hangzhou\"}"
#define GETLOGS_QUERY                                                                            \
  "{\"type\":\"log\",\"from\":\"1704160800\",\"to\":\"1704164400\",\"line\":\"100\","            \
  "\"offset\":\"0\",\"reverse\":\"false\",\"powerSql\":\"false\",\"topic\":\"\","                \
  "\"query\":\"* and __tag__:__path__: /var/log/audit | select verb, count(1) as c group by verb\"}"
#define SLS_HOST "k8s-log-c123.cn-hangzhou.log.aliyuncs.com"
#define DIAG_BODY "{\"target\":{\"name\":\"cn-hangzhou.192.168.0.1\"},\"type\":\"node\"}"

static const bench_case_t cases[] = {
    {"CS GET with query", ALIYUN_ACS3, "GET", CS_HOST, "/api/v1/clusters",
     "{\"cluster_type\":\"ManagedKubernetes\",\"page_number\":\"1\",\"page_size\":\"50\","
     "\"region_id\":\"cn-hangzhou\"}",
     NULL, "DescribeClustersV1", "2015-12-15", NULL},
    {"CS POST JSON body", ALIYUN_ACS3, "POST", CS_HOST, "/clusters/c1234567890abcdef/diagnosis", NULL,
     DIAG_BODY, "CreateClusterDiagnosis", "2015-12-15", NULL},
    {"CMS DescribeMetricList", ALIYUN_ACS3, "POST", "metrics.cn-hangzhou.aliyuncs.com", "/", CMS_QUERY,
     NULL, "DescribeMetricList", "2019-01-01", NULL},
    {"CS GET with query", ALIYUN_ROA_SHA1, "GET", CS_HOST, "/api/v1/clusters",
     "{\"cluster_type\":\"ManagedKubernetes\",\"page_number\":\"1\",\"page_size\":\"50\","
     "\"region_id\":\"cn-hangzhou\"}",
     NULL, "DescribeClustersV1", "2015-12-15", NULL},
    {"CMS DescribeMetricList", ALIYUN_RPC_SHA1, "POST", "metrics.cn-hangzhou.aliyuncs.com", "/",
     CMS_QUERY, NULL, "DescribeMetricList", "2019-01-01", NULL},
    {"SLS GetLogs", ALIYUN_SLS_SHA256, "GET", SLS_HOST, "/logstores/audit-c123", GETLOGS_QUERY, NULL,
     NULL, NULL, NULL},
    {"SLS GetLogs", ALIYUN_SLS_SHA1, "GET", SLS_HOST, "/logstores/audit-c123", GETLOGS_QUERY, NULL,
     NULL, NULL, NULL},
    {"SLS GetLogs", ALIYUN_SLS4, "GET", SLS_HOST, "/logstores/audit-c123", GETLOGS_QUERY, NULL, NULL,
     NULL, "cn-hangzhou"},
};

static const aliyun_cred_t cred = {"LTAI5tBenchKeyId0000000", "BenchSecret0123456789abcdefABCD",
                                   NULL};

static double now_s(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request signed as a caller would; 0 or -1 (message on stderr). */
static int sign_one(const bench_case_t *c, const json_t *query_tpl) {
  json_t *headers = json_object();
  json_t *query = query_tpl ? json_copy((json_t *)query_tpl) : NULL;
  aliyun_sign_req_t req = {.method = c->method, .host = c->host, .path = c->path,
                           .query = query, .headers = headers, .body = c->body,
                           .body_len = c->body ? strlen(c->body) : 0, .action = c->action,
                           .version = c->version, .region = c->region};
  char err[256];
  int rc = aliyun_sign(c->scheme, &cred, &req, err, sizeof err);
  char *qs = rc == 0 ? aliyun_query_string(query) : NULL;
  if (rc != 0 || !qs) fprintf(stderr, "sign_bench: %s %s: %s\n", aliyun_scheme_name(c->scheme),
                              c->label, rc ? err : "no query string");
  free(qs);
  json_decref(query);
  json_decref(headers);
  return rc == 0 && qs ? 0 : -1;
}

/* Signs for about `seconds`; returns signatures per second and the CPU seconds per one. */
static int run(const bench_case_t *c, const json_t *q, double seconds, double *rate, double *cpu) {
  double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t = t0;
  long n = 0;
  while (t - t0 < seconds) {
    for (int i = 0; i < 256; i++)
      if (sign_one(c, q) != 0) return -1;
    n += 256;
    t = now_s(CLOCK_MONOTONIC);
  }
  *rate = (double)n / (t - t0);
  *cpu = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / (double)n;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int runs = 5;
  double seconds = 1.0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: sign_bench [--runs N] [--seconds S]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 99 || !(seconds > 0)) {
    fprintf(stderr, "sign_bench: --runs 1..99, --seconds > 0\n");
    return 2;
  }
  printf("# aliyun_sign: signatures/s, median of %d runs of %.1f s (min..max); fresh nonce and\n"
         "# clock per signature, headers/query objects built and freed, wire query string included\n",
         runs, seconds);
  printf("%-11s %-24s %11s %-20s %9s\n", "scheme", "request", "signs/s", "(min..max)", "us/sign");
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const bench_case_t *c = &cases[k];
    json_t *q = c->query ? json_loads(c->query, 0, NULL) : NULL;
    double rate[99], cpu[99];
    for (int i = 0; i < 100 && sign_one(c, q) == 0; i++) {} /* warm-up (and a first check) */
    for (int r = 0; r < runs; r++)
      if (run(c, q, seconds, &rate[r], &cpu[r]) != 0) return 1;
    json_decref(q);
    qsort(rate, (size_t)runs, sizeof rate[0], cmp_double);
    qsort(cpu, (size_t)runs, sizeof cpu[0], cmp_double);
    char range[32];
    snprintf(range, sizeof range, "(%.0f..%.0f)", rate[0], rate[runs - 1]);
    printf("%-11s %-24s %11.0f %-20s %9.2f\n", aliyun_scheme_name(c->scheme), c->label,
           rate[runs / 2], range, cpu[runs / 2] * 1e6);
    fflush(stdout);
  }
  return 0;
}
