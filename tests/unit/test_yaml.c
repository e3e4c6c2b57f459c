/* test_yaml.c: yaml_codec (decode as kubectl reads, encode as kubectl writes, round trips,
 * hostile input) and the Lua `yaml` module. */
#include "ack.h"
#include "lua_bind.h"
#include "lua_bind_json.h"
#include "test.h"
#include "yaml_codec.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

/* Decodes text and returns compact JSON (sorted keys unless order matters), or NULL with err. */
static char *dec(const char *text, bool all, char *err, size_t flags) {
  json_t *j = yaml_decode(text, strlen(text), all, err, 256);
  if (!j) return NULL;
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | flags);
  json_decref(j);
  return s;
}

#define CHECK_DEC(text, want)                                                        \
  do {                                                                               \
    char err_[256] = "";                                                             \
    char *got_ = dec(text, false, err_, JSON_SORT_KEYS);                             \
    if (!got_) fprintf(stderr, "decode error: %s\n", err_);                          \
    CHECK_STR(got_, want);                                                           \
    free(got_);                                                                      \
  } while (0)

#define CHECK_DEC_ERR(text, want)                                                    \
  do {                                                                               \
    char err_[256] = "";                                                             \
    char *got_ = dec(text, false, err_, 0);                                          \
    if (got_) fprintf(stderr, "decoded: %s\n", got_);                                \
    CHECK(got_ == NULL);                                                             \
    CHECK_CONTAINS(err_, want);                                                      \
  } while (0)

TEST(yaml_plain_scalars_resolve_as_kubectl_reads_them) {
  CHECK_DEC("a: true\nb: False\nc: yes\nd: off\ne: ~\nf:\ng: null\n",
            "{\"a\":true,\"b\":false,\"c\":true,\"d\":false,\"e\":null,\"f\":null,\"g\":null}");
  CHECK_DEC("a: 42\nb: -7\nc: 0644\nd: 0x1F\ne: 1_000\nf: +3\ng: 0o17\nh: 0b101\ni: 9223372036854775807\n",
            "{\"a\":42,\"b\":-7,\"c\":420,\"d\":31,\"e\":1000,\"f\":3,\"g\":15,\"h\":5,\"i\":9223372036854775807}");
  CHECK_DEC("a: 1.5\nb: .5\nc: 1e3\nd: -2.5E-1\ne: 08\n", "{\"a\":1.5,\"b\":0.5,\"c\":1000.0,\"d\":-0.25,\"e\":8.0}");
  /* Not numbers: timestamps, versions, hex-ish words, overflowing floats. */
  CHECK_DEC("a: 2024-01-02T03:04:05Z\nb: 1.2.3\nc: 0xZZ\nd: 1e400\ne: v1\nf: 12abc\ng: x - y\n",
            "{\"a\":\"2024-01-02T03:04:05Z\",\"b\":\"1.2.3\",\"c\":\"0xZZ\",\"d\":\"1e400\",\"e\":\"v1\",\"f\":\"12abc\",\"g\":\"x - y\"}");
}

TEST(yaml_quoted_tagged_and_block_scalars) {
  CHECK_DEC("a: \"true\"\nb: '123'\nc: \"\"\nd: !!str 5\ne: !!int \"7\"\nf: !!float 2\ng: ! 12\n",
            "{\"a\":\"true\",\"b\":\"123\",\"c\":\"\",\"d\":\"5\",\"e\":7,\"f\":2.0,\"g\":\"12\"}");
  CHECK_DEC("lit: |\n  one\n  two\nstrip: |-\n  x\nfold: >\n  a\n  b\n\n  c\nkeep: |+\n  k\n\nend: 1\n",
            "{\"end\":1,\"fold\":\"a b\\nc\\n\",\"keep\":\"k\\n\\n\",\"lit\":\"one\\ntwo\\n\",\"strip\":\"x\"}");
  CHECK_DEC("s: \"tab\\there \\u00e9 \\x41\"\n", "{\"s\":\"tab\\there \u00e9 A\"}");
}

TEST(yaml_keys_are_strings_as_written) {
  CHECK_DEC("1: one\ntrue: t\ny: why\nn: no\n0x10: hex\n~: tilde\n",
            "{\"0x10\":\"hex\",\"1\":\"one\",\"n\":false,\"true\":\"t\",\"y\":\"why\",\"~\":\"tilde\"}");
  /* Insertion order is kept. */
  char err[256];
  char *s = dec("z: 1\na: 2\nm: 3\n", false, err, 0);
  CHECK_STR(s, "{\"z\":1,\"a\":2,\"m\":3}");
  free(s);
}

