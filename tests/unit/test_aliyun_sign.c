/* test_aliyun_sign.c: every test vector of shared/reference/aliyun-signing.md §9, byte for
 * byte (canonical request, string to sign, signature, Authorization / Signature, the headers
 * or parameters added), the §1 encoding edge cases, errors, and a cross-check of each scheme
 * against the Alibaba Cloud simulator's independent verifier (tests/sim/aliyun/signing.py). */
#include <stdlib.h>
#include <unistd.h>

#include "ack.h"
#include "aliyun_sign.h"
#include "test.h"

#define T0 1704164645 /* 2024-01-02T03:04:05Z, the vectors' clock */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define STS_TOKEN "CAIS/test+token="
#define DIAG_BODY "{\"target\":{\"name\":\"cn-hangzhou.192.168.0.1\"},\"type\":\"node\"}"
#define GETLOGS_QUERY                                                                          \
  "{\"from\":\"1704160800\",\"line\":\"100\",\"offset\":\"0\",\"powerSql\":\"false\","       \
  "\"query\":\"* | select count(1) as c\",\"reverse\":\"false\",\"to\":\"1704164400\","      \
  "\"topic\":\"\",\"type\":\"log\"}"
#define GETLOGS_RESOURCE                                                                       \
  "/logstores/audit-c123?from=1704160800&line=100&offset=0&powerSql=false&query=* | select " \
  "count(1) as c&reverse=false&to=1704164400&topic=&type=log"

static const aliyun_cred_t AK = {"testid", "testsecret", NULL};
static const aliyun_cred_t STS = {"STS.testid", "stssecret", STS_TOKEN};

/* One signing: the inputs as JSON text, the outputs kept for the checks. */
typedef struct run {
  json_t *query, *headers;
  aliyun_sign_trace_t tr;
  int rc;
  char err[256];
} run_t;

typedef struct vec {
  aliyun_scheme_t scheme;
  const aliyun_cred_t *cred;
  const char *method, *host, *path, *query, *headers, *body, *action, *version, *region, *nonce;
} vec_t;

static void sign(run_t *r, const vec_t *v) {
  memset(r, 0, sizeof *r);
  r->query = v->query ? json_loads(v->query, 0, NULL) : NULL;
  r->headers = json_loads(v->headers ? v->headers : "{}", 0, NULL);
  aliyun_sign_req_t req = {
      .method = v->method, .host = v->host, .path = v->path, .query = r->query,
      .headers = r->headers, .body = v->body, .body_len = v->body ? strlen(v->body) : 0,
      .action = v->action, .version = v->version, .region = v->region, .now = T0,
      .nonce = v->nonce};
  r->rc = aliyun_sign_traced(v->scheme, v->cred, &req, &r->tr, r->err, sizeof r->err);
}

static void done(run_t *r) {
  json_decref(r->query);
  json_decref(r->headers);
  aliyun_sign_trace_free(&r->tr);
}

static const char *hdr(const run_t *r, const char *name) {
  return json_string_value(json_object_get(r->headers, name));
}

/* Prints both sides when an object differs from the expected JSON text. */
static int same_json(const json_t *got, const char *want_text) {
  json_t *want = json_loads(want_text, 0, NULL);
  int eq = want && json_equal((json_t *)got, want);
  if (!eq) {
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
    char *w = want ? json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
    fprintf(stderr, "expected %s\ngot %s\n", w ? w : want_text, g ? g : "(null)");
    free(g);
    free(w);
  }
  json_decref(want);
  return eq;
}

/* ---- ROA HMAC-SHA1 (§3) -------------------------------------------------------------- */

TEST(aliyun_sign_roa_1_get_with_query) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ROA_SHA1, &AK, "GET", "cs.cn-hangzhou.aliyuncs.com", "/api/v1/clusters",
                    "{\"name\":\"my cluster*~\",\"page_size\":\"10\",\"region_id\":\"cn-hangzhou\"}",
                    NULL, NULL, "DescribeClustersV1", "2015-12-15", NULL,
                    "3f0c9a7e5b1d4e6f8a2b000000000001"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "GET\napplication/json\n\n\nTue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-acs-action:DescribeClustersV1\n"
                                 "x-acs-signature-method:HMAC-SHA1\n"
                                 "x-acs-signature-nonce:3f0c9a7e5b1d4e6f8a2b000000000001\n"
                                 "x-acs-signature-version:1.0\n"
                                 "x-acs-version:2015-12-15\n"
                                 "/api/v1/clusters?name=my cluster*~&page_size=10&region_id=cn-hangzhou");
  CHECK_STR(r.tr.signature, "5SBQsD5ORKBFNcT3+T7al9ZQyL0=");
  CHECK(same_json(r.headers, "{\"accept\":\"application/json\","
                             "\"date\":\"Tue, 02 Jan 2024 03:04:05 GMT\","
                             "\"host\":\"cs.cn-hangzhou.aliyuncs.com\","
                             "\"x-acs-action\":\"DescribeClustersV1\","
                             "\"x-acs-signature-method\":\"HMAC-SHA1\","
                             "\"x-acs-signature-nonce\":\"3f0c9a7e5b1d4e6f8a2b000000000001\","
                             "\"x-acs-signature-version\":\"1.0\","
                             "\"x-acs-version\":\"2015-12-15\","
                             "\"authorization\":\"acs testid:5SBQsD5ORKBFNcT3+T7al9ZQyL0=\"}"));
  char *qs = aliyun_query_string(r.query);
  CHECK_STR(qs, "name=my%20cluster%2A~&page_size=10&region_id=cn-hangzhou");
  free(qs);
  done(&r);
}

TEST(aliyun_sign_roa_2_post_json_body) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ROA_SHA1, &AK, "POST", "cs.cn-hangzhou.aliyuncs.com",
                    "/clusters/c1234567890abcdef/diagnosis", NULL, NULL, DIAG_BODY,
                    "CreateClusterDiagnosis", "2015-12-15", NULL, "3f0c9a7e5b1d4e6f8a2b000000000002"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "POST\napplication/json\n\napplication/json; charset=utf-8\n"
                                 "Tue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-acs-action:CreateClusterDiagnosis\n"
                                 "x-acs-signature-method:HMAC-SHA1\n"
                                 "x-acs-signature-nonce:3f0c9a7e5b1d4e6f8a2b000000000002\n"
                                 "x-acs-signature-version:1.0\n"
                                 "x-acs-version:2015-12-15\n"
                                 "/clusters/c1234567890abcdef/diagnosis");
  CHECK_STR(hdr(&r, "authorization"), "acs testid:pcOlBepsKGMpuihMHZUE4aElE8w=");
  CHECK_STR(hdr(&r, "content-type"), "application/json; charset=utf-8");
  CHECK(json_object_size(r.headers) == 10);
  done(&r);
}

