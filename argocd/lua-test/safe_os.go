package main

import (
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The two os functions Argo CD leaves to customizations (its util/lua/oslib_safe.go): time and
// date, nothing that reads files, runs programs or exits.
var safeOsFuncs = map[string]lua.LGFunction{"time": osTime, "date": osDate}

// openSafeOs mirrors Argo CD's OpenSafeOs, which registers the functions under the table
// library's name: with the standard libraries off there is no global os, only require("os").
func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.TabLibName, safeOsFuncs))
	return 1
}

func safeOsLoader(l *lua.LState) int {
	l.Push(l.SetFuncs(l.NewTable(), safeOsFuncs))
	return 1
}

func osTime(l *lua.LState) int {
	if l.GetTop() == 0 {
		l.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	t := l.CheckTable(1)
	field := func(k string, d int) int {
		if n, ok := t.RawGetString(k).(lua.LNumber); ok {
			return int(n)
		}
		return d
	}
	at := time.Date(field("year", -1), time.Month(field("month", -1)), field("day", -1), field("hour", 12), field("min", 0), field("sec", 0), 0, time.Local)
	l.Push(lua.LNumber(at.Unix()))
	return 1
}

// strftime conversions Argo CD's os.date knows, as Go layouts.
var dateLayouts = map[byte]string{
	'a': "Mon", 'A': "Monday", 'b': "Jan", 'B': "January", 'c': "02 Jan 06 15:04 MST", 'd': "02",
	'F': "2006-01-02", 'H': "15", 'I': "03", 'm': "01", 'M': "04", 'p': "PM", 'P': "pm", 'S': "05",
	'x': "15/04/05", 'X': "15:04:05", 'y': "06", 'Y': "2006", 'z': "-0700", 'Z': "MST",
}

func osDate(l *lua.LState) int {
	t := time.Now()
	format := "%c"
	if l.GetTop() >= 1 {
		format = l.CheckString(1)
		if strings.HasPrefix(format, "!") {
			t = t.UTC()
			format = strings.TrimLeft(format, "!")
		}
		if l.GetTop() >= 2 {
			t = time.Unix(l.CheckInt64(2), 0)
		}
		if strings.HasPrefix(format, "*t") {
			r := l.NewTable()
			for k, v := range map[string]int{"year": t.Year(), "month": int(t.Month()), "day": t.Day(), "hour": t.Hour(), "min": t.Minute(), "sec": t.Second(), "wday": int(t.Weekday()) + 1, "yday": 0} {
				r.RawSetString(k, lua.LNumber(v))
			}
			r.RawSetString("isdst", lua.LFalse)
			l.Push(r)
			return 1
		}
	}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i == len(format)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		switch f := format[i]; {
		case f == '%':
			b.WriteByte('%')
		case f == 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case dateLayouts[f] != "":
			b.WriteString(t.Format(dateLayouts[f]))
		default:
			b.WriteByte('%')
			b.WriteByte(f)
		}
	}
	l.Push(lua.LString(b.String()))
	return 1
}