TEST(yaml_documents_first_and_all) {
  char err[256];
  char *s = dec("---\n# nothing\n---\nkind: A\n---\nkind: B\n", false, err, 0);
  CHECK_STR(s, "{\"kind\":\"A\"}");
  free(s);
  s = dec("kind: A\n---\n---\n# only a comment\n---\nkind: B\n...\n---\n- 1\n", true, err, 0);
  CHECK_STR(s, "[{\"kind\":\"A\"},{\"kind\":\"B\"},[1]]");
  free(s);
  s = dec("", false, err, 0);
  CHECK_STR(s, "null");
  free(s);
  s = dec("# just a comment\n", true, err, 0);
  CHECK_STR(s, "[]");
  free(s);
  s = dec("plain text", false, err, 0);
  CHECK_STR(s, "\"plain text\"");
  free(s);
}

TEST(yaml_anchors_aliases_and_merge_keys) {
  CHECK_DEC("base: &b {cpu: 1, mem: 2}\ncopy: *b\nlist: [&x 5, *x]\n",
            "{\"base\":{\"cpu\":1,\"mem\":2},\"copy\":{\"cpu\":1,\"mem\":2},\"list\":[5,5]}");
  /* Explicit keys win over merged ones wherever they stand; earlier merges win over later. */
  CHECK_DEC("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  x: 0\n  <<: [*a, *b]\n",
            "{\"a\":{\"x\":1,\"y\":1},\"b\":{\"y\":2,\"z\":2},\"c\":{\"x\":0,\"y\":1,\"z\":2}}");
  CHECK_DEC("d: &d {k: v}\ne:\n  <<: *d\n  k: mine\n", "{\"d\":{\"k\":\"v\"},\"e\":{\"k\":\"mine\"}}");
  /* A quoted "<<" is an ordinary key; "<<" as a value is a string. */
  CHECK_DEC("\"<<\": 1\nv: <<\n", "{\"<<\":1,\"v\":\"<<\"}");
  /* Aliases are copies: editing one leaves the other alone. */
  char err[256];
  json_t *j = yaml_decode("a: &a {k: 1}\nb: *a\n", 19, false, err, sizeof err);
  CHECK(j != NULL);
  json_object_set_new(json_object_get(j, "b"), "k", json_integer(2));
  CHECK(json_integer_value(json_object_get(json_object_get(j, "a"), "k")) == 1);
  json_decref(j);
}

TEST(yaml_errors_name_line_and_column) {
  CHECK_DEC_ERR("a: 1\nb: c: d\n", "line 2, column 5: mapping values are not allowed");
  CHECK_DEC_ERR("a: 1\nb: 2\na: 3\n", "line 3, column 1: duplicate key \"a\"");
  CHECK_DEC_ERR("a: [1, 2\n", "did not find expected ',' or ']'");
  CHECK_DEC_ERR("a:\n  - x\n  y: 1\n", "line 3, column 3:");
  CHECK_DEC_ERR("x: *nope\n", "line 1, column 4: unknown alias *nope");
  CHECK_DEC_ERR("a: &a [1, *a]\n", "alias *a refers to a node that contains it");
  CHECK_DEC_ERR("a: .inf\n", "line 1, column 4: .inf cannot be represented in JSON");
  CHECK_DEC_ERR("? [a, b]\n: 1\n", "line 1, column 3: a mapping key must be a scalar");
  CHECK_DEC_ERR("a: !!int abc\n", "cannot read \"abc\" as !!int");
  CHECK_DEC_ERR("a: 1\n<<: 5\n", "merge key << takes a mapping");
  CHECK_DEC_ERR("a: \"\xff\"\n", "byte 4: invalid leading UTF-8 octet");
  CHECK_DEC_ERR("\ta: 1\n", "line 1, column 1: found character that cannot start any token");
}