TEST(aliyun_sign_roa_3_sts_token_headers) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ROA_SHA1, &STS, "GET", "cs.cn-hangzhou.aliyuncs.com",
                    "/clusters/c1234567890abcdef", NULL, NULL, NULL, "DescribeClusterDetail",
                    "2015-12-15", NULL, "3f0c9a7e5b1d4e6f8a2b000000000003"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "GET\napplication/json\n\n\nTue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-acs-accesskey-id:STS.testid\n"
                                 "x-acs-action:DescribeClusterDetail\n"
                                 "x-acs-security-token:CAIS/test+token=\n"
                                 "x-acs-signature-method:HMAC-SHA1\n"
                                 "x-acs-signature-nonce:3f0c9a7e5b1d4e6f8a2b000000000003\n"
                                 "x-acs-signature-version:1.0\n"
                                 "x-acs-version:2015-12-15\n"
                                 "/clusters/c1234567890abcdef");
  CHECK_STR(hdr(&r, "authorization"), "acs STS.testid:7JoY0jBZVkiwNwOQiIWDabM2eQk=");
  CHECK_STR(hdr(&r, "x-acs-security-token"), STS_TOKEN);
  CHECK_STR(hdr(&r, "x-acs-accesskey-id"), "STS.testid");
  done(&r);
}

/* ---- ACS3-HMAC-SHA256 (§2) ----------------------------------------------------------- */

TEST(aliyun_sign_acs3_1_get_with_query) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ACS3, &AK, "GET", "cs.cn-hangzhou.aliyuncs.com", "/api/v1/clusters",
                    "{\"name\":\"my cluster*~\",\"page_size\":\"10\",\"region_id\":\"cn-hangzhou\"}",
                    NULL, NULL, "DescribeClustersV1", "2015-12-15", NULL,
                    "3f0c9a7e5b1d4e6f8a2b000000000011"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.canonical_request,
            "GET\n/api/v1/clusters\nname=my%20cluster%2A~&page_size=10&region_id=cn-hangzhou\n"
            "host:cs.cn-hangzhou.aliyuncs.com\n"
            "x-acs-action:DescribeClustersV1\n"
            "x-acs-content-sha256:" EMPTY_SHA256 "\n"
            "x-acs-date:2024-01-02T03:04:05Z\n"
            "x-acs-signature-nonce:3f0c9a7e5b1d4e6f8a2b000000000011\n"
            "x-acs-version:2015-12-15\n\n"
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
            EMPTY_SHA256);
  CHECK_STR(r.tr.string_to_sign,
            "ACS3-HMAC-SHA256\n4cf52a2b89a474ebef97ada05339ef4b89684e961282e98b7c0393b61571ae7b");
  CHECK_STR(r.tr.signature, "424d8bcbf64899c3f63e206634727503c947a057ab55c12c2e68dd50dac7be51");
  CHECK(same_json(r.headers,
                  "{\"accept\":\"application/json\",\"host\":\"cs.cn-hangzhou.aliyuncs.com\","
                  "\"x-acs-action\":\"DescribeClustersV1\","
                  "\"x-acs-content-sha256\":\"" EMPTY_SHA256 "\","
                  "\"x-acs-date\":\"2024-01-02T03:04:05Z\","
                  "\"x-acs-signature-nonce\":\"3f0c9a7e5b1d4e6f8a2b000000000011\","
                  "\"x-acs-version\":\"2015-12-15\","
                  "\"authorization\":\"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;"
                  "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
                  "x-acs-version,Signature="
                  "424d8bcbf64899c3f63e206634727503c947a057ab55c12c2e68dd50dac7be51\"}"));
  done(&r);
}

TEST(aliyun_sign_acs3_2_post_json_body) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ACS3, &AK, "POST", "cs.cn-hangzhou.aliyuncs.com",
                    "/clusters/c1234567890abcdef/diagnosis", NULL, NULL, DIAG_BODY,
                    "CreateClusterDiagnosis", "2015-12-15", NULL, "3f0c9a7e5b1d4e6f8a2b000000000012"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.canonical_request,
            "POST\n/clusters/c1234567890abcdef/diagnosis\n\n"
            "content-type:application/json; charset=utf-8\n"
            "host:cs.cn-hangzhou.aliyuncs.com\n"
            "x-acs-action:CreateClusterDiagnosis\n"
            "x-acs-content-sha256:e2a3edbd254a79149ae8337974657499e3747c131b49071dded78846ada7a94b\n"
            "x-acs-date:2024-01-02T03:04:05Z\n"
            "x-acs-signature-nonce:3f0c9a7e5b1d4e6f8a2b000000000012\n"
            "x-acs-version:2015-12-15\n\n"
            "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
            "x-acs-version\n"
            "e2a3edbd254a79149ae8337974657499e3747c131b49071dded78846ada7a94b");
  CHECK_STR(r.tr.string_to_sign,
            "ACS3-HMAC-SHA256\nb56b57a8329444a12dbe6cc759001ffe8884cb6f25c89cc16132adb441e93e11");
  CHECK_STR(hdr(&r, "authorization"),
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=content-type;host;x-acs-action;"
            "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
            "f06c22df13dc8c026e9640986c3bb8c45865ac5764dfde07d65087b6059169c3");
  CHECK_STR(hdr(&r, "content-type"), "application/json; charset=utf-8");
  CHECK(json_object_size(r.headers) == 9);
  done(&r);
}

