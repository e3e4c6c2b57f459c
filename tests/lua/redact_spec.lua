local redact = require("redact")
local sandboxed = require("sandbox")

-- Markers below were computed independently (Python: len + FNV-1a 32 of the bytes).
local M_HUNTER2 = "<redacted: 7 bytes, fnv:f181ec53>"
local M_PASSWORD = "<redacted: 16 bytes, fnv:cc1018f3>" -- S3cr3t-Pa55w0rd!
local M_API_TOKEN = "<redacted: 20 bytes, fnv:fbd8127e>" -- tok-3f9a1c7e5b2d4f60
local M_GRAFANA = "<redacted: 14 bytes, fnv:13291208>" -- grafana-Adm1n!

local function is_marker(s)
  return type(s) == "string" and s:match("^<redacted: %d+ bytes, fnv:%x%x%x%x%x%x%x%x>$") ~= nil
end

-- A deep structural copy, to prove redaction never writes into its input.
local function snapshot(v)
  return json.encode(v)
end

local function pod(spec)
  return { apiVersion = "v1", kind = "Pod", metadata = { name = "p", namespace = "shop" }, spec = spec }
end

local function env(pairs_)
  local out = json.array({})
  for i, p in ipairs(pairs_) do out[i] = { name = p[1], value = p[2] } end
  return out
end

