-- Health of an omkeys.io ProjectKeyBinding. Argo CD runs customizations without Lua's standard
-- libraries (only base, table, package and a reduced os are open), so no string functions here.
local hs = {}

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end

-- Reasons for Ready=False that mean "waiting", e.g. for the OpsManagerApiKey to become Ready.
local waiting = { KeyNotReady = true, Progressing = true, Rotating = true, Deleting = true }

if obj.metadata.deletionTimestamp ~= nil then
  return progressing("Removing the key from the project")
end
local status = obj.status
if status == nil or status.conditions == nil then
  return progressing("Waiting for the operator to report status")
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
  return progressing("Waiting for the operator to act on generation " .. generation)
end

-- Stalled (a rival binding, the policy): only a person gets past it.
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
