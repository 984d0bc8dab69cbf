package main

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// newState opens a Lua state the way Argo CD's util/lua runLua does: with openLibs false (what
// an argocd-cm customization gets unless it sets useOpenLibs) none of Lua's standard libraries
// are opened, then package, base and table are, and Argo CD's reduced os (time and date only),
// which it registers under the table library's name, so that only require("os") reaches it.
// With openLibs true (how Argo CD's own tests run its built-in health scripts) every library
// is open first. Scripts get one second, as in Argo CD.
func newState(openLibs bool) (*lua.LState, context.CancelFunc, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			l.Close()
			return nil, nil, fmt.Errorf("opening %s: %w", lib.name, err)
		}
	}
	l.PreloadModule(lua.OsLibName, safeOsLoader)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	l.SetContext(ctx)
	return l, func() { cancel(); l.Close() }, nil
}

// run executes script with the global obj set to the object and returns what it returned,
// converted to JSON-shaped Go values.
func run(script string, obj map[string]any, openLibs bool) (any, error) {
	l, done, err := newState(openLibs)
	if err != nil {
		return nil, err
	}
	defer done()
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return nil, err
	}
	ret := l.Get(-1)
	if ret.Type() != lua.LTTable {
		return nil, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
	return fromLua(ret)
}
