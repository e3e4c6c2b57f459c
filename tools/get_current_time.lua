-- tools/get_current_time.lua: the clock, so a model can reason about "the last hour".
return {
  name = "get_current_time",
  title = "Current time",
  description = "Current time in UTC: ISO 8601 and Unix seconds. Use it before building time ranges for logs and metrics.",
  toolset = "core",
  annotations = { readOnlyHint = true, idempotentHint = false, openWorldHint = false },
  input = { type = "object", properties = {}, additionalProperties = false },
  output = {
    type = "object",
    properties = {
      current_time_iso = { type = "string", description = "YYYY-MM-DDTHH:MM:SSZ" },
      current_time_unix = { type = "integer", description = "Seconds since the Unix epoch" },
      timezone = { type = "string", const = "UTC" },
    },
    required = { "current_time_iso", "current_time_unix", "timezone" },
  },
  handler = function()
    local now = math.floor(time.now())
    return { current_time_iso = time.iso(now), current_time_unix = now, timezone = "UTC" }
  end,
}