TEST(aliyun_sign_acs3_3_sts_token_headers) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ACS3, &STS, "GET", "cs.cn-hangzhou.aliyuncs.com",
                    "/clusters/c1234567890abcdef", NULL, NULL, NULL, "DescribeClusterDetail",
                    "2015-12-15", NULL, "3f0c9a7e5b1d4e6f8a2b000000000013"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.canonical_request,
            "GET\n/clusters/c1234567890abcdef\n\n"
            "host:cs.cn-hangzhou.aliyuncs.com\n"
            "x-acs-accesskey-id:STS.testid\n"
            "x-acs-action:DescribeClusterDetail\n"
            "x-acs-content-sha256:" EMPTY_SHA256 "\n"
            "x-acs-date:2024-01-02T03:04:05Z\n"
            "x-acs-security-token:CAIS/test+token=\n"
            "x-acs-signature-nonce:3f0c9a7e5b1d4e6f8a2b000000000013\n"
            "x-acs-version:2015-12-15\n\n"
            "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;"
            "x-acs-security-token;x-acs-signature-nonce;x-acs-version\n" EMPTY_SHA256);
  CHECK_STR(r.tr.string_to_sign,
            "ACS3-HMAC-SHA256\nd0d909b4e8b9a6b22562e54c45957c8ae630cc6125ed0d638ee571c9859550f4");
  CHECK_STR(hdr(&r, "authorization"),
            "ACS3-HMAC-SHA256 Credential=STS.testid,SignedHeaders=host;x-acs-accesskey-id;"
            "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;"
            "x-acs-signature-nonce;x-acs-version,Signature="
            "3b82233180940653ad8b876484cf17358468d9b96de93d03167a26901aedf177");
  CHECK_STR(hdr(&r, "x-acs-security-token"), STS_TOKEN);
  CHECK_STR(hdr(&r, "x-acs-accesskey-id"), "STS.testid");
  CHECK(json_object_size(r.headers) == 10);
  done(&r);
}

TEST(aliyun_sign_acs3_4_rpc_style_params_in_query) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ACS3, &AK, "POST", "metrics.cn-hangzhou.aliyuncs.com", "/",
                    "{\"Dimensions\":\"[{\\\"instanceId\\\":\\\"i-abc123\\\"}]\","
                    "\"EndTime\":\"2024-01-02 03:00:00\",\"Length\":\"100\","
                    "\"MetricName\":\"CPUUtilization\",\"Namespace\":\"acs_ecs_dashboard\","
                    "\"Period\":60,\"StartTime\":\"2024-01-02 02:00:00\"}",
                    NULL, NULL, "DescribeMetricList", "2019-01-01", NULL,
                    "3f0c9a7e5b1d4e6f8a2b000000000014"});
  CHECK(r.rc == 0);
  const char *q = "Dimensions=%5B%7B%22instanceId%22%3A%22i-abc123%22%7D%5D&EndTime=2024-01-02%2003"
                  "%3A00%3A00&Length=100&MetricName=CPUUtilization&Namespace=acs_ecs_dashboard&"
                  "Period=60&StartTime=2024-01-02%2002%3A00%3A00";
  CHECK(strncmp(r.tr.canonical_request, "POST\n/\n", 7) == 0);
  CHECK(strncmp(r.tr.canonical_request + 7, q, strlen(q)) == 0);
  CHECK_CONTAINS(r.tr.canonical_request, "\nx-acs-version:2019-01-01\n\nhost;x-acs-action;");
  CHECK_STR(r.tr.string_to_sign,
            "ACS3-HMAC-SHA256\na5b5a7b1ae3146a87af6b0c424f7987523bc58a1169d66d02f799cd49991864f");
  CHECK_STR(hdr(&r, "authorization"),
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;"
            "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
            "9178f3ff58af39a09f67fc1cfad55c8e63e3114249c65f725ce5b5ebfb998fdb");
  /* No Action/Version parameters under ACS3; the wire query is the vector's, byte for byte. */
  CHECK(json_object_size(r.query) == 7);
  char *qs = aliyun_query_string(r.query);
  CHECK_STR(qs, q);
  free(qs);
  done(&r);
}

/* ---- RPC HMAC-SHA1 (§4) -------------------------------------------------------------- */

TEST(aliyun_sign_rpc_1_cms_post_params_in_query) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_RPC_SHA1, &AK, "POST", "metrics.cn-hangzhou.aliyuncs.com", "/",
                    "{\"Dimensions\":\"[{\\\"instanceId\\\":\\\"i-abc123\\\"}]\","
                    "\"EndTime\":\"2024-01-02 03:00:00\",\"Length\":\"100\","
                    "\"MetricName\":\"CPUUtilization\",\"Namespace\":\"acs_ecs_dashboard\","
                    "\"Period\":\"60\",\"StartTime\":\"2024-01-02 02:00:00\",\"Format\":\"json\"}",
                    NULL, NULL, "DescribeMetricList", "2019-01-01", NULL,
                    "3f0c9a7e5b1d4e6f8a2b000000000021"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign,
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeMetricList%26Dimensions%3D%255B%257B"
            "%2522instanceId%2522%253A%2522i-abc123%2522%257D%255D%26EndTime%3D2024-01-02%252003%25"
            "3A00%253A00%26Format%3Djson%26Length%3D100%26MetricName%3DCPUUtilization%26Namespace%3"
            "Dacs_ecs_dashboard%26Period%3D60%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f0c"
            "9a7e5b1d4e6f8a2b000000000021%26SignatureVersion%3D1.0%26StartTime%3D2024-01-02%252002%"
            "253A00%253A00%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2019-01-01");
  CHECK_STR(json_string_value(json_object_get(r.query, "Signature")), "X/s457jGR1OxsJd4+kvxptR8BGk=");
  CHECK(json_object_size(r.query) == 16); /* 15 signed + Signature */
  char *qs = aliyun_query_string(r.query);
  CHECK_CONTAINS(qs, "&Signature=X%2Fs457jGR1OxsJd4%2BkvxptR8BGk%3D&");
  CHECK_CONTAINS(qs, "&Timestamp=2024-01-02T03%3A04%3A05Z&");
  free(qs);
  CHECK(!json_object_get(r.headers, "authorization"));
  done(&r);
}

