/* aliyun_sign.c: the Alibaba Cloud signers of aliyun_sign.h (ACS3, ROA/RPC HMAC-SHA1, SLS
 * LOG v1 and SLS4), written from shared/reference/aliyun-signing.md §1-§6. Pure functions of
 * the request, the credentials, the clock and a nonce; the caller owns every object passed in. */
#include "aliyun_sign.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ack.h"

#define SHA256_HEX_LEN 64

/* ---- small string builder ----------------------------------------------------------- */

typedef struct sb {
  char *p;
  size_t len, cap;
} sb_t;

/* Room for n more bytes and the NUL. */
static void sb_reserve(sb_t *b, size_t n) {
  if (b->len + n + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1) cap *= 2;
  b->p = ack_xrealloc(b->p, cap);
  b->cap = cap;
}

static void sb_addn(sb_t *b, const char *s, size_t n) {
  sb_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_add(sb_t *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_addc(sb_t *b, char c) {
  sb_reserve(b, 1);
  b->p[b->len++] = c;
  b->p[b->len] = '\0';
}

/* Returns the built string ("" when nothing was added); the builder is left empty. */
static char *sb_take(sb_t *b) {
  char *p = b->p ? b->p : ack_strdup("");
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* ---- encoding (§1) ------------------------------------------------------------------ */

static bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

/* SLS4's canonical query keeps ! ' ( ) raw as well (encodeURIComponent with '*' escaped):
 * that is what vector SLS-5 shows, and what the simulator's verifier follows. */
static bool sls4_keep(unsigned char c) {
  return unreserved(c) || c == '!' || c == '\'' || c == '(' || c == ')';
}

static void sb_encode(sb_t *b, const char *s, size_t len, bool (*keep)(unsigned char)) {
  static const char hex[] = "0123456789ABCDEF";
  sb_reserve(b, 3 * len); /* the worst case, so the loop writes without checks */
  char *o = b->p + b->len;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (keep(c)) {
      *o++ = (char)c;
    } else {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
  }
  b->len = (size_t)(o - b->p);
  b->p[b->len] = '\0';
}

char *aliyun_percent_encode(const char *s, size_t len) {
  sb_t b = {0};
  sb_encode(&b, s ? s : "", s ? len : 0, unreserved);
  return sb_take(&b);
}

static void to_hex(const unsigned char *d, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[2 * n] = '\0';
}

/* ---- digests (OpenSSL) -------------------------------------------------------------- */

static void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
  to_hex(md, n, out);
}

static unsigned int hmac(const EVP_MD *md, const void *key, size_t keylen, const void *msg,
                         size_t len, unsigned char out[EVP_MAX_MD_SIZE]) {
  unsigned int n = 0;
  HMAC(md, key, (int)keylen, msg, len, out, &n);
  return n;
}

static char *base64(const unsigned char *d, size_t n) {
  char *out = ack_xmalloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)out, d, (int)n);
  return out;
}

/* ---- dates (§1): locale-independent ------------------------------------------------- */

typedef enum { DATE_ISO, DATE_RFC1123, DATE_COMPACT, DATE_DAY } date_fmt_t;

static int format_date(time_t t, date_fmt_t f, char *out, size_t outlen) {
  static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999) return -1;
  int y = tm.tm_year + 1900, mo = tm.tm_mon + 1;
  switch (f) {
  case DATE_ISO:
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    break;
  case DATE_RFC1123:
    snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
             mon[tm.tm_mon], y, tm.tm_hour, tm.tm_min, tm.tm_sec);
    break;
  case DATE_COMPACT:
    snprintf(out, outlen, "%04d%02d%02dT%02d%02d%02dZ", y, mo, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    break;
  case DATE_DAY:
    snprintf(out, outlen, "%04d%02d%02d", y, mo, tm.tm_mday);
    break;
  }
  return 0;
}

/* ---- parameters --------------------------------------------------------------------- */

typedef struct kv {
  char *k, *v;
} kv_t;

typedef struct kvlist {
  kv_t *a;
  size_t n, cap;
} kvlist_t;

static void kv_push(kvlist_t *l, char *k, char *v) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->a = ack_xrealloc(l->a, l->cap * sizeof *l->a);
  }
  l->a[l->n].k = k;
  l->a[l->n].v = v;
  l->n++;
}

static void kv_free(kvlist_t *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->a[i].k);
    free(l->a[i].v);
  }
  free(l->a);
  l->a = NULL;
  l->n = l->cap = 0;
}

/* Byte-wise on the name (§1), then on the value so repeated names sort stably. */
static int kv_cmp(const void *a, const void *b) {
  const kv_t *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  return c ? c : strcmp(x->v, y->v);
}