describe("redact", function()
  describe("marker", function()
    it("keeps the length and an FNV-1a hash of the bytes", function()
      assert.are.equal("<redacted: 0 bytes, fnv:811c9dc5>", redact.marker(""))
      assert.are.equal("<redacted: 1 bytes, fnv:e40c292c>", redact.marker("a"))
      assert.are.equal("<redacted: 6 bytes, fnv:bf9cf968>", redact.marker("foobar"))
      assert.are.equal("<redacted: 6 bytes, fnv:4aa48540>", redact.marker("héllo"))
      assert.are.equal(M_HUNTER2, redact.marker("hunter2"))
    end)

    it("loads in the host's sandbox (no io, os or globals)", function()
      local r = sandboxed("redact")
      assert.are.equal(M_HUNTER2, r.marker("hunter2"))
      local out, n = r.object({ kind = "Secret", data = { p = "aHVudGVyMg==" } })
      assert.are.equal(M_HUNTER2, out.data.p)
      assert.are.equal(1, n)
    end)
  end)

  describe("object: secrets", function()
    it("replaces data (by its decoded bytes) and stringData values, and counts them", function()
      local s = json.decode([[{"apiVersion":"v1","kind":"Secret","type":"Opaque",
        "metadata":{"name":"grafana-admin","namespace":"monitoring","labels":{"app":"grafana"}},
        "data":{"admin-user":"YWRtaW4=","admin-password":"Z3JhZmFuYS1BZG0xbiE="},
        "stringData":{"extra":"hunter2"}}]])
      local before = snapshot(s)
      local out, n = redact.object(s)
      assert.are.equal(3, n)
      assert.are.equal(M_GRAFANA, out.data["admin-password"])
      assert.are.equal("<redacted: 5 bytes, fnv:" .. redact.marker("admin"):match("fnv:(%x+)") .. ">",
                       out.data["admin-user"])
      assert.are.equal(M_HUNTER2, out.stringData.extra)
      assert.are.equal("grafana-admin", out.metadata.name)
      assert.are.equal("grafana", out.metadata.labels.app)
      assert.are.equal("Opaque", out.type)
      assert.are.equal(before, snapshot(s)) -- input untouched
      assert.are_not.equal(s.data, out.data)
    end)

    it("gives data and stringData holding the same value the same marker", function()
      local out = redact.object({ kind = "Secret", type = "Opaque",
                                  data = { a = "aHVudGVyMg==" }, stringData = { b = "hunter2" } })
      assert.are.equal(out.data.a, out.stringData.b)
    end)

    it("marks a data value that is not base64 by its raw bytes", function()
      local out = redact.object({ kind = "Secret", data = { a = "hunter2" } })
      assert.are.equal(M_HUNTER2, out.data.a)
    end)

    it("redacts service account tokens, docker configs and TLS keys like any data", function()
      local l = json.decode([[{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"9"},
        "items":[
          {"metadata":{"name":"api-token","namespace":"shop",
             "annotations":{"kubernetes.io/service-account.name":"api"}},
           "type":"kubernetes.io/service-account-token",
           "data":{"token":"ZXlKaGJHY2lPaUpTVXpJMU5pSjk=","namespace":"c2hvcA==","ca.crt":"Y2E="}},
          {"metadata":{"name":"acr-credential","namespace":"shop"},
           "type":"kubernetes.io/dockerconfigjson",
           "data":{".dockerconfigjson":"eyJhdXRocyI6e319"}},
          {"metadata":{"name":"web-tls","namespace":"shop"},"type":"kubernetes.io/tls",
           "data":{"tls.crt":"Y3J0","tls.key":"a2V5"}}]}]])
      local out, n = redact.object(l)
      assert.are.equal(6, n)
      for _, item in ipairs(out.items) do
        for _, v in pairs(item.data) do assert.is_true(is_marker(v)) end
      end
      assert.are.equal("api", out.items[1].metadata.annotations["kubernetes.io/service-account.name"])
      assert.are.equal("9", out.metadata.resourceVersion)
      assert.is_true(json.is_array(out.items))
    end)

    it("recognises a Secret without kind by its type and data", function()
      local out, n = redact.object({ type = "Opaque", metadata = { name = "x" }, data = { p = "aHVudGVyMg==" } })
      assert.are.equal(M_HUNTER2, out.data.p)
      assert.are.equal(1, n)
    end)

    it("uses opts.kind for the items of a generic List and the rows of a Table", function()
      local list = { kind = "List", apiVersion = "v1",
                     items = { { metadata = { name = "a" }, data = { p = "aHVudGVyMg==" } } } }
      local out, n = redact.object(list, { kind = "Secret" })
      assert.are.equal(M_HUNTER2, out.items[1].data.p)
      assert.are.equal(1, n)

      local t = json.decode([[{"kind":"Table","apiVersion":"meta.k8s.io/v1",
        "metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTE4OCwic3RhcnQiOiJhcGkifQ"},
        "columnDefinitions":[{"name":"Name","type":"string","format":"name","priority":0}],
        "rows":[{"cells":["db-credentials","Opaque",2,"12d"],
                 "object":{"metadata":{"name":"db-credentials"},"data":{"password":"UzNjcjN0LVBhNTV3MHJkIQ=="}}}]}]])
      local tout, tn = redact.object(t, { kind = "Secret" })
      assert.are.equal(M_PASSWORD, tout.rows[1].object.data.password)
      assert.are.equal(1, tn)
      -- A continue token is base64 JSON, not a JWT: it stays usable.
      assert.are.equal(t.metadata.continue, tout.metadata.continue)
      assert.are.same(t.rows[1].cells, tout.rows[1].cells)
    end)

    it("redacts row objects that carry their own kind (includeObject=Object)", function()
      local t = { kind = "Table", columnDefinitions = {},
                  rows = { { cells = { "x" }, object = { kind = "Secret", data = { p = "aHVudGVyMg==" } } } } }
      local out, n = redact.object(t)
      assert.are.equal(M_HUNTER2, out.rows[1].object.data.p)
      assert.are.equal(1, n)
    end)

    it("leaves ConfigMap data that holds no credentials alone", function()
      local cm = json.decode([[{"kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt"},
        "data":{"ca.crt":"-----BEGIN CERTIFICATE-----\nMIIDGjCCAgKgAwIBAgIUSIMULATEDCA\n-----END CERTIFICATE-----\n",
                "app.yaml":"server:\n  port: 8080\ncache:\n  host: redis\n"}}]])
      local out, n = redact.object(cm)
      assert.are.same(cm, out)
      assert.are.equal(0, n)
    end)
  end)

  describe("object: values that look like credentials", function()
    it("replaces a whole kubeconfig with credentials, and a docker config", function()
      local kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
                         .. "    client-key-data: LS0tLS1CRUdJTi...\n"
      local tokencfg = "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: abc.def\n"
      local docker = '{"auths":{"registry.example.com":{"auth":"YWNtZTpwYXNz"}}}'
      local out, n = redact.object({ kind = "ConfigMap", metadata = { name = "c" },
                                     data = { kubeconfig = kubeconfig, t = tokencfg, d = docker } })
      assert.are.equal(redact.marker(kubeconfig), out.data.kubeconfig)
      assert.are.equal(redact.marker(tokencfg), out.data.t)
      assert.are.equal(redact.marker(docker), out.data.d)
      assert.are.equal(3, n)
    end)

    it("cuts a private key out of a config file and keeps the rest", function()
      local key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
      local file = "tls:\n  cert: /etc/cert.pem\n  key: |\n" .. key .. "\nport: 443\n"
      local out, n = redact.object({ kind = "ConfigMap", data = { ["server.yaml"] = file } })
      assert.are.equal("tls:\n  cert: /etc/cert.pem\n  key: |\n" .. redact.marker(key) .. "\nport: 443\n",
                       out.data["server.yaml"])
      assert.are.equal(1, n)
    end)

    it("redacts password lines in properties files held in a ConfigMap", function()
      local out, n = redact.object({ kind = "ConfigMap",
        data = { ["app.properties"] = "db.url=jdbc:mysql://db:3306/shop\ndb.password=hunter2\ndb.pool=10\n" } })
      assert.are.equal("db.url=jdbc:mysql://db:3306/shop\ndb.password=" .. M_HUNTER2 .. "\ndb.pool=10\n",
                       out.data["app.properties"])
      assert.are.equal(1, n)
    end)

    it("replaces JWTs wherever they appear, even in custom resources", function()
      local jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
      local cr = { apiVersion = "example.com/v1", kind = "Widget", metadata = { name = "w" },
                   spec = { auth = { header = "Bearer " .. jwt }, raw = jwt, size = 3 } }
      local out, n = redact.object(cr)
      assert.are.equal(redact.marker(jwt), out.spec.raw)
      assert.are.equal("Bearer " .. redact.marker(jwt), out.spec.auth.header)
      assert.are.equal(3, out.spec.size)
      assert.are.equal(2, n)
    end)

    it("leaves short eyJ strings and ordinary fields alone", function()
      local obj = { kind = "Pod", metadata = { name = "eyJshort", uid = "3b6b70d8-a20b-52b1-9795-c977bee56332" },
                    spec = { containers = { { name = "c", image = "nginx:1.25" } } } }
      local out, n = redact.object(obj)
      assert.are.same(obj, out)
      assert.are.equal(0, n)
    end)
  end)

  describe("object: environment variables", function()
    it("hides values of credential-named env vars in every container list of a pod", function()
      local p = pod({
        containers = { { name = "api", env = env({ { "DB_HOST", "redis" }, { "API_TOKEN", "tok-3f9a1c7e5b2d4f60" } }) } },
        initContainers = { { name = "init", env = env({ { "DB_PASSWORD", "S3cr3t-Pa55w0rd!" } }) } },
        ephemeralContainers = { { name = "dbg", env = env({ { "apiKey", "hunter2" } }) } },
      })
      local out, n = redact.object(p)
      assert.are.equal("redis", out.spec.containers[1].env[1].value)
      assert.are.equal(M_API_TOKEN, out.spec.containers[1].env[2].value)
      assert.are.equal("API_TOKEN", out.spec.containers[1].env[2].name)
      assert.are.equal(M_PASSWORD, out.spec.initContainers[1].env[1].value)
      assert.are.equal(M_HUNTER2, out.spec.ephemeralContainers[1].env[1].value)
      assert.are.equal(3, n)
      assert.is_true(json.is_array(out.spec.containers[1].env))
    end)

    it("keeps valueFrom references, which hold no value", function()
      local p = pod({ containers = { { name = "api", env = json.decode(
        [=[[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db-credentials","key":"password"}}}]]=]) } } })
      local out, n = redact.object(p)
      assert.are.same(p, out)
      assert.are.equal(0, n)
    end)

    it("covers pod templates of workloads, CronJobs and custom resources", function()
      local function template() return { spec = { containers = { { name = "c", env = env({ { "SECRET", "hunter2" } }) } } } } end
      local cases = {
        { kind = "Deployment", spec = { template = template() } },
        { kind = "StatefulSet", spec = { template = template() } },
        { kind = "DaemonSet", spec = { template = template() } },
        { kind = "ReplicaSet", spec = { template = template() } },
        { kind = "Job", spec = { template = template() } },
        { kind = "CronJob", spec = { jobTemplate = { spec = { template = template() } } } },
        { kind = "Rollout", apiVersion = "argoproj.io/v1alpha1", spec = { template = template() } },
      }
      for _, obj in ipairs(cases) do
        local out, n = redact.object(obj)
        local t = obj.kind == "CronJob" and out.spec.jobTemplate.spec.template or out.spec.template
        assert.are.equal(M_HUNTER2, t.spec.containers[1].env[1].value, obj.kind)
        assert.are.equal(1, n, obj.kind)
      end
    end)

    it("handles env written as a map, as some custom resources do", function()
      local cr = { kind = "App", spec = { env = { DB_PASSWORD = "hunter2", MODE = "fast", N = 3 } } }
      local out, n = redact.object(cr)
      assert.are.same({ DB_PASSWORD = M_HUNTER2, MODE = "fast", N = 3 }, out.spec.env)
      assert.are.equal(1, n)
    end)

    it("keeps an items or rows field that is not a list", function()
      local o = { kind = "List", items = { a = "x" } }
      assert.are.same(o, (redact.object(o)))
      local t = { kind = "Table", rows = { a = 1 } }
      assert.are.same(t, (redact.object(t)))
    end)

    it("redacts passwords inside other env values, such as URLs", function()
      local p = pod({ containers = { { name = "c", env = env({
        { "DATABASE_URL", "postgres://shop:hunter2@db:5432/shop" } }) } } })
      local out, n = redact.object(p)
      assert.are.equal("postgres://shop:" .. M_HUNTER2 .. "@db:5432/shop", out.spec.containers[1].env[1].value)
      assert.are.equal(1, n)
    end)

    it("redacts credentials passed on command lines", function()
      local p = pod({ containers = { { name = "c", command = { "server" },
        args = { "--db-password=hunter2", "--token", "hunter2", "--port=80" } } } })
      local out, n = redact.object(p)
      assert.are.same({ "--db-password=" .. M_HUNTER2, "--token", M_HUNTER2, "--port=80" }, out.spec.containers[1].args)
      assert.are.equal(2, n)
    end)

    -- { name, is a credential }
    local names = {
      { "DB_PASSWORD", true }, { "MYSQL_ROOT_PASSWORD", true }, { "PASSWD", true },
      { "API_TOKEN", true }, { "GITHUB_TOKEN", true }, { "authToken", true },
      { "CLIENT_SECRET", true }, { "AWS_SECRET_ACCESS_KEY", true }, { "API_KEY", true },
      { "apiKey", true }, { "OPENAI_APIKEY", true }, { "DB_PASS", true }, { "DB_PWD", true },
      { "GPG_PASSPHRASE", true }, { "GOOGLE_CREDENTIALS", true }, { "private-key", true },
      { "DB_HOST", false }, { "LOG_LEVEL", false }, { "JAVA_OPTS", false }, { "PWD", false },
      { "KEYCLOAK_URL", false }, { "KEYSPACE", false }, { "TOKEN_FILE", false },
      { "SECRET_NAME", false }, { "API_KEY_PATH", false }, { "JWT_SECRET_REF", false },
      { "OAUTH_TOKEN_URL", false }, { "", false },
    }
    for _, c in ipairs(names) do
      it("treats env var " .. (c[1] == "" and '""' or c[1]) .. " as " .. (c[2] and "a credential" or "plain"), function()
        assert.are.equal(c[2], redact.credential_name(c[1]))
      end)
    end
  end)

  describe("object: metadata", function()
    it("replaces the last-applied-configuration annotation, which repeats the whole object", function()
      local last = '{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":'
                   .. '[{"env":[{"name":"API_TOKEN","value":"tok-3f9a1c7e5b2d4f60"}]}]}}}}\n'
      local d = { kind = "Deployment", metadata = { name = "api", annotations = {
        ["kubectl.kubernetes.io/last-applied-configuration"] = last,
        ["deployment.kubernetes.io/revision"] = "1" } } }
      local out, n = redact.object(d)
      assert.are.equal(redact.marker(last), out.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"])
      assert.are.equal("1", out.metadata.annotations["deployment.kubernetes.io/revision"])
      assert.are.equal(1, n)
    end)

    it("leaves out managedFields and last-applied with clean, as render.clean", function()
      local d = { kind = "Deployment", metadata = { name = "api",
        managedFields = { { manager = "kubectl", fieldsV1 = { ["f:spec"] = {} } } },
        annotations = { ["kubectl.kubernetes.io/last-applied-configuration"] = "{}", keep = "1" } },
        spec = { template = { spec = { containers = { { name = "c", env = env({ { "TOKEN", "hunter2" } }) } } } } } }
      local out, n = redact.object(d, { clean = true })
      assert.is_nil(out.metadata.managedFields)
      assert.are.same({ keep = "1" }, out.metadata.annotations)
      assert.are.equal(M_HUNTER2, out.spec.template.spec.containers[1].env[1].value)
      assert.are.equal(1, n)
      d.metadata.annotations.keep = nil
      local list = { kind = "DeploymentList", items = { d } }
      local lout = redact.object(list, { clean = true })
      assert.is_nil(lout.items[1].metadata.annotations)
      local plain, pn = redact.object(list, { clean = true, show_secrets = true })
      assert.is_nil(plain.items[1].metadata.annotations)
      assert.is_nil(plain.items[1].metadata.managedFields)
      assert.are.equal("hunter2", plain.items[1].spec.template.spec.containers[1].env[1].value)
      assert.are.equal(0, pn)
      assert.is_not_nil(d.metadata.managedFields) -- input untouched
      -- Without clean, both stay (the annotation as a marker) and empty maps are kept.
      local kept = redact.object({ metadata = { annotations = {}, managedFields = {} } })
      assert.are.same({ annotations = {}, managedFields = {} }, kept.metadata)
    end)

    it("redacts credentials inside other annotation values", function()
      local d = { kind = "Ingress", metadata = { name = "i", annotations = {
        ["nginx.ingress.kubernetes.io/auth-url"] = "https://admin:hunter2@auth.example.com/check" } } }
      local out, n = redact.object(d)
      assert.are.equal("https://admin:" .. M_HUNTER2 .. "@auth.example.com/check",
                       out.metadata.annotations["nginx.ingress.kubernetes.io/auth-url"])
      assert.are.equal(1, n)
    end)
  end)

  describe("object: copies", function()
    it("returns a plain deep copy with show_secrets, and says nothing was redacted", function()
      local s = { kind = "Secret", data = json.decode([[{"p":"aHVudGVyMg=="}]]), list = json.array({}) }
      local out, n = redact.object(s, { show_secrets = true })
      assert.are.same(s, out)
      assert.are_not.equal(s, out)
      assert.are_not.equal(s.data, out.data)
      assert.are.equal(0, n)
      assert.is_true(json.is_array(out.list))
    end)

    it("keeps nulls, numbers, booleans and empty arrays as they were", function()
      local o = json.decode([[{"kind":"Pod","metadata":{"name":"p","deletionTimestamp":null},
        "spec":{"containers":[],"hostNetwork":false,"priority":0,"volumes":[{"name":"v","emptyDir":{}}]}}]])
      local out = redact.object(o)
      assert.are.equal(json.null, out.metadata.deletionTimestamp)
      assert.is_true(json.is_array(out.spec.containers))
      assert.are.equal(0, #out.spec.containers)
      assert.is_false(json.is_array(out.spec.volumes[1].emptyDir))
      assert.are.equal(false, out.spec.hostNetwork)
      assert.are.equal(0, out.spec.priority)
    end)

    it("passes non-table values through", function()
      assert.are.equal(5, (redact.object(5)))
      assert.are.equal(json.null, (redact.object(json.null)))
      assert.are.equal("plain", (redact.object("plain")))
    end)
  end)

  describe("text", function()
    -- { input, expected output, count }
    local cases = {
      { "password=hunter2 user=bob", "password=" .. M_HUNTER2 .. " user=bob", 1 },
      { 'login {"user":"bob","password":"hunter2"}', 'login {"user":"bob","password":"' .. M_HUNTER2 .. '"}', 1 },
      { "db_password: hunter2\nnext: line", "db_password: " .. M_HUNTER2 .. "\nnext: line", 1 },
      { "GET /cb?code=1&access_token=hunter2&x=1", "GET /cb?code=1&access_token=" .. M_HUNTER2 .. "&x=1", 1 },
      { "Authorization: Bearer hunter2.abc", "Authorization: Bearer " .. redact.marker("hunter2.abc"), 1 },
      { "curl -H 'Authorization: Basic aHVudGVyMg=='", "curl -H 'Authorization: Basic " .. redact.marker("aHVudGVyMg==") .. "'", 1 },
      { "connecting to redis://:hunter2@redis:6379/0", "connecting to redis://:" .. M_HUNTER2 .. "@redis:6379/0", 1 },
      { "run --client-secret hunter2 --v=2", "run --client-secret " .. M_HUNTER2 .. " --v=2", 1 },
      { "x-api-key: hunter2", "x-api-key: " .. M_HUNTER2, 1 },
      { "client-key-data: hunter2", "client-key-data: " .. M_HUNTER2, 1 },
      -- Left alone: no credential key, a reference, prose, booleans, empty values.
      { "tokens: 5, secretName: foo", "tokens: 5, secretName: foo", 0 },
      { "automountServiceAccountToken: false", "automountServiceAccountToken: false", 0 },
      { "the bearer of bad news", "the bearer of bad news", 0 },
      { "password=", "password=", 0 },
      { "12:34:56 INFO started in 3s", "12:34:56 INFO started in 3s", 0 },
      { "", "", 0 },
      { "日志 password=密码123 完成", "日志 password=" .. redact.marker("密码123") .. " 完成", 1 },
    }
    for _, c in ipairs(cases) do
      it("redacts " .. string.format("%q", c[1]):sub(1, 50), function()
        local out, n = redact.text(c[1])
        assert.are.equal(c[2], out)
        assert.are.equal(c[3], n)
      end)
    end

    it("replaces a PEM private key block, and one cut off at the end", function()
      local key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----"
      local out, n = redact.text("key:\n" .. key .. "\ndone")
      assert.are.equal("key:\n" .. redact.marker(key) .. "\ndone", out)
      assert.are.equal(1, n)
      local cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk"
      assert.are.equal("x " .. redact.marker(cut), (redact.text("x " .. cut)))
    end)

    it("leaves certificates, which are public", function()
      local cert = "-----BEGIN CERTIFICATE-----\nMIIDGjCCAgKg\n-----END CERTIFICATE-----\n"
      assert.are.equal(cert, (redact.text(cert)))
    end)

    it("replaces JWTs in log lines", function()
      local jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
      local out, n = redact.text("token accepted " .. jwt .. " for user 7")
      assert.are.equal("token accepted " .. redact.marker(jwt) .. " for user 7", out)
      assert.are.equal(1, n)
    end)

    it("counts every replacement in a multi-line log", function()
      local log = "a password=x1\nb token: x2\nc Authorization: Bearer abcdefgh1\nd ok\n"
      local out, n = redact.text(log)
      assert.are.equal(3, n)
      assert.is_nil(out:find("x1", 1, true))
      assert.is_nil(out:find("abcdefgh1", 1, true))
      assert.is_truthy(out:find("d ok\n", 1, true))
    end)

    it("is idempotent: markers are never redacted again", function()
      local once = redact.text("password=hunter2 token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl")
      local twice, n = redact.text(once)
      assert.are.equal(once, twice)
      assert.are.equal(0, n)
    end)

    it("handles long runs without separators and many separators", function()
      local long = string.rep("a", 200000) .. "=" .. string.rep("b", 100000)
      assert.are.equal(long, (redact.text(long)))
      local many = string.rep("k:v ", 50000)
      assert.are.equal(many, (redact.text(many)))
      local secrets = string.rep("password=x ", 2000)
      local _, n = redact.text(secrets)
      assert.are.equal(2000, n)
    end)

    it("raises on a non-string argument", function()
      assert.has_error(function() redact.text(nil) end, "bad argument #1 to 'text' (string expected, got nil)")
      assert.has_error(function() redact.text({}) end, "bad argument #1 to 'text' (string expected, got table)")
    end)
  end)
end)