TEST(aliyun_sign_rpc_2_sts_assume_role_get) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_RPC_SHA1, &AK, "GET", "sts.aliyuncs.com", "/",
                    "{\"DurationSeconds\":3600,\"RoleArn\":\"acs:ram::1234567890123456:role/ack-mcp\","
                    "\"RoleSessionName\":\"ack-mcp-server\"}",
                    NULL, NULL, "AssumeRole", "2015-04-01", NULL, "3f0c9a7e5b1d4e6f8a2b000000000022"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DAssumeRole%26DurationSeconds%3D3600%26Format%"
            "3DJSON%26RoleArn%3Dacs%253Aram%253A%253A1234567890123456%253Arole%252Fack-mcp%26RoleSe"
            "ssionName%3Dack-mcp-server%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f0c9a7e5b"
            "1d4e6f8a2b000000000022%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253"
            "A05Z%26Version%3D2015-04-01");
  CHECK_STR(r.tr.signature, "YnILLkV62xk94R8I/Skd3tTTdSc=");
  /* The vector's wire query, whose parameters happen to be sorted, Signature last. */
  char *qs = aliyun_query_string(r.query);
  CHECK_STR(qs, "AccessKeyId=testid&Action=AssumeRole&DurationSeconds=3600&Format=JSON&RoleArn=acs"
                "%3Aram%3A%3A1234567890123456%3Arole%2Fack-mcp&RoleSessionName=ack-mcp-server&"
                "Signature=YnILLkV62xk94R8I%2FSkd3tTTdSc%3D&SignatureMethod=HMAC-SHA1&SignatureNonce="
                "3f0c9a7e5b1d4e6f8a2b000000000022&SignatureVersion=1.0&Timestamp=2024-01-02T03%3A04%3A"
                "05Z&Version=2015-04-01");
  free(qs);
  done(&r);
}

TEST(aliyun_sign_rpc_3_security_token_parameter) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_RPC_SHA1, &STS, "POST", "sts.aliyuncs.com", "/", "{\"Format\":\"json\"}",
                    NULL, NULL, "GetCallerIdentity", "2015-04-01", NULL,
                    "3f0c9a7e5b1d4e6f8a2b000000000023"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign,
            "POST&%2F&AccessKeyId%3DSTS.testid%26Action%3DGetCallerIdentity%26Format%3Djson%26Secu"
            "rityToken%3DCAIS%252Ftest%252Btoken%253D%26SignatureMethod%3DHMAC-SHA1%26SignatureNon"
            "ce%3D3f0c9a7e5b1d4e6f8a2b000000000023%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-"
            "02T03%253A04%253A05Z%26Version%3D2015-04-01");
  CHECK_STR(json_string_value(json_object_get(r.query, "Signature")), "owztwbCos/513tDlybQRU/wOCQQ=");
  CHECK_STR(json_string_value(json_object_get(r.query, "SecurityToken")), STS_TOKEN);
  char *qs = aliyun_query_string(r.query);
  CHECK_CONTAINS(qs, "SecurityToken=CAIS%2Ftest%2Btoken%3D&");
  CHECK_CONTAINS(qs, "Signature=owztwbCos%2F513tDlybQRU%2FwOCQQ%3D&");
  free(qs);
  CHECK(!json_object_get(r.headers, "x-acs-security-token"));
  done(&r);
}

TEST(aliyun_sign_rpc_resign_replaces_signature_and_token) {
  run_t r;
  vec_t v = {ALIYUN_RPC_SHA1, &STS, "POST", "sts.aliyuncs.com", "/", "{\"Format\":\"json\"}", NULL,
             NULL, "GetCallerIdentity", "2015-04-01", NULL, "3f0c9a7e5b1d4e6f8a2b000000000023"};
  sign(&r, &v);
  CHECK(r.rc == 0);
  /* A retry on the same objects, now with plain AK credentials: no stale token, a new
   * signature computed without the old one. */
  aliyun_sign_req_t req = {.method = "POST", .path = "/", .query = r.query, .headers = r.headers,
                           .action = "GetCallerIdentity", .version = "2015-04-01", .now = T0,
                           .nonce = "3f0c9a7e5b1d4e6f8a2b000000000023"};
  aliyun_sign_trace_t tr = {0};
  CHECK(aliyun_sign_traced(ALIYUN_RPC_SHA1, &AK, &req, &tr, r.err, sizeof r.err) == 0);
  CHECK(!json_object_get(r.query, "SecurityToken"));
  CHECK(strstr(tr.string_to_sign, "Signature%3D") == NULL);
  CHECK_CONTAINS(tr.string_to_sign, "AccessKeyId%3Dtestid%26");
  aliyun_sign_trace_free(&tr);
  done(&r);
}

/* ---- SLS LOG v1 (§5.1) --------------------------------------------------------------- */

TEST(aliyun_sign_sls_1_getlogs_hmac_sha256) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_SLS_SHA256, &AK, "GET", "k8s-log-c123.cn-hangzhou.log.aliyuncs.com",
                    "/logstores/audit-c123", GETLOGS_QUERY, NULL, NULL, NULL, NULL, NULL, NULL});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "GET\n\n\nTue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-log-apiversion:0.6.0\nx-log-bodyrawsize:0\n"
                                 "x-log-signaturemethod:hmac-sha256\n" GETLOGS_RESOURCE);
  /* The vector sends an empty content-md5; leaving it out signs the same (§8). */
  CHECK(same_json(r.headers, "{\"accept\":\"application/json\","
                             "\"date\":\"Tue, 02 Jan 2024 03:04:05 GMT\","
                             "\"host\":\"k8s-log-c123.cn-hangzhou.log.aliyuncs.com\","
                             "\"x-log-apiversion\":\"0.6.0\",\"x-log-bodyrawsize\":\"0\","
                             "\"x-log-signaturemethod\":\"hmac-sha256\",\"authorization\":"
                             "\"LOG testid:54HmOnaIzWiwyQ/w+F71eAPtLmkfIShklWnvUqQn5cI=\"}"));
  done(&r);
}

TEST(aliyun_sign_sls_2_callaitools_post_json) {
  run_t r;
  const char *body = "{\"params\":{\"project\":\"k8s-log-c123\",\"logStore\":\"audit-c123\","
                     "\"text\":\"count 5xx requests\"},\"regionId\":\"cn-hangzhou\","
                     "\"toolName\":\"sls_text_to_sql\"}";
  CHECK(strlen(body) == 143);
  sign(&r, &(vec_t){ALIYUN_SLS_SHA256, &AK, "POST", "cn-hangzhou.log.aliyuncs.com", "/ml/tool/call",
                    NULL, NULL, body, NULL, NULL, NULL, NULL});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "POST\n5727F176666840305FA9C4238C4F5DC2\napplication/json\n"
                                 "Tue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-log-apiversion:0.6.0\nx-log-bodyrawsize:143\n"
                                 "x-log-signaturemethod:hmac-sha256\n/ml/tool/call");
  CHECK(same_json(r.headers, "{\"accept\":\"application/json\","
                             "\"content-md5\":\"5727F176666840305FA9C4238C4F5DC2\","
                             "\"content-type\":\"application/json\","
                             "\"date\":\"Tue, 02 Jan 2024 03:04:05 GMT\","
                             "\"host\":\"cn-hangzhou.log.aliyuncs.com\","
                             "\"x-log-apiversion\":\"0.6.0\",\"x-log-bodyrawsize\":\"143\","
                             "\"x-log-signaturemethod\":\"hmac-sha256\",\"authorization\":"
                             "\"LOG testid:5UDrw1SBoOogoM/j2e7jhxqt3iwnOcnEgP9dU1JNjjo=\"}"));
  done(&r);
}