static void kv_sort(kvlist_t *l) {
  if (l->n > 1) qsort(l->a, l->n, sizeof *l->a, kv_cmp);
}

/* The string form of a query value; NULL for types a query cannot carry. */
static char *value_string(const json_t *v) {
  if (json_is_string(v)) return ack_strndup(json_string_value(v), json_string_length(v));
  if (json_is_integer(v)) {
    char num[32];
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return ack_strdup(num);
  }
  return NULL;
}

static int collect_query(const json_t *q, kvlist_t *out, char *err, size_t errlen) {
  if (!q) return 0;
  if (!json_is_object(q)) return fail(err, errlen, ACK_EINVAL, "query must be an object");
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)q, k, v) {
    char *s = value_string(v);
    if (!s) return fail(err, errlen, ACK_EINVAL, "query parameter '%s' must be a string", k);
    kv_push(out, ack_strdup(k), s);
  }
  kv_sort(out);
  return 0;
}

char *aliyun_query_string(const json_t *query) {
  kvlist_t l = {0};
  if (collect_query(query, &l, NULL, 0) != 0) {
    kv_free(&l);
    return NULL;
  }
  sb_t b = {0};
  for (size_t i = 0; i < l.n; i++) {
    if (i) sb_addc(&b, '&');
    sb_encode(&b, l.a[i].k, strlen(l.a[i].k), unreserved);
    sb_addc(&b, '=');
    sb_encode(&b, l.a[i].v, strlen(l.a[i].v), unreserved);
  }
  kv_free(&l);
  return sb_take(&b);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* application/x-www-form-urlencoded decoding ('+' is a space), as the server decodes it. */
static char *form_decode(const char *s, size_t n, size_t off, char *err, size_t errlen) {
  char *out = ack_xmalloc(n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '+') {
      out[o++] = ' ';
    } else if (s[i] == '%') {
      int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        free(out);
        fail(err, errlen, ACK_EINVAL, "form body: bad percent-escape at byte %zu", off + i);
        return NULL;
      }
      if (hi == 0 && lo == 0) {
        free(out);
        fail(err, errlen, ACK_EINVAL, "form body: %%00 at byte %zu is not supported", off + i);
        return NULL;
      }
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else if (s[i] == '\0') {
      free(out);
      fail(err, errlen, ACK_EINVAL, "form body: NUL byte at %zu", off + i);
      return NULL;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  return out;
}

/* Name/value pairs of a form body (RPC signs them with the query ones, §4). */
static int form_params(const char *body, size_t len, kvlist_t *out, char *err, size_t errlen) {
  size_t i = 0;
  while (i < len) {
    const char *amp = memchr(body + i, '&', len - i);
    size_t end = amp ? (size_t)(amp - body) : len;
    if (end > i) {
      const char *eq = memchr(body + i, '=', end - i);
      size_t kend = eq ? (size_t)(eq - body) : end;
      char *k = form_decode(body + i, kend - i, i, err, errlen);
      if (!k) return ACK_EINVAL;
      char *v = eq ? form_decode(eq + 1, end - kend - 1, kend + 1, err, errlen) : ack_strdup("");
      if (!v) {
        free(k);
        return ACK_EINVAL;
      }
      kv_push(out, k, v);
    }
    i = end + 1;
  }
  return 0;
}

/* ---- headers ------------------------------------------------------------------------ */

static bool tchar_lower(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int check_headers(json_t *h, char *err, size_t errlen) {
  const char *k;
  json_t *v;
  json_object_foreach(h, k, v) {
    if (!*k) return fail(err, errlen, ACK_EINVAL, "empty header name");
    for (const char *p = k; *p; p++) {
      if (*p >= 'A' && *p <= 'Z')
        return fail(err, errlen, ACK_EINVAL, "header name '%s' must be lower-case", k);
      if (!tchar_lower((unsigned char)*p))
        return fail(err, errlen, ACK_EINVAL, "header name '%s' has an invalid character", k);
    }
    if (json_is_null(v)) continue;
    if (!json_is_string(v))
      return fail(err, errlen, ACK_EINVAL, "header '%s' must be a string or null", k);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)s[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return fail(err, errlen, ACK_EINVAL, "header '%s' contains a control character", k);
    }
  }
  return 0;
}

/* A caller-supplied string that goes into a header or a parameter: printable ASCII only. */
static int check_field(const char *what, const char *v, char *err, size_t errlen) {
  for (const unsigned char *p = (const unsigned char *)v; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return fail(err, errlen, ACK_EINVAL, "%s contains a byte that is not printable ASCII", what);
  return 0;
}

static void hset(json_t *h, const char *name, const char *value) {
  json_object_set_new(h, name, json_string(value));
}

/* Sets name unless the caller already has it (a string to keep, or null to leave it out). */
static void hdefault(json_t *h, const char *name, const char *value) {
  if (!json_object_get(h, name)) hset(h, name, value);
}

static void drop_nulls(json_t *h) {
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(h, tmp, k, v) {
    if (json_is_null(v)) json_object_del(h, k);
  }
}

static const char *hget(const json_t *h, const char *name) {
  const char *v = json_string_value(json_object_get(h, name));
  return v ? v : "";
}

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef bool (*hpred_t)(const char *name);

/* The sorted names of the headers pred selects (the array is the caller's to free; the
 * names belong to h). */
static size_t header_names(const json_t *h, hpred_t pred, const char ***out) {
  const char **names = ack_xmalloc((json_object_size(h) + 1) * sizeof *names);
  size_t n = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)h, k, v) {
    if (pred(k)) names[n++] = k;
  }
  if (n > 1) qsort(names, n, sizeof *names, str_cmp);
  *out = names;
  return n;
}

static bool starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}
static bool is_acs3_signed(const char *n) {
  return !strcmp(n, "host") || !strcmp(n, "content-type") || starts(n, "x-acs-");
}
static bool is_x_acs(const char *n) { return starts(n, "x-acs-"); }
static bool is_sls_v1_signed(const char *n) { return starts(n, "x-log-") || starts(n, "x-acs-"); }
static bool is_sls4_signed(const char *n) { return is_acs3_signed(n) || starts(n, "x-log-"); }

