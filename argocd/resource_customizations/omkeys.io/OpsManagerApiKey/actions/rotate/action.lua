-- Any new value of the annotation omkeys.io/rotate makes the operator rotate the key once; the
-- current time is new on every use. The os module is only reachable through require in Argo CD.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["omkeys.io/rotate"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