TEST(aliyun_sign_sls_3_sts_token_header) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_SLS_SHA256, &STS, "GET", "k8s-log-c123.cn-hangzhou.log.aliyuncs.com",
                    "/logstores/audit-c123", GETLOGS_QUERY, NULL, NULL, NULL, NULL, NULL, NULL});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "GET\n\n\nTue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-acs-security-token:CAIS/test+token=\n"
                                 "x-log-apiversion:0.6.0\nx-log-bodyrawsize:0\n"
                                 "x-log-signaturemethod:hmac-sha256\n" GETLOGS_RESOURCE);
  CHECK_STR(hdr(&r, "authorization"), "LOG STS.testid:oUBTeRe0UJcYHGdqQZigVB+uR6An5UMtIZtwOgpPuuA=");
  CHECK_STR(hdr(&r, "x-acs-security-token"), STS_TOKEN);
  CHECK(!json_object_get(r.headers, "x-acs-accesskey-id")); /* SLS carries the token only */
  done(&r);
}

TEST(aliyun_sign_sls_4_getlogs_hmac_sha1_caller_headers) {
  run_t r;
  /* This vector's client sent a content-type, no accept and no x-log-bodyrawsize: the caller
   * pins the first and leaves the other two out with null. */
  sign(&r, &(vec_t){ALIYUN_SLS_SHA1, &AK, "GET", "k8s-log-c123.cn-hangzhou.log.aliyuncs.com",
                    "/logstores/audit-c123",
                    "{\"query\":\"* | select count(1) as c\",\"line\":\"100\",\"offset\":\"0\","
                    "\"reverse\":\"false\",\"type\":\"log\",\"from\":\"1704160800\",\"to\":\"1704164400\"}",
                    "{\"content-type\":\"application/json\",\"accept\":null,\"x-log-bodyrawsize\":null}",
                    NULL, NULL, NULL, NULL, NULL});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "GET\n\napplication/json\nTue, 02 Jan 2024 03:04:05 GMT\n"
                                 "x-log-apiversion:0.6.0\nx-log-signaturemethod:hmac-sha1\n"
                                 "/logstores/audit-c123?from=1704160800&line=100&offset=0&query=* "
                                 "| select count(1) as c&reverse=false&to=1704164400&type=log");
  CHECK(same_json(r.headers, "{\"content-type\":\"application/json\","
                             "\"date\":\"Tue, 02 Jan 2024 03:04:05 GMT\","
                             "\"host\":\"k8s-log-c123.cn-hangzhou.log.aliyuncs.com\","
                             "\"x-log-apiversion\":\"0.6.0\","
                             "\"x-log-signaturemethod\":\"hmac-sha1\",\"authorization\":"
                             "\"LOG testid:AVfAT63jW74clBGsrkJpbiOpDjk=\"}"));
  done(&r);
}

/* ---- SLS4-HMAC-SHA256 (§5.2) --------------------------------------------------------- */

TEST(aliyun_sign_sls_5_getlogs_sls4) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_SLS4, &AK, "GET", "k8s-log-c123.cn-hangzhou.log.aliyuncs.com",
                    "/logstores/audit-c123", GETLOGS_QUERY, NULL, NULL, NULL, NULL, "cn-hangzhou",
                    NULL});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.canonical_request,
            "GET\n/logstores/audit-c123\n"
            "from=1704160800&line=100&offset=0&powerSql=false&query=%2A%20%7C%20select%20count(1)"
            "%20as%20c&reverse=false&to=1704164400&topic&type=log\n"
            "host:k8s-log-c123.cn-hangzhou.log.aliyuncs.com\n"
            "x-log-apiversion:0.6.0\nx-log-bodyrawsize:0\n"
            "x-log-content-sha256:" EMPTY_SHA256 "\n"
            "x-log-date:20240102T030405Z\n\n"
            "host;x-log-apiversion;x-log-bodyrawsize;x-log-content-sha256;x-log-date\n" EMPTY_SHA256);
  CHECK_STR(r.tr.signing_key_hex, "2d6d2f873c19fc46d1db5871c9e9fa893d3bd399822686faf01cf2e24a6189bb");
  CHECK_STR(r.tr.string_to_sign, "SLS4-HMAC-SHA256\n20240102T030405Z\n"
                                 "20240102/cn-hangzhou/sls/aliyun_v4_request\n"
                                 "968568dc8eb12c291a7a147c732156afafbd47689d461e7c13fea8baca0f8a40");
  CHECK(same_json(r.headers,
                  "{\"accept\":\"application/json\","
                  "\"host\":\"k8s-log-c123.cn-hangzhou.log.aliyuncs.com\","
                  "\"x-log-apiversion\":\"0.6.0\",\"x-log-bodyrawsize\":\"0\","
                  "\"x-log-content-sha256\":\"" EMPTY_SHA256 "\","
                  "\"x-log-date\":\"20240102T030405Z\",\"authorization\":\"SLS4-HMAC-SHA256 "
                  "Credential=testid/20240102/cn-hangzhou/sls/aliyun_v4_request,Signature="
                  "b912d129d4709cd441877a075e5d79b412f117ecca04da06fc74bd221159a535\"}"));
  done(&r);
}

TEST(aliyun_sign_sls4_sts_token_is_signed) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_SLS4, &STS, "GET", "p.cn-hangzhou.log.aliyuncs.com", "/logstores/x",
                    NULL, "{\"date\":\"stale\",\"x-log-signaturemethod\":\"hmac-sha1\"}", NULL, NULL,
                    NULL, "cn-hangzhou", NULL});
  CHECK(r.rc == 0);
  CHECK_CONTAINS(r.tr.canonical_request, "\nx-acs-security-token:CAIS/test+token=\n");
  CHECK_CONTAINS(r.tr.canonical_request, "\nhost;x-acs-security-token;x-log-apiversion;");
  CHECK(!json_object_get(r.headers, "date"));
  CHECK(!json_object_get(r.headers, "x-log-signaturemethod"));
  CHECK_CONTAINS(hdr(&r, "authorization"), "Credential=STS.testid/");
  done(&r);
}