typedef enum { VAL_AS_IS, VAL_TRIM, VAL_ROA } val_form_t;

static void sb_add_value(sb_t *b, const char *v, val_form_t form) {
  if (form == VAL_AS_IS) {
    sb_add(b, v);
    return;
  }
  /* Header values never hold CR/LF/FF here (check_headers), so ROA's "tab, CR, LF, FF
   * become spaces" (§3) reduces to tabs. */
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  for (size_t i = 0; i < n; i++) sb_addc(b, form == VAL_ROA && v[i] == '\t' ? ' ' : v[i]);
}

/* "name:value\n" for every selected header, sorted; the names joined by ';' go to *list. */
static void canonical_headers(sb_t *b, const json_t *h, hpred_t pred, val_form_t form,
                              char **list) {
  const char **names;
  size_t n = header_names(h, pred, &names);
  sb_t l = {0};
  for (size_t i = 0; i < n; i++) {
    sb_add(b, names[i]);
    sb_addc(b, ':');
    sb_add_value(b, hget(h, names[i]), form);
    sb_addc(b, '\n');
    if (list) {
      if (i) sb_addc(&l, ';');
      sb_add(&l, names[i]);
    }
  }
  free(names);
  if (list) *list = sb_take(&l);
}

/* ---- the signing context ------------------------------------------------------------ */

typedef struct sign_ctx {
  aliyun_scheme_t scheme;
  const aliyun_cred_t *cred;
  aliyun_sign_req_t *req;
  json_t *h;
  const char *path;
  bool sts;
  const char *nonce;
  char nonce_buf[33];
  time_t now;
  kvlist_t form; /* RPC: the parameters of a form body */
  char *err;
  size_t errlen;
  /* results */
  char *canonical, *string_to_sign, *signature, *key_hex;
} sign_ctx_t;

static int need(sign_ctx_t *c, const char *v, const char *what) {
  if (!v || !*v)
    return fail(c->err, c->errlen, ACK_EINVAL, "%s is required for %s", what,
                aliyun_scheme_name(c->scheme));
  return check_field(what, v, c->err, c->errlen);
}

/* STS credentials (§6): ACS3 and ROA carry the token and the key id as signed x-acs-
 * headers; SLS only the token. Without a token both are removed, so a request re-signed
 * with other credentials carries no stale ones. */
static void sts_headers(sign_ctx_t *c, bool with_key_id) {
  if (c->sts) {
    hset(c->h, "x-acs-security-token", c->cred->security_token);
    if (with_key_id) hset(c->h, "x-acs-accesskey-id", c->cred->access_key_id);
  } else {
    json_object_del(c->h, "x-acs-security-token");
    json_object_del(c->h, "x-acs-accesskey-id");
  }
}

static void body_sha256(const sign_ctx_t *c, char out[SHA256_HEX_LEN + 1]) {
  sha256_hex(c->req->body ? c->req->body : "", c->req->body_len, out);
}