TEST(yaml_alias_bomb_is_refused) {
  /* Billion laughs: 9 levels of 9 aliases each would be 9^9 nodes. */
  static const char bomb[] =
      "a: &a [x,x,x,x,x,x,x,x,x]\n"
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
      "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
  CHECK_DEC_ERR(bomb, "aliases expand to more than 10000 nodes");
  /* The error names the alias that crossed the line: level d (810 nodes each). */
  CHECK_DEC_ERR(bomb, "line 5,");
  /* Ordinary reuse is fine. */
  CHECK_DEC("a: &a [x,x,x]\nb: [*a,*a,*a]\n", "{\"a\":[\"x\",\"x\",\"x\"],\"b\":[[\"x\",\"x\",\"x\"],[\"x\",\"x\",\"x\"],[\"x\",\"x\",\"x\"]]}");
}

/* n nested flow sequences around a scalar: "[[[...1...]]]". */
static char *nested(int n) {
  char *s = malloc((size_t)n * 2 + 2);
  for (int i = 0; i < n; i++) s[i] = '[';
  s[n] = '1';
  for (int i = 0; i < n; i++) s[n + 1 + i] = ']';
  s[2 * n + 1] = '\0';
  return s;
}

TEST(yaml_deep_nesting_is_refused) {
  char err[256];
  char *ok = nested(YAML_CODEC_MAX_DEPTH);
  json_t *j = yaml_decode(ok, strlen(ok), false, err, sizeof err);
  free(ok);
  CHECK(j != NULL);
  char *text = yaml_encode(j, err, sizeof err);
  CHECK(text != NULL);
  free(text);
  /* One more level through the encoder's door. */
  json_t *deeper = json_array();
  json_array_append_new(deeper, j);
  CHECK(yaml_encode(deeper, err, sizeof err) == NULL);
  CHECK_CONTAINS(err, "nested deeper than 256 levels");
  json_decref(deeper);
  char *bad = nested(100000);
  CHECK(yaml_decode(bad, strlen(bad), false, err, sizeof err) == NULL);
  free(bad);
  CHECK_CONTAINS(err, "line 1, column 257: nested deeper than 256 levels");
  /* Block style, one level per line. */
  size_t cap = 300 * 300, len = 0;
  char *blk = malloc(cap);
  for (int i = 0; i < 300; i++) len += (size_t)snprintf(blk + len, cap - len, "%*sk:\n", i, "");
  CHECK(yaml_decode(blk, len, false, err, sizeof err) == NULL);
  free(blk);
  CHECK_CONTAINS(err, "line 257, column 257: nested deeper");
  /* An alias cannot smuggle depth past the limit either. */
  char *deep = nested(200);
  char doc[2048];
  snprintf(doc, sizeof doc, "a: &a %s\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n", deep);
  free(deep);
  CHECK(yaml_decode(doc, strlen(doc), false, err, sizeof err) == NULL);
  CHECK_CONTAINS(err, "nested deeper than 256 levels");
}

TEST(yaml_encode_writes_kubectl_style) {
  json_error_t je;
  json_t *j = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"},"
                         "\"annotations\":{\"note\":\"a: b\",\"count\":\"3\"},\"creationTimestamp\":\"2024-01-02T03:04:05Z\"},"
                         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}],"
                         "\"args\":[\"--flag\",\"-v\",\"\"],\"env\":[]}],\"nodeSelector\":{},\"enabled\":true,\"ratio\":0.5,"
                         "\"none\":null,\"script\":\"echo hi\\necho bye\\n\"}}",
                         0, &je);
  CHECK(j != NULL);
  char err[256];
  char *s = yaml_encode(j, err, sizeof err);
  json_decref(j);
  CHECK_STR(s,
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  annotations:\n"
            "    count: \"3\"\n"
            "    note: 'a: b'\n"
            "  creationTimestamp: \"2024-01-02T03:04:05Z\"\n"
            "  labels:\n"
            "    app: web\n"
            "  name: web\n"
            "spec:\n"
            "  containers:\n"
            "  - args:\n"
            "    - --flag\n"
            "    - -v\n"
            "    - \"\"\n"
            "    env: []\n"
            "    image: nginx:1.25\n"
            "    name: c\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "  enabled: true\n"
            "  nodeSelector: {}\n"
            "  none: null\n"
            "  ratio: 0.5\n"
            "  script: |\n"
            "    echo hi\n"
            "    echo bye\n");
  free(s);
  json_t *top = json_string("just text");
  s = yaml_encode(top, err, sizeof err);
  json_decref(top);
  CHECK_STR(s, "just text\n");
  free(s);
}