/* ---- encoding (§1) ------------------------------------------------------------------- */

static void check_pe(const char *in, size_t len, const char *want) {
  char *got = aliyun_percent_encode(in, len);
  if (strcmp(got, want) != 0) {
    fprintf(stderr, "percent_encode: expected \"%s\", got \"%s\"\n", want, got);
    test__failed = 1;
  }
  free(got);
}

TEST(aliyun_sign_percent_encode_edge_cases) {
  check_pe("a b", 3, "a%20b");
  check_pe("*", 1, "%2A");
  check_pe("~", 1, "~");
  check_pe("/", 1, "%2F");
  check_pe("!'()", 4, "%21%27%28%29");
  check_pe("+=&%", 4, "%2B%3D%26%25");
  check_pe("AZaz09-_.", 9, "AZaz09-_.");
  check_pe("\xe4\xb8\xad\xe6\x96\x87", 6, "%E4%B8%AD%E6%96%87"); /* "中文", upper-case hex */
  check_pe("a\0b", 3, "a%00b");
  check_pe("", 0, "");
  check_pe(NULL, 5, "");
}

TEST(aliyun_sign_query_string_sorted_bytewise_and_encoded) {
  json_t *q = json_pack("{s:s, s:s, s:s, s:i, s:s}", "b", "x y", "A", "1", "_", "~*", "a", 7,
                        "Tag.1.Key", "k8s/app");
  char *qs = aliyun_query_string(q);
  CHECK_STR(qs, "A=1&Tag.1.Key=k8s%2Fapp&_=~%2A&a=7&b=x%20y");
  free(qs);
  qs = aliyun_query_string(NULL);
  CHECK_STR(qs, "");
  free(qs);
  json_object_set_new(q, "bad", json_real(1.5));
  CHECK(aliyun_query_string(q) == NULL);
  json_decref(q);
}

TEST(aliyun_sign_acs3_canonical_uri_substitutions_and_empty_values) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ACS3, &AK, "GET", "127.0.0.1:8443", "/a+b/c*d/e%7Ef", "{\"empty\":\"\"}",
                    NULL, NULL, "X", "2015-12-15", NULL, "n1"});
  CHECK(r.rc == 0);
  CHECK(strncmp(r.tr.canonical_request, "GET\n/a%20b/c%2Ad/e~f\nempty=\nhost:127.0.0.1:8443\n", 46) == 0);
  done(&r);
}

TEST(aliyun_sign_empty_body_hash_and_trimmed_values) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ACS3, &AK, "DELETE", "h", "/x", NULL, "{\"x-acs-extra\":\"  v \\t\"}",
                    NULL, "X", "1", NULL, "n"});
  CHECK(r.rc == 0);
  CHECK_STR(hdr(&r, "x-acs-content-sha256"), EMPTY_SHA256);
  CHECK_CONTAINS(r.tr.canonical_request, "\nx-acs-extra:v\n");
  CHECK_CONTAINS(hdr(&r, "authorization"), "x-acs-date;x-acs-extra;x-acs-signature-nonce");
  done(&r);
}

TEST(aliyun_sign_roa_header_values_cleaned) {
  run_t r;
  sign(&r, &(vec_t){ALIYUN_ROA_SHA1, &AK, "GET", "h", "/x", "{\"e\":\"\"}",
                    "{\"x-acs-extra\":\" a\\tb \",\"content-md5\":\"1B2M2Y8AsgTpgAmY7PhCfg==\"}",
                    NULL, NULL, "2015-12-15", NULL, "n"});
  CHECK(r.rc == 0);
  CHECK_STR(r.tr.string_to_sign, "GET\napplication/json\n1B2M2Y8AsgTpgAmY7PhCfg==\n\n"
                                 "Tue, 02 Jan 2024 03:04:05 GMT\nx-acs-extra:a b\n"
                                 "x-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:n\n"
                                 "x-acs-signature-version:1.0\nx-acs-version:2015-12-15\n/x?e=");
  CHECK(!json_object_get(r.headers, "x-acs-action")); /* optional for ROA */
  done(&r);
}

/* ---- nonce, clock, errors ------------------------------------------------------------ */

TEST(aliyun_sign_fresh_nonce_and_date_when_not_pinned) {
  json_t *h1 = json_object(), *h2 = json_object();
  aliyun_sign_req_t a = {.method = "GET", .host = "h", .path = "/", .headers = h1,
                         .action = "A", .version = "1"};
  aliyun_sign_req_t b = a;
  b.headers = h2;
  char err[128];
  CHECK(aliyun_sign(ALIYUN_ACS3, &AK, &a, err, sizeof err) == 0);
  CHECK(aliyun_sign(ALIYUN_ACS3, &AK, &b, err, sizeof err) == 0);
  const char *n1 = json_string_value(json_object_get(h1, "x-acs-signature-nonce"));
  const char *n2 = json_string_value(json_object_get(h2, "x-acs-signature-nonce"));
  CHECK(n1 && n2 && strlen(n1) == 32 && strlen(n2) == 32);
  CHECK(strspn(n1, "0123456789abcdef") == 32);
  CHECK(strcmp(n1, n2) != 0);
  CHECK(strcmp(json_string_value(json_object_get(h1, "authorization")),
               json_string_value(json_object_get(h2, "authorization"))) != 0);
  /* now = 0 means the current clock, not 1970. */
  CHECK(strncmp(json_string_value(json_object_get(h1, "x-acs-date")), "20", 2) == 0);
  CHECK(strcmp(json_string_value(json_object_get(h1, "x-acs-date")), "2024-01-02") > 0);
  json_decref(h1);
  json_decref(h2);
}