/* Canonical query of ACS3 (empty values "name=") and SLS4 (empty values "name"). */
static int canonical_query(sb_t *b, const json_t *q, bool (*keep)(unsigned char),
                           bool empty_as_name, char *err, size_t errlen) {
  kvlist_t l = {0};
  int rc = collect_query(q, &l, err, errlen);
  for (size_t i = 0; rc == 0 && i < l.n; i++) {
    if (i) sb_addc(b, '&');
    sb_add(b, l.a[i].k);
    if (empty_as_name && !*l.a[i].v) continue;
    sb_addc(b, '=');
    sb_encode(b, l.a[i].v, strlen(l.a[i].v), keep);
  }
  kv_free(&l);
  return rc;
}

/* ROA and SLS v1 canonical resource: path, then "?name=value&..." with raw values. */
static int canonical_resource(sb_t *b, const sign_ctx_t *c) {
  kvlist_t l = {0};
  int rc = collect_query(c->req->query, &l, c->err, c->errlen);
  sb_add(b, c->path);
  for (size_t i = 0; rc == 0 && i < l.n; i++) {
    sb_addc(b, i ? '&' : '?');
    sb_add(b, l.a[i].k);
    sb_addc(b, '=');
    sb_add(b, l.a[i].v);
  }
  kv_free(&l);
  return rc;
}

/* ---- ACS3-HMAC-SHA256 (§2) ---------------------------------------------------------- */

static int sign_acs3(sign_ctx_t *c) {
  aliyun_sign_req_t *r = c->req;
  int rc;
  char date[40], hash[SHA256_HEX_LEN + 1];
  format_date(c->now, DATE_ISO, date, sizeof date);
  body_sha256(c, hash);
  hset(c->h, "x-acs-action", r->action);
  hset(c->h, "x-acs-version", r->version);
  hset(c->h, "x-acs-date", date);
  hset(c->h, "x-acs-signature-nonce", c->nonce);
  hset(c->h, "x-acs-content-sha256", hash);
  hdefault(c->h, "accept", "application/json");
  if (r->body_len) hdefault(c->h, "content-type", "application/json; charset=utf-8");
  sts_headers(c, true);
  drop_nulls(c->h);

  sb_t b = {0};
  sb_add(&b, r->method);
  sb_addc(&b, '\n');
  /* Canonical URI: the wire path with the SDK's three substitutions (§2.2). */
  for (const char *p = c->path; *p; p++) {
    if (*p == '+') sb_add(&b, "%20");
    else if (*p == '*') sb_add(&b, "%2A");
    else if (!strncmp(p, "%7E", 3)) sb_addc(&b, '~'), p += 2;
    else sb_addc(&b, *p);
  }
  sb_addc(&b, '\n');
  if ((rc = canonical_query(&b, r->query, unreserved, false, c->err, c->errlen))) {
    free(sb_take(&b));
    return rc;
  }
  sb_addc(&b, '\n');
  char *signed_list;
  canonical_headers(&b, c->h, is_acs3_signed, VAL_TRIM, &signed_list);
  sb_addc(&b, '\n');
  sb_add(&b, signed_list);
  sb_addc(&b, '\n');
  sb_add(&b, hash);
  c->canonical = sb_take(&b);

  char crhash[SHA256_HEX_LEN + 1];
  sha256_hex(c->canonical, strlen(c->canonical), crhash);
  sb_add(&b, "ACS3-HMAC-SHA256\n");
  sb_add(&b, crhash);
  c->string_to_sign = sb_take(&b);

  unsigned char mac[EVP_MAX_MD_SIZE];
  const char *secret = c->cred->access_key_secret;
  unsigned int n = hmac(EVP_sha256(), secret, strlen(secret), c->string_to_sign,
                        strlen(c->string_to_sign), mac);
  c->signature = ack_xmalloc(2 * n + 1);
  to_hex(mac, n, c->signature);

  sb_add(&b, "ACS3-HMAC-SHA256 Credential=");
  sb_add(&b, c->cred->access_key_id);
  sb_add(&b, ",SignedHeaders=");
  sb_add(&b, signed_list);
  sb_add(&b, ",Signature=");
  sb_add(&b, c->signature);
  free(signed_list);
  char *auth = sb_take(&b);
  hset(c->h, "authorization", auth);
  free(auth);
  return 0;
}

/* ---- ROA HMAC-SHA1 (§3) and SLS LOG v1 (§5.1) --------------------------------------- */