TEST(yaml_encode_quotes_only_what_needs_it) {
  static const struct { const char *in, *out; } cases[] = {
    { "true", "\"true\"\n" },   { "yes", "\"yes\"\n" },     { "N", "\"N\"\n" },        { "123", "\"123\"\n" },
    { "0644", "\"0644\"\n" },   { "1e3", "\"1e3\"\n" },     { "", "\"\"\n" },          { "~", "\"~\"\n" },
    { "null", "\"null\"\n" },   { "10:30", "\"10:30\"\n" }, { "2024-01-01", "\"2024-01-01\"\n" },
    { ".inf", "\".inf\"\n" },   { " lead", "' lead'\n" },   { "trail ", "'trail '\n" }, { "#x", "'#x'\n" },
    { "a #b", "'a #b'\n" },     { "*a", "'*a'\n" },         { "&a", "'&a'\n" },        { "!t", "'!t'\n" },
    { "@x", "'@x'\n" },         { "- x", "'- x'\n" },       { "k: v", "'k: v'\n" },    { "{a}", "'{a}'\n" },
    { "plain words", "plain words\n" },                     { "v1.2.3", "v1.2.3\n" },  { "a:b", "a:b\n" },
    { "it's", "it's\n" },       { "中文", "中文\n" },
  };
  for (size_t i = 0; i < ACK_ARRAY_LEN(cases); i++) {
    json_t *j = json_string(cases[i].in);
    char err[256];
    char *s = yaml_encode(j, err, sizeof err);
    json_decref(j);
    if (!s || strcmp(s, cases[i].out) != 0) fprintf(stderr, "case %zu: %s\n", i, cases[i].in);
    CHECK_STR(s, cases[i].out);
    free(s);
  }
}