static void expect_error(aliyun_scheme_t s, const aliyun_cred_t *cred, const vec_t *v,
                         const char *needle) {
  run_t r;
  vec_t vv = *v;
  vv.scheme = s;
  vv.cred = cred;
  sign(&r, &vv);
  if (r.rc != ACK_EINVAL || !strstr(r.err, needle) || strstr(r.err, "secret-value")) {
    fprintf(stderr, "expected EINVAL with \"%s\", got %d \"%s\"\n", needle, r.rc, r.err);
    test__failed = 1;
  }
  /* A failed signing changes nothing the caller passed in. */
  json_t *h0 = json_loads(vv.headers ? vv.headers : "{}", 0, NULL);
  json_t *q0 = vv.query ? json_loads(vv.query, 0, NULL) : NULL;
  if (r.tr.string_to_sign || !json_equal(r.headers, h0) || (q0 && !json_equal(r.query, q0))) {
    fprintf(stderr, "%s: a failed signing changed the request or left output behind\n", needle);
    test__failed = 1;
  }
  json_decref(h0);
  json_decref(q0);
  done(&r);
}

TEST(aliyun_sign_errors_are_precise_and_never_show_the_secret) {
  const aliyun_cred_t no_secret = {"id", NULL, NULL}, empty_secret = {"id", "", NULL};
  const aliyun_cred_t no_id = {NULL, "secret-value", NULL};
  const aliyun_cred_t ok = {"id", "secret-value", NULL};
  const vec_t v = {0, NULL, "GET", "h", "/p", "{\"a\":\"b\"}", NULL, NULL, "A", "1", "r", NULL};
  expect_error(ALIYUN_ACS3, &no_secret, &v, "access key secret is missing");
  expect_error(ALIYUN_SLS_SHA256, &empty_secret, &v, "access key secret is missing");
  expect_error(ALIYUN_RPC_SHA1, &no_id, &v, "access key id is missing");
  expect_error(ALIYUN_ACS3, NULL, &v, "no credentials");
  vec_t w = v;
  w.action = NULL;
  expect_error(ALIYUN_ACS3, &ok, &w, "action is required for acs3");
  expect_error(ALIYUN_RPC_SHA1, &ok, &w, "action is required for rpc-sha1");
  w = v;
  w.version = NULL;
  expect_error(ALIYUN_ROA_SHA1, &ok, &w, "version is required for roa-sha1");
  w = v;
  w.region = NULL;
  expect_error(ALIYUN_SLS4, &ok, &w, "region is required for sls4");
  w = v;
  w.host = NULL;
  expect_error(ALIYUN_ACS3, &ok, &w, "host is required for acs3");
  w = v;
  w.headers = "{\"X-Acs-Foo\":\"1\"}";
  expect_error(ALIYUN_ACS3, &ok, &w, "header name 'X-Acs-Foo' must be lower-case");
  w.headers = "{\"x-acs-foo\":\"a\\r\\nx-evil: 1\"}";
  expect_error(ALIYUN_ACS3, &ok, &w, "header 'x-acs-foo' contains a control character");
  w.headers = "{\"x-acs-foo\":1}";
  expect_error(ALIYUN_ACS3, &ok, &w, "header 'x-acs-foo' must be a string or null");
  w = v;
  w.path = "/p?x=1";
  expect_error(ALIYUN_ROA_SHA1, &ok, &w, "path must not contain '?'");
  w.path = "/a b";
  expect_error(ALIYUN_ACS3, &ok, &w, "path must be percent-encoded");
  w.path = "p";
  expect_error(ALIYUN_ACS3, &ok, &w, "path must start with '/'");
  w = v;
  w.method = "get";
  expect_error(ALIYUN_ACS3, &ok, &w, "method must be upper-case letters");
  w = v;
  w.query = "{\"a\":[1]}";
  expect_error(ALIYUN_SLS_SHA256, &ok, &w, "query parameter 'a' must be a string");
  w.query = NULL;
  expect_error(ALIYUN_RPC_SHA1, &ok, &w, "query must be an object for rpc-sha1");
  w = v;
  w.nonce = "a\nb";
  expect_error(ALIYUN_ACS3, &ok, &w, "nonce contains a byte");
  w = v;
  w.host = "h\r\nx: y";
  expect_error(ALIYUN_ACS3, &ok, &w, "host contains a byte");
  w = v;
  w.headers = "{\"content-type\":\"application/x-www-form-urlencoded\"}";
  w.body = "a=%zz";
  expect_error(ALIYUN_RPC_SHA1, &ok, &w, "form body: bad percent-escape at byte 2");
  char err[64];
  json_t *h = json_object();
  aliyun_sign_req_t req = {.method = "GET", .headers = h};
  CHECK(aliyun_sign((aliyun_scheme_t)42, &ok, &req, err, sizeof err) == ACK_EINVAL);
  CHECK_CONTAINS(err, "unknown signing scheme");
  json_decref(h);
}

TEST(aliyun_sign_scheme_names_round_trip) {
  const char *names[] = {"acs3", "roa-sha1", "rpc-sha1", "sls-sha256", "sls-sha1", "sls4"};
  for (int i = 0; i < 6; i++) {
    CHECK(aliyun_scheme_parse(names[i]) == i);
    CHECK_STR(aliyun_scheme_name((aliyun_scheme_t)i), names[i]);
  }
  CHECK(aliyun_scheme_parse("ACS3") == -1);
  CHECK(aliyun_scheme_parse(NULL) == -1);
  CHECK(aliyun_scheme_name((aliyun_scheme_t)6) == NULL);
}

/* ---- the simulator's verifier -------------------------------------------------------- */

/* Signs v with secret (unpinned: fresh nonce and clock) and appends the request as it goes on
 * the wire, with the secret the server holds, to batch. */
static int add_wire(json_t *batch, const vec_t *v, const char *secret, const char *server_secret) {
  run_t r;
  aliyun_cred_t cred = *v->cred;
  cred.access_key_secret = secret;
  vec_t vv = *v;
  vv.cred = &cred;
  sign(&r, &vv);
  if (r.rc != 0) {
    fprintf(stderr, "sign: %s\n", r.err);
    done(&r);
    return -1;
  }
  char *qs = aliyun_query_string(r.query);
  json_array_append_new(batch, json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "method", v->method,
                                         "path", v->path, "query", qs, "headers", r.headers,
                                         "body", v->body ? v->body : "", "secret", server_secret));
  free(qs);
  done(&r);
  return 0;
}

/* Runs tests/sim/aliyun/signing.py's verify() on every request of batch (one python3 for
 * all); returns its verdict lines ("<scheme> ok|MISMATCH <token>"), one per request. */