/* Both: base64(HMAC(secret, string to sign)), Authorization "<prefix> <id>:<sig>". */
static void finish_v1(sign_ctx_t *c, const EVP_MD *md, const char *prefix) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  const char *secret = c->cred->access_key_secret;
  unsigned int n = hmac(md, secret, strlen(secret), c->string_to_sign,
                        strlen(c->string_to_sign), mac);
  c->signature = base64(mac, n);
  sb_t b = {0};
  sb_add(&b, prefix);
  sb_addc(&b, ' ');
  sb_add(&b, c->cred->access_key_id);
  sb_addc(&b, ':');
  sb_add(&b, c->signature);
  char *auth = sb_take(&b);
  hset(c->h, "authorization", auth);
  free(auth);
}

static void sb_line(sb_t *b, const char *s) {
  sb_add(b, s);
  sb_addc(b, '\n');
}

static int sign_roa(sign_ctx_t *c) {
  aliyun_sign_req_t *r = c->req;
  int rc;
  char date[40];
  format_date(c->now, DATE_RFC1123, date, sizeof date);
  hset(c->h, "date", date);
  hdefault(c->h, "accept", "application/json");
  if (r->body_len) hdefault(c->h, "content-type", "application/json; charset=utf-8");
  if (r->action && *r->action) hset(c->h, "x-acs-action", r->action);
  hset(c->h, "x-acs-version", r->version);
  hset(c->h, "x-acs-signature-nonce", c->nonce);
  hset(c->h, "x-acs-signature-method", "HMAC-SHA1");
  hset(c->h, "x-acs-signature-version", "1.0");
  sts_headers(c, true);
  drop_nulls(c->h);

  sb_t b = {0};
  sb_line(&b, r->method);
  sb_line(&b, hget(c->h, "accept"));
  sb_line(&b, hget(c->h, "content-md5"));
  sb_line(&b, hget(c->h, "content-type"));
  sb_line(&b, hget(c->h, "date"));
  canonical_headers(&b, c->h, is_x_acs, VAL_ROA, NULL);
  rc = canonical_resource(&b, c);
  c->string_to_sign = sb_take(&b);
  if (rc) return rc;
  finish_v1(c, EVP_sha1(), "acs");
  return 0;
}

static int sign_sls_v1(sign_ctx_t *c, bool sha256) {
  aliyun_sign_req_t *r = c->req;
  char date[40], size[32];
  format_date(c->now, DATE_RFC1123, date, sizeof date);
  snprintf(size, sizeof size, "%zu", r->body_len);
  hset(c->h, "date", date);
  hset(c->h, "x-log-signaturemethod", sha256 ? "hmac-sha256" : "hmac-sha1");
  hdefault(c->h, "x-log-apiversion", "0.6.0");
  hdefault(c->h, "x-log-bodyrawsize", size);
  hdefault(c->h, "accept", "application/json");
  if (r->body_len) {
    /* SLS's Content-MD5 is upper-case hex, not base64 (§5.1). */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    EVP_Digest(r->body, r->body_len, md, &n, EVP_md5(), NULL);
    to_hex(md, n, hex);
    for (char *p = hex; *p; p++)
      if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    hset(c->h, "content-md5", hex);
    hdefault(c->h, "content-type", "application/json");
  } else {
    json_object_del(c->h, "content-md5");
  }
  sts_headers(c, false);
  drop_nulls(c->h);

  sb_t b = {0};
  sb_line(&b, r->method);
  sb_line(&b, hget(c->h, "content-md5"));
  sb_line(&b, hget(c->h, "content-type"));
  sb_line(&b, hget(c->h, "date"));
  canonical_headers(&b, c->h, is_sls_v1_signed, VAL_AS_IS, NULL);
  int rc = canonical_resource(&b, c);
  c->string_to_sign = sb_take(&b);
  if (rc) return rc;
  finish_v1(c, sha256 ? EVP_sha256() : EVP_sha1(), "LOG");
  return 0;
}

/* ---- RPC HMAC-SHA1 (§4) ------------------------------------------------------------- */

static void qset(json_t *q, const char *name, const char *value) {
  json_object_set_new(q, name, json_string(value));
}

