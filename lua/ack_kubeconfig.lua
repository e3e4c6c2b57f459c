-- ack_kubeconfig.lua: kubeconfigs of ACK clusters for the Kubernetes tools (ACK_PUBLIC and
-- ACK_PRIVATE modes). DescribeClusterDetail checks the cluster has the endpoint the mode
-- needs; DescribeClusterUserKubeconfig issues a temporary kubeconfig, which is handed to the
-- bridge in C (kube.hold) and kept only in memory until shortly before it expires. The key
-- holds the credential identity, so one caller never uses a kubeconfig issued to another.
local M = {}

local DURATION_MINUTES = 60
local MARGIN = 300 -- seconds before expiry at which a kubeconfig is fetched anew

local function cs(path, action, query)
  return aliyun.roa({ product = "cs", action = action, version = "2015-12-15", method = "GET", path = path, query = query })
end

local function check_id(id)
  if type(id) ~= "string" or not id:match("^c[a-z0-9]+$") or #id ~= 33 then
    error({ code = "InvalidClusterId", message = ("cluster_id %q is not an ACK cluster id (c followed by 32 lowercase letters or digits)"):format(tostring(id)) }, 0)
  end
end

-- Returns the bridge key of the cluster's kubeconfig, fetching it when none is held.
function M.hold(cluster_id, private)
  check_id(cluster_id)
  local who = aliyun.credentials()
  local key = ("ack:%s:%s:%s:%s"):format(private and "private" or "public", cluster_id, who.source or "", who.identity or who.access_key_id or "")
  if kube.held(key) then return key end
  local function fetch()
    local detail = cs("/clusters/" .. cluster_id, "DescribeClusterDetail")
    local urls = detail.master_url
    if type(urls) == "string" then urls = json.decode(urls) or {} end
    urls = type(urls) == "table" and urls or {}
    local endpoint = private and urls.intranet_api_server_endpoint or urls.api_server_endpoint
    if endpoint == nil or endpoint == "" or endpoint == json.null then
      error({ code = "NoEndpoint", message = private and ("cluster %s has no intranet API server endpoint"):format(cluster_id)
        or ("cluster %s has no public API server endpoint; enable it, or run with --kubeconfig-mode ACK_PRIVATE inside its VPC"):format(cluster_id) }, 0)
    end
    local r = cs("/k8s/" .. cluster_id .. "/user_config", "DescribeClusterUserKubeconfig",
      { PrivateIpAddress = private and "true" or "false", TemporaryDurationMinutes = tostring(DURATION_MINUTES) })
    if type(r.config) ~= "string" or r.config == "" then
      error({ code = "NoKubeconfig", message = "DescribeClusterUserKubeconfig returned no kubeconfig for " .. cluster_id }, 0)
    end
    local expires = r.expiration and r.expiration ~= json.null and time.parse(r.expiration) or (time.now() + DURATION_MINUTES * 60)
    local lifetime = expires - time.now()
    local hold_until = expires - math.min(MARGIN, lifetime * 0.1)
    kube.hold({ key = key, kubeconfig = r.config, expires_at = hold_until })
    return true, math.max(1, math.floor(hold_until - time.now()))
  end
  -- Concurrent calls for one cluster share one fetch (the cache entry only marks it done;
  -- the kubeconfig itself lives in the bridge). A hold dropped meanwhile (expired, or
  -- pushed out by others) is fetched again.
  cache.fetch("kubeconfig-fetch:" .. key, 1, fetch)
  if not kube.held(key) then fetch() end
  return key
end

return M