static char *simulator_verdicts(const json_t *batch) {
  char tmp[] = "/tmp/test_aliyun_sign.XXXXXX";
  int fd = mkstemp(tmp);
  if (fd < 0) return NULL;
  int bad = json_dumpfd(batch, fd, 0) != 0;
  close(fd);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import signing as s\n"
           "for d in json.load(open(sys.argv[2])):\n"
           "  w = s.WireRequest(d[\"method\"], d[\"path\"], s.parse_query(d[\"query\"]), "
           "d[\"headers\"], d[\"body\"].encode())\n"
           "  v = s.verify(w, lambda k: d[\"secret\"])\n"
           "  print(v.scheme, \"ok\" if v.signature_ok else \"MISMATCH\", v.security_token)' "
           "'%s/tests/sim/aliyun' '%s' 2>&1",
           ACK_SOURCE_DIR, tmp);
  FILE *p = bad ? NULL : popen(cmd, "r");
  struct { char *p; size_t len; } out = {0};
  char line[512];
  while (p && fgets(line, sizeof line, p)) {
    size_t n = strlen(line);
    out.p = ack_xrealloc(out.p, out.len + n + 1);
    memcpy(out.p + out.len, line, n + 1);
    out.len += n;
  }
  if (p) pclose(p);
  unlink(tmp);
  return out.p;
}

TEST(aliyun_sign_simulator_verifier_accepts_every_scheme) {
  const aliyun_cred_t ak = {"LTAIsim", "unused", NULL}, sts = {"STS.sim", "unused", "tok/+=en"};
  const char *q = "{\"name\":\"a b*~(!)\",\"empty\":\"\",\"u\":\"\xc3\xa9t\xc3\xa9\"}";
  const char *json_body = "{\"a\":[1,2],\"s\":\"x y\"}";
  const vec_t reqs[] = {
      {ALIYUN_ACS3, &ak, "POST", "127.0.0.1:18443", "/clusters/c%201/x*y", q, NULL, json_body,
       "Act", "2015-12-15", NULL, NULL},
      {ALIYUN_ACS3, &sts, "POST", "127.0.0.1", "/", q, NULL, NULL, "DescribeMetricList",
       "2019-01-01", NULL, NULL},
      {ALIYUN_ROA_SHA1, &sts, "PUT", "127.0.0.1", "/clusters/c1", q, NULL, json_body, "Act",
       "2015-12-15", NULL, NULL},
      {ALIYUN_RPC_SHA1, &sts, "POST", "127.0.0.1", "/", q,
       "{\"content-type\":\"application/x-www-form-urlencoded\"}",
       "RoleArn=acs%3Aram%3A%3A1%3Arole%2Fx&RoleSessionName=a+b&Policy=%7B%7D", "AssumeRole",
       "2015-04-01", NULL, NULL},
      {ALIYUN_SLS_SHA256, &sts, "GET", "127.0.0.1", "/logstores/l", q, NULL, NULL, NULL, NULL,
       NULL, NULL},
      {ALIYUN_SLS_SHA1, &ak, "POST", "127.0.0.1", "/ml/tool/call", NULL, NULL, json_body, NULL,
       NULL, NULL, NULL},
      {ALIYUN_SLS4, &sts, "POST", "127.0.0.1:9", "/logstores/l", q, NULL, json_body, NULL, NULL,
       "cn-hangzhou", NULL},
  };
  /* Each request twice: the server holding the right secret must accept it, one holding
   * another secret must not (so this check can fail). */
  json_t *batch = json_array();
  for (size_t i = 0; i < ACK_ARRAY_LEN(reqs); i++) {
    CHECK(add_wire(batch, &reqs[i], "s3cr3t/+=", "s3cr3t/+=") == 0);
    CHECK(add_wire(batch, &reqs[i], "s3cr3t/+=", "other") == 0);
  }
  char *got = simulator_verdicts(batch);
  json_decref(batch);
  CHECK_STR(got, "ACS3-HMAC-SHA256 ok None\nACS3-HMAC-SHA256 MISMATCH None\n"
                 "ACS3-HMAC-SHA256 ok tok/+=en\nACS3-HMAC-SHA256 MISMATCH tok/+=en\n"
                 "ROA-HMAC-SHA1 ok tok/+=en\nROA-HMAC-SHA1 MISMATCH tok/+=en\n"
                 "RPC-HMAC-SHA1 ok tok/+=en\nRPC-HMAC-SHA1 MISMATCH tok/+=en\n"
                 "LOG-HMAC-SHA256 ok tok/+=en\nLOG-HMAC-SHA256 MISMATCH tok/+=en\n"
                 "LOG-HMAC-SHA1 ok None\nLOG-HMAC-SHA1 MISMATCH None\n"
                 "SLS4-HMAC-SHA256 ok tok/+=en\nSLS4-HMAC-SHA256 MISMATCH tok/+=en\n");
  free(got);
}

RUN_TESTS(T(aliyun_sign_roa_1_get_with_query),
          T(aliyun_sign_roa_2_post_json_body),
          T(aliyun_sign_roa_3_sts_token_headers),
          T(aliyun_sign_acs3_1_get_with_query),
          T(aliyun_sign_acs3_2_post_json_body),
          T(aliyun_sign_acs3_3_sts_token_headers),
          T(aliyun_sign_acs3_4_rpc_style_params_in_query),
          T(aliyun_sign_rpc_1_cms_post_params_in_query),
          T(aliyun_sign_rpc_2_sts_assume_role_get),
          T(aliyun_sign_rpc_3_security_token_parameter),
          T(aliyun_sign_rpc_resign_replaces_signature_and_token),
          T(aliyun_sign_sls_1_getlogs_hmac_sha256),
          T(aliyun_sign_sls_2_callaitools_post_json),
          T(aliyun_sign_sls_3_sts_token_header),
          T(aliyun_sign_sls_4_getlogs_hmac_sha1_caller_headers),
          T(aliyun_sign_sls_5_getlogs_sls4),
          T(aliyun_sign_sls4_sts_token_is_signed),
          T(aliyun_sign_percent_encode_edge_cases),
          T(aliyun_sign_query_string_sorted_bytewise_and_encoded),
          T(aliyun_sign_acs3_canonical_uri_substitutions_and_empty_values),
          T(aliyun_sign_empty_body_hash_and_trimmed_values),
          T(aliyun_sign_roa_header_values_cleaned),
          T(aliyun_sign_fresh_nonce_and_date_when_not_pinned),
          T(aliyun_sign_errors_are_precise_and_never_show_the_secret),
          T(aliyun_sign_scheme_names_round_trip),
          T(aliyun_sign_simulator_verifier_accepts_every_scheme))
