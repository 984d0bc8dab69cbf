package main

import (
	"encoding/json"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// toLua turns a decoded object into Lua values as Argo CD's decodeValue does.
func toLua(l *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case json.Number:
		return lua.LString(x)
	case []any:
		t := l.CreateTable(len(x), 0)
		for _, item := range x {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(x))
		for k, item := range x {
			t.RawSetH(lua.LString(k), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// fromLua converts a returned value the way Argo CD's JSON encoding of it reads back: a table
// with keys 1..n is an array, an empty table an empty array, any other table an object.
func fromLua(v lua.LValue) (any, error) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(x), nil
	case lua.LNumber:
		return float64(x), nil
	case lua.LString:
		return string(x), nil
	case *lua.LTable:
		n := x.MaxN()
		if n > 0 || isEmpty(x) {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				item, err := fromLua(x.RawGetInt(i))
				if err != nil {
					return nil, err
				}
				arr = append(arr, item)
			}
			return arr, nil
		}
		obj := map[string]any{}
		var err error
		x.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				err = fmt.Errorf("cannot encode a table with key %v of type %s", k, k.Type())
				return
			}
			obj[string(ks)], err = fromLua(val)
		})
		return obj, err
	}
	return nil, fmt.Errorf("cannot encode a Lua %s", v.Type())
}

func isEmpty(t *lua.LTable) bool {
	k, _ := t.Next(lua.LNil)
	return k == lua.LNil
}

// restoreEmptyObjects undoes what an empty table's encoding does to an object that was a map in
// the input (Argo CD's cleanReturnedObj): `{}` in, `[]` out would otherwise be a change.
func restoreEmptyObjects(out, in any) any {
	switch o := out.(type) {
	case map[string]any:
		i, ok := in.(map[string]any)
		if !ok {
			return out
		}
		for k, v := range o {
			if iv, ok := i[k]; ok {
				o[k] = restoreEmptyObjects(v, iv)
			}
		}
	case []any:
		if im, ok := in.(map[string]any); ok && len(o) == 0 {
			return im
		}
		if ia, ok := in.([]any); ok {
			for idx := range o {
				if idx < len(ia) {
					o[idx] = restoreEmptyObjects(o[idx], ia[idx])
				}
			}
		}
	}
	return out
}

// canonical is v as indented JSON (encoding/json sorts map keys), for comparisons and diffs.
func canonical(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