static int sign_rpc(sign_ctx_t *c) {
  aliyun_sign_req_t *r = c->req;
  int rc;
  kvlist_t l = c->form; /* the form-body parameters check_request parsed */
  c->form = (kvlist_t){0};
  json_t *q = r->query;
  char date[40];
  format_date(c->now, DATE_ISO, date, sizeof date);
  json_object_del(q, "Signature");
  qset(q, "Action", r->action);
  qset(q, "Version", r->version);
  if (!json_object_get(q, "Format")) qset(q, "Format", "JSON");
  qset(q, "AccessKeyId", c->cred->access_key_id);
  qset(q, "SignatureMethod", "HMAC-SHA1");
  qset(q, "SignatureVersion", "1.0");
  qset(q, "SignatureNonce", c->nonce);
  qset(q, "Timestamp", date);
  if (c->sts) qset(q, "SecurityToken", c->cred->security_token);
  else json_object_del(q, "SecurityToken");
  hdefault(c->h, "accept", "application/json");
  drop_nulls(c->h);

  if ((rc = collect_query(q, &l, c->err, c->errlen))) { /* sorts the form ones in too */
    kv_free(&l);
    return rc;
  }
  sb_t canon = {0}, b = {0};
  for (size_t i = 0; i < l.n; i++) {
    if (i) sb_addc(&canon, '&');
    sb_encode(&canon, l.a[i].k, strlen(l.a[i].k), unreserved);
    sb_addc(&canon, '=');
    sb_encode(&canon, l.a[i].v, strlen(l.a[i].v), unreserved);
  }
  kv_free(&l);
  sb_add(&b, r->method);
  sb_add(&b, "&%2F&");
  sb_encode(&b, canon.p ? canon.p : "", canon.len, unreserved);
  free(canon.p);
  c->string_to_sign = sb_take(&b);

  /* The RPC key is the secret followed by '&' (§4.4). */
  const char *secret = c->cred->access_key_secret;
  size_t sl = strlen(secret);
  char *key = ack_xmalloc(sl + 2);
  memcpy(key, secret, sl);
  key[sl] = '&';
  key[sl + 1] = '\0';
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = hmac(EVP_sha1(), key, sl + 1, c->string_to_sign, strlen(c->string_to_sign), mac);
  OPENSSL_cleanse(key, sl + 1);
  free(key);
  c->signature = base64(mac, n);
  qset(q, "Signature", c->signature);
  return 0;
}

/* ---- SLS4-HMAC-SHA256 (§5.2) -------------------------------------------------------- */

