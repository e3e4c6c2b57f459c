-- tools/k8s_top.lua: CPU and memory in use by pods (per pod or per container) or nodes,
-- from the metrics API, with node usage as a share of allocatable, like `kubectl top`.
local kt = require("k8s_tool")
local render = require("render")

local function cpu(v) return ("%dm"):format(math.floor((v or 0) * 1000 + 0.5)) end
local function mem(v) return ("%dMi"):format(math.floor((v or 0) / 1048576 + 0.5)) end

local function sorter(by)
  return function(a, b)
    if by == "memory" then return a.memory > b.memory end
    if by == "cpu" then return a.cpu > b.cpu end
    return (a.namespace or "") .. "/" .. a.name < (b.namespace or "") .. "/" .. b.name
  end
end

local function fit(cols, rows, items)
  local text = render.table({ columnDefinitions = cols, rows = rows }, {})
  local cut, info = kt.cut(text, "narrow with namespace or label_selector")
  return kt.result(cut, { items = items, count = #items, truncated = info and info.truncated or false })
end

return {
  name = "k8s_top",
  title = "Resource usage (top)",
  description = "Current CPU (millicores) and memory (MiB) use of pods (per pod, or per container) or of nodes with the share of their allocatable capacity, from the metrics API (metrics-server). Sort by cpu or memory to find the heaviest.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = false, openWorldHint = true },
  input = kt.schema({ "namespace", "all_namespaces", "label_selector", extra = {
    resource = { type = "string", enum = { "pods", "nodes" }, default = "pods", description = "pods or nodes" },
    containers = { type = "boolean", default = false, description = "Pods: one row per container" },
    sort_by = { type = "string", enum = { "cpu", "memory", "name" }, default = "name", description = "Sort order (cpu and memory: heaviest first)" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local q = kt.k8s.quantity
    local items = json.array()
    if args.resource == "nodes" then
      local alloc = {}
      for _, n in ipairs(c:list(c:resource("nodes"), {}).items or {}) do
        local a = n.status and n.status.allocatable or {}
        alloc[n.metadata.name] = { cpu = q(a.cpu), memory = q(a.memory) }
      end
      for _, m in ipairs(c:top_nodes({ label_selector = args.label_selector })) do
        local u = m.usage or {}
        items[#items + 1] = { name = m.metadata.name, cpu = q(u.cpu) or 0, memory = q(u.memory) or 0, allocatable = alloc[m.metadata.name] }
      end
      table.sort(items, sorter(args.sort_by))
      local rows = {}
      for i, it in ipairs(items) do
        local a = it.allocatable or {}
        rows[i] = { cells = { it.name, cpu(it.cpu), a.cpu and (("%d%%"):format(math.floor(100 * it.cpu / a.cpu + 0.5))) or "<unknown>",
          mem(it.memory), a.memory and (("%d%%"):format(math.floor(100 * it.memory / a.memory + 0.5))) or "<unknown>" } }
      end
      return fit({ { name = "NAME" }, { name = "CPU(cores)" }, { name = "CPU(%)" }, { name = "MEMORY(bytes)" }, { name = "MEMORY(%)" } }, rows, items)
    end
    local ns = args.namespace or c.namespace
    for _, m in ipairs(c:top_pods({ namespace = ns, all_namespaces = args.all_namespaces, label_selector = args.label_selector })) do
      local pod = { name = m.metadata.name, namespace = m.metadata.namespace, cpu = 0, memory = 0, containers = json.array() }
      for _, ct in ipairs(m.containers or {}) do
        local u = ct.usage or {}
        local cc = { name = ct.name, cpu = q(u.cpu) or 0, memory = q(u.memory) or 0 }
        pod.cpu, pod.memory = pod.cpu + cc.cpu, pod.memory + cc.memory
        pod.containers[#pod.containers + 1] = cc
      end
      items[#items + 1] = pod
    end
    table.sort(items, sorter(args.sort_by))
    local cols = { { name = "NAME" }, { name = "CPU(cores)" }, { name = "MEMORY(bytes)" } }
    if args.containers then table.insert(cols, 2, { name = "CONTAINER" }) end
    if args.all_namespaces then table.insert(cols, 1, { name = "NAMESPACE" }) end
    local rows = {}
    for _, p in ipairs(items) do
      local list = args.containers and p.containers or { p }
      for _, x in ipairs(list) do
        local cells = { p.name, cpu(x.cpu), mem(x.memory) }
        if args.containers then table.insert(cells, 2, x.name) end
        if args.all_namespaces then table.insert(cells, 1, p.namespace) end
        rows[#rows + 1] = { cells = cells }
      end
    end
    if #rows == 0 then return kt.result("No pod metrics found" .. (args.all_namespaces and "." or (" in namespace " .. ns .. ".")), { items = items, count = 0 }) end
    return fit(cols, rows, items)
  end,
}