/* decode(encode(v)) == v, reporting the text on failure. */
static bool round_trips(const json_t *v) {
  char err[256];
  char *s = yaml_encode(v, err, sizeof err);
  if (!s) {
    fprintf(stderr, "encode failed: %s\n", err);
    return false;
  }
  json_t *back = yaml_decode(s, strlen(s), false, err, sizeof err);
  bool same = back && json_equal(v, back);
  if (!same) {
    char *want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    char *got = back ? json_dumps(back, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fprintf(stderr, "no round trip:\n want %s\n yaml %s\n got  %s %s\n", want, s, got ? got : "(error)", back ? "" : err);
    free(want);
    free(got);
  }
  json_decref(back);
  free(s);
  return same;
}

TEST(yaml_round_trips_many_shapes) {
  static const char *const shapes[] = {
    "null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808", "1.0", "-0.5",
    "1e-300", "1.7976931348623157e308", "0.1", "123456789.125", "\"\"", "\"x\"", "[]", "{}", "[[]]", "[{}]",
    "{\"a\":[]}", "[1,\"1\",true,\"true\",null,\"null\",1.5,\"1.5\"]",
    "{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":null}]]]}}}",
    "[{\"name\":\"a\",\"items\":[{\"k\":\"v\"},{\"k\":\"w\"}]},{\"name\":\"b\"}]",
    "{\"\":\"empty key\",\" \":\"space key\",\"true\":1,\"123\":2,\"a: b\":3,\"-\":4,\"#\":5,\"multi\\nline\":6}",
    "{\"crlf\":\"a\\r\\nb\",\"cr\":\"a\\rb\",\"tab\":\"\\t\",\"nul\":\"a\\u0000b\",\"bell\":\"\\u0007\",\"nel\":\"a\\u0085b\","
    "\"ls\":\"a\\u2028b\",\"bom\":\"\\ufeffx\",\"emoji\":\"\\ud83d\\ude00\"}",
    "{\"lit\":\"a\\nb\\n\",\"strip\":\"a\\nb\",\"keep\":\"a\\n\\n\",\"lead\":\"  x\\ny\\n\",\"only\":\"\\n\",\"two\":\"\\n\\n\","
    "\"trail\":\"x \\ny\",\"tabs\":\"\\tx\\n\\ty\",\"blankfirst\":\"\\nx\"}",
  };
  for (size_t i = 0; i < ACK_ARRAY_LEN(shapes); i++) {
    json_error_t je;
    json_t *v = json_loads(shapes[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    CHECK(v != NULL);
    bool ok = round_trips(v);
    json_decref(v);
    CHECK(ok);
  }
}

TEST(yaml_round_trips_generated_strings) {
  /* Strings built from pieces YAML treats specially, every combination of three. */
  static const char *const pieces[] = {
    "", " ", "a", "-", ":", ": ", "#", " #", "'", "\"", "\\", "\n", "\n\n", "\t", "?", "!", "&", "*", "|", ">",
    "%", "@", "`", "[", "]", "{", "}", ",", "0", "1", ".", "e", "~", "yes", "null", "<<", "---", "...", "é",
  };
  size_t n = ACK_ARRAY_LEN(pieces), count = 0;
  for (size_t a = 0; a < n; a++)
    for (size_t b = 0; b < n; b++)
      for (size_t c = 0; c < n; c++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s%s%s", pieces[a], pieces[b], pieces[c]);
        json_t *v = json_pack("{s:s, s:[s]}", buf, buf, "list", buf);
        bool ok = round_trips(v);
        json_decref(v);
        CHECK(ok);
        count++;
      }
  CHECK(count == n * n * n);
}

/* ---- the Lua module ----------------------------------------------------------------- */

static lua_State *state(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaopen_json(L);
  lua_setglobal(L, "json");
  luaopen_yaml(L);
  lua_setglobal(L, "yaml");
  return L;
}

/* Runs chunk, which returns a string. */
static char *eval(lua_State *L, const char *chunk) {
  if (luaL_dostring(L, chunk) != LUA_OK) {
    fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return NULL;
  }
  char *s = lua_isstring(L, -1) ? strdup(lua_tostring(L, -1)) : NULL;
  lua_pop(L, 1);
  return s;
}

TEST(yaml_lua_module_decodes_encodes_and_raises) {
  lua_State *L = state();
  char *s = eval(L, "local v = yaml.decode('a: [1, 2]\\nb: {}\\nc: ~\\nd: []\\n')\n"
                    "return tostring(json.is_array(v.a)) .. ' ' .. tostring(v.c == json.null) .. ' ' .. json.encode(v.d) .. ' ' .. json.encode(v.b)");
  CHECK_STR(s, "true true [] {}");
  free(s);
  s = eval(L, "local docs = yaml.decode_all('a: 1\\n---\\n---\\nb: 2\\n')\n"
              "return #docs .. ' ' .. tostring(json.is_array(docs)) .. ' ' .. docs[2].b .. ' ' .. json.encode(yaml.decode_all(''))");
  CHECK_STR(s, "2 true 2 []");
  free(s);
  s = eval(L, "return yaml.encode({ kind = 'List', items = json.array(), none = json.null })");
  CHECK(s != NULL);
  CHECK_CONTAINS(s, "items: []\n");
  CHECK_CONTAINS(s, "none: null\n");
  free(s);
  s = eval(L, "return yaml.encode(yaml.decode('p: \"yes\"\\nq: yes\\n'))");
  CHECK_CONTAINS(s, "p: \"yes\"\n");
  CHECK_CONTAINS(s, "q: true\n");
  free(s);
  s = eval(L, "local ok, e = pcall(yaml.decode, 'a: 1\\nb: c: d\\n') return e.code .. ' | ' .. e.message");
  CHECK_STR(s, "InvalidYAML | yaml.decode: line 2, column 5: mapping values are not allowed in this context");
  free(s);
  s = eval(L, "local ok, e = pcall(yaml.encode, { f = print }) return e");
  CHECK_CONTAINS(s, "yaml.encode: value.f: a function cannot be encoded");
  free(s);
  s = eval(L, "local ok, e = pcall(yaml.decode) return e");
  CHECK_CONTAINS(s, "bad argument #1");
  free(s);
  lua_close(L);
}

RUN_TESTS(T(yaml_plain_scalars_resolve_as_kubectl_reads_them), T(yaml_quoted_tagged_and_block_scalars),
          T(yaml_keys_are_strings_as_written), T(yaml_documents_first_and_all), T(yaml_anchors_aliases_and_merge_keys),
          T(yaml_errors_name_line_and_column), T(yaml_alias_bomb_is_refused), T(yaml_deep_nesting_is_refused),
          T(yaml_encode_writes_kubectl_style), T(yaml_encode_quotes_only_what_needs_it), T(yaml_round_trips_many_shapes),
          T(yaml_round_trips_generated_strings), T(yaml_lua_module_decodes_encodes_and_raises))