static int sign_sls4(sign_ctx_t *c) {
  aliyun_sign_req_t *r = c->req;
  int rc;
  char date[40], day[16], hash[SHA256_HEX_LEN + 1], size[32];
  format_date(c->now, DATE_COMPACT, date, sizeof date);
  format_date(c->now, DATE_DAY, day, sizeof day);
  body_sha256(c, hash);
  snprintf(size, sizeof size, "%zu", r->body_len);
  /* V4 replaces v1's date, content-md5 and signature method (§5.2). */
  json_object_del(c->h, "date");
  json_object_del(c->h, "content-md5");
  json_object_del(c->h, "x-log-signaturemethod");
  hset(c->h, "x-log-date", date);
  hset(c->h, "x-log-content-sha256", hash);
  hdefault(c->h, "x-log-apiversion", "0.6.0");
  hdefault(c->h, "x-log-bodyrawsize", size);
  hdefault(c->h, "accept", "application/json");
  if (r->body_len) hdefault(c->h, "content-type", "application/json");
  sts_headers(c, false);
  drop_nulls(c->h);

  sb_t b = {0};
  sb_line(&b, r->method);
  sb_line(&b, c->path);
  if ((rc = canonical_query(&b, r->query, sls4_keep, true, c->err, c->errlen))) {
    free(sb_take(&b));
    return rc;
  }
  sb_addc(&b, '\n');
  char *signed_list;
  canonical_headers(&b, c->h, is_sls4_signed, VAL_TRIM, &signed_list);
  sb_addc(&b, '\n');
  sb_line(&b, signed_list);
  free(signed_list);
  sb_add(&b, hash);
  c->canonical = sb_take(&b);

  sb_t scope = {0};
  sb_add(&scope, day);
  sb_addc(&scope, '/');
  sb_add(&scope, r->region);
  sb_add(&scope, "/sls/aliyun_v4_request");
  char crhash[SHA256_HEX_LEN + 1];
  sha256_hex(c->canonical, strlen(c->canonical), crhash);
  sb_line(&b, "SLS4-HMAC-SHA256");
  sb_line(&b, date);
  sb_line(&b, scope.p);
  sb_add(&b, crhash);
  c->string_to_sign = sb_take(&b);

  /* k = HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, day), region), "sls"), "aliyun_v4_request") */
  sb_t k0 = {0};
  sb_add(&k0, "aliyun_v4");
  sb_add(&k0, c->cred->access_key_secret);
  unsigned char k[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
  unsigned int kn = hmac(EVP_sha256(), k0.p, k0.len, day, strlen(day), k);
  OPENSSL_cleanse(k0.p, k0.len);
  free(k0.p);
  kn = hmac(EVP_sha256(), k, kn, r->region, strlen(r->region), k);
  kn = hmac(EVP_sha256(), k, kn, "sls", 3, k);
  kn = hmac(EVP_sha256(), k, kn, "aliyun_v4_request", 17, k);
  unsigned int n = hmac(EVP_sha256(), k, kn, c->string_to_sign, strlen(c->string_to_sign), mac);
  c->key_hex = ack_xmalloc(2 * kn + 1);
  to_hex(k, kn, c->key_hex);
  OPENSSL_cleanse(k, sizeof k);
  c->signature = ack_xmalloc(2 * n + 1);
  to_hex(mac, n, c->signature);

  sb_add(&b, "SLS4-HMAC-SHA256 Credential=");
  sb_add(&b, c->cred->access_key_id);
  sb_addc(&b, '/');
  sb_add(&b, scope.p);
  sb_add(&b, ",Signature=");
  sb_add(&b, c->signature);
  free(scope.p);
  char *auth = sb_take(&b);
  hset(c->h, "authorization", auth);
  free(auth);
  return 0;
}

/* ---- entry points ------------------------------------------------------------------- */

static int check_request(sign_ctx_t *c) {
  const aliyun_cred_t *cr = c->cred;
  aliyun_sign_req_t *r = c->req;
  char *err = c->err;
  size_t errlen = c->errlen;
  int rc;
  if (!cr) return fail(err, errlen, ACK_EINVAL, "no credentials");
  if (!cr->access_key_id || !*cr->access_key_id)
    return fail(err, errlen, ACK_EINVAL, "access key id is missing");
  if (!cr->access_key_secret || !*cr->access_key_secret)
    return fail(err, errlen, ACK_EINVAL, "access key secret is missing");
  if ((rc = check_field("access key id", cr->access_key_id, err, errlen))) return rc;
  c->sts = cr->security_token && *cr->security_token;
  if (c->sts && (rc = check_field("security token", cr->security_token, err, errlen))) return rc;
  if (!r) return fail(err, errlen, ACK_EINVAL, "no request");
  if (!r->method || !*r->method || strlen(r->method) > 16)
    return fail(err, errlen, ACK_EINVAL, "method is missing");
  for (const char *p = r->method; *p; p++)
    if (*p < 'A' || *p > 'Z')
      return fail(err, errlen, ACK_EINVAL, "method must be upper-case letters");
  c->path = r->path && *r->path ? r->path : "/";
  if (c->path[0] != '/') return fail(err, errlen, ACK_EINVAL, "path must start with '/'");
  for (const unsigned char *p = (const unsigned char *)c->path; *p; p++) {
    if (*p == '?' || *p == '#')
      return fail(err, errlen, ACK_EINVAL, "path must not contain '%c' (query goes in req->query)",
                  *p);
    if (*p <= 0x20 || *p >= 0x7f)
      return fail(err, errlen, ACK_EINVAL, "path must be percent-encoded (byte 0x%02x)", *p);
  }
  if (!json_is_object(r->headers)) return fail(err, errlen, ACK_EINVAL, "headers must be an object");
  if (r->query && !json_is_object(r->query))
    return fail(err, errlen, ACK_EINVAL, "query must be an object");
  if (r->body_len && !r->body) return fail(err, errlen, ACK_EINVAL, "body_len without a body");
  if ((rc = check_headers(r->headers, err, errlen))) return rc;
  if (r->query) {
    const char *k;
    json_t *v;
    json_object_foreach(r->query, k, v) {
      if (!json_is_string(v) && !json_is_integer(v))
        return fail(err, errlen, ACK_EINVAL, "query parameter '%s' must be a string", k);
    }
  }
  c->h = r->headers;
  if (r->host) {
    if (!*r->host) return fail(err, errlen, ACK_EINVAL, "host is empty");
    if ((rc = check_field("host", r->host, err, errlen))) return rc;
  }
  switch (c->scheme) { /* what each scheme cannot do without */
  case ALIYUN_ACS3: rc = need(c, r->action, "action") || need(c, r->version, "version"); break;
  case ALIYUN_ROA_SHA1:
    rc = need(c, r->version, "version") || (r->action && check_field("action", r->action, err, errlen));
    break;
  case ALIYUN_RPC_SHA1:
    if (!json_is_object(r->query))
      return fail(err, errlen, ACK_EINVAL, "query must be an object for rpc-sha1");
    rc = need(c, r->action, "action") || need(c, r->version, "version");
    /* Form-body parameters are signed too (§4). */
    if (!rc && r->body_len &&
        !strncasecmp(hget(c->h, "content-type"), "application/x-www-form-urlencoded", 33))
      rc = form_params(r->body, r->body_len, &c->form, err, errlen);
    break;
  case ALIYUN_SLS4: rc = need(c, r->region, "region"); break;
  default: break;
  }
  if (rc) return ACK_EINVAL;
  if ((c->scheme == ALIYUN_ACS3 || c->scheme == ALIYUN_SLS4) && !(r->host ? *r->host : *hget(c->h, "host")))
    return fail(err, errlen, ACK_EINVAL, "host is required for %s", aliyun_scheme_name(c->scheme));

  c->now = r->now ? r->now : time(NULL);
  char probe[40];
  if (format_date(c->now, DATE_ISO, probe, sizeof probe) != 0)
    return fail(err, errlen, ACK_EINVAL, "time is out of range");
  if (r->nonce) {
    if (!*r->nonce) return fail(err, errlen, ACK_EINVAL, "nonce is empty");
    if ((rc = check_field("nonce", r->nonce, err, errlen))) return rc;
    c->nonce = r->nonce;
  } else {
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
      return fail(err, errlen, ACK_EIO, "no random bytes for the nonce");
    to_hex(rnd, sizeof rnd, c->nonce_buf);
    c->nonce = c->nonce_buf;
  }
  if (r->host) hset(c->h, "host", r->host); /* the first change to req: all checks passed */
  return 0;
}

int aliyun_sign_traced(aliyun_scheme_t s, const aliyun_cred_t *cred, aliyun_sign_req_t *req,
                       aliyun_sign_trace_t *trace, char *err, size_t errlen) {
  sign_ctx_t c = {.scheme = s, .cred = cred, .req = req, .err = err, .errlen = errlen};
  if (err && errlen) err[0] = '\0';
  if (!aliyun_scheme_name(s)) return fail(err, errlen, ACK_EINVAL, "unknown signing scheme %d", (int)s);
  int rc = check_request(&c);
  if (rc == 0) {
    switch (s) {
    case ALIYUN_ACS3: rc = sign_acs3(&c); break;
    case ALIYUN_ROA_SHA1: rc = sign_roa(&c); break;
    case ALIYUN_RPC_SHA1: rc = sign_rpc(&c); break;
    case ALIYUN_SLS_SHA256: rc = sign_sls_v1(&c, true); break;
    case ALIYUN_SLS_SHA1: rc = sign_sls_v1(&c, false); break;
    case ALIYUN_SLS4: rc = sign_sls4(&c); break;
    }
  }
  if (trace && rc == 0) {
    trace->canonical_request = c.canonical;
    trace->string_to_sign = c.string_to_sign;
    trace->signature = c.signature;
    trace->signing_key_hex = c.key_hex;
  } else {
    free(c.canonical);
    free(c.string_to_sign);
    free(c.signature);
    if (c.key_hex) OPENSSL_cleanse(c.key_hex, strlen(c.key_hex));
    free(c.key_hex);
  }
  kv_free(&c.form);
  return rc;
}

int aliyun_sign(aliyun_scheme_t s, const aliyun_cred_t *cred, aliyun_sign_req_t *req, char *err,
                size_t errlen) {
  return aliyun_sign_traced(s, cred, req, NULL, err, errlen);
}

void aliyun_sign_trace_free(aliyun_sign_trace_t *t) {
  if (!t) return;
  free(t->canonical_request);
  free(t->string_to_sign);
  free(t->signature);
  if (t->signing_key_hex) OPENSSL_cleanse(t->signing_key_hex, strlen(t->signing_key_hex));
  free(t->signing_key_hex);
  memset(t, 0, sizeof *t);
}

static const char *const scheme_names[] = {
    [ALIYUN_ACS3] = "acs3",         [ALIYUN_ROA_SHA1] = "roa-sha1", [ALIYUN_RPC_SHA1] = "rpc-sha1",
    [ALIYUN_SLS_SHA256] = "sls-sha256", [ALIYUN_SLS_SHA1] = "sls-sha1", [ALIYUN_SLS4] = "sls4",
};

int aliyun_scheme_parse(const char *name) {
  for (size_t i = 0; name && i < ACK_ARRAY_LEN(scheme_names); i++)
    if (!strcmp(name, scheme_names[i])) return (int)i;
  return -1;
}

const char *aliyun_scheme_name(aliyun_scheme_t s) {
  return (unsigned)s < ACK_ARRAY_LEN(scheme_names) ? scheme_names[s] : NULL;
}
