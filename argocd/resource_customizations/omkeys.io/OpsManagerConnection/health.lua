-- Health of an omkeys.io OpsManagerConnection: Healthy when its credential authenticates (Ready=True),
-- Degraded when Ops Manager refuses it or cannot be reached, Progressing until the operator has
-- checked the current spec. Argo CD runs customizations without Lua's standard libraries (only
-- base, table, package and a reduced os are open), so no string functions here.
local hs = {}

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end

-- Reasons for Ready=False that mean "still checking", not a refusal.
local waiting = { Progressing = true }

local status = obj.status
if status == nil or status.conditions == nil then
  return progressing("Waiting for the operator to check the connection")
end
local ready = nil
local stalled = nil
local reconciling = nil
for _, c in ipairs(status.conditions) do
  if c.type == "Ready" then
    ready = c
  elseif c.type == "Stalled" and c.status == "True" then
    stalled = c
  elseif c.type == "Reconciling" and c.status == "True" then
    reconciling = c
  end
end

local observed = status.observedGeneration
if ready ~= nil and ready.observedGeneration ~= nil then
  observed = ready.observedGeneration
end
local generation = obj.metadata.generation
if generation ~= nil and (observed == nil or observed < generation) then
  return progressing("Waiting for the operator to check generation " .. generation)
end

-- Stalled (kstatus): only a person gets past it, like the keys' and bindings' checks.
if stalled ~= nil then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end
if ready == nil then
  return progressing("Waiting for the Ready condition")
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
if ready.status == "False" and not waiting[ready.reason] then
  hs.status = "Degraded"
  hs.message = ready.message
  return hs
end
if reconciling ~= nil then
  return progressing(reconciling.message)
end
return progressing(ready.message)
