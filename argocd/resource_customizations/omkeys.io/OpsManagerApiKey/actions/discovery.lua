-- "rotate" asks the operator for one rotation now. It is offered while no create or rotation is
-- under way, and never on a resource being deleted.
local actions = {}
local annotations = obj.metadata.annotations
local mark = nil
if annotations ~= nil then
  mark = annotations["omkeys.io/create-pending"]
end
local settled = nil
if obj.status ~= nil then
  settled = obj.status.createSettled
end
local busy = obj.metadata.deletionTimestamp ~= nil or (mark ~= nil and mark ~= settled)
actions["rotate"] = { ["disabled"] = busy }
return actions
