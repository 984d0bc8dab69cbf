-- "rotate" asks the operator for one rotation now. It is offered while no create or rotation is
-- under way, and never on a resource being deleted.
local actions = {}
local busy = obj.metadata.deletionTimestamp ~= nil or (obj.status ~= nil and obj.status.pendingCreate ~= nil)
actions["rotate"] = { ["disabled"] = busy }
return actions
