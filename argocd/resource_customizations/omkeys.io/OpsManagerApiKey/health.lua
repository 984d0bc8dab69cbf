-- Health of an omkeys.io OpsManagerApiKey. Argo CD runs customizations without Lua's standard
-- libraries (only base, table, package and a reduced os are open), so no string functions here.
local hs = {}

local function condition(conditions, type)
  if conditions ~= nil then
    for _, c in ipairs(conditions) do
      if c.type == type then
        return c
      end
    end
  end
  return nil
end

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end

-- Reasons for Ready=False that mean the operator is getting there, not that something is wrong.
local waiting = { KeyNotReady = true, Progressing = true, Rotating = true, Deleting = true }

if obj.metadata.deletionTimestamp ~= nil then
  return progressing("Deleting the key in Ops Manager")
end
local status = obj.status
if status == nil or status.conditions == nil then
  return progressing("Waiting for the operator to report status")
end
local ready = condition(status.conditions, "Ready")
local provisioned = condition(status.conditions, "KeyProvisioned")
local stalled = condition(status.conditions, "Stalled")
local reconciling = condition(status.conditions, "Reconciling")

-- The conditions speak for the generation they name (a status written before the operator
-- stated the conditions' generation has only the status-wide one).
local observed = status.observedGeneration
if ready ~= nil and ready.observedGeneration ~= nil then
  observed = ready.observedGeneration
end
local generation = obj.metadata.generation
if generation ~= nil and (observed == nil or observed < generation) then
  return progressing("Waiting for the operator to act on generation " .. generation)
end

-- As kstatus reads them: Stalled is what only a person gets past (Degraded); a failure the
-- operator retries is Degraded here too (Argo CD has no "failing but retrying"); Reconciling
-- with a reason of progress is work under way.
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end
if ready ~= nil and ready.status == "False" and not waiting[ready.reason] then
  hs.status = "Degraded"
  hs.message = ready.message
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  return progressing(reconciling.message)
end
-- A key being created or replaced, a rotation included (Ready stays True then: the old pair
-- still works until the new one is in the Secret).
if provisioned ~= nil and provisioned.status ~= "True" and waiting[provisioned.reason] then
  return progressing(provisioned.message)
end
-- A create-pending mark is open until status.createSettled holds the same value.
local annotations = obj.metadata.annotations
local mark = nil
if annotations ~= nil then
  mark = annotations["omkeys.io/create-pending"]
end
if mark ~= nil and mark ~= status.createSettled then
  return progressing("Creating a key in Ops Manager")
end
if ready == nil then
  return progressing("Waiting for the Ready condition")
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
return progressing(ready.message)
