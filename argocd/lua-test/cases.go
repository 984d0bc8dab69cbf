package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// The health codes Argo CD accepts; anything else becomes Unknown.
var healthCodes = map[string]bool{"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true}

type healthTests struct {
	Tests []struct {
		InputPath    string `json:"inputPath"`
		HealthStatus struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"healthStatus"`
	} `json:"tests"`
}

type actionTests struct {
	DiscoveryTests []struct {
		InputPath string           `json:"inputPath"`
		Result    []map[string]any `json:"result"`
	} `json:"discoveryTests"`
	ActionTests []struct {
		Action             string `json:"action"`
		InputPath          string `json:"inputPath"`
		ExpectedOutputPath string `json:"expectedOutputPath"`
	} `json:"actionTests"`
}

func readYAML(path string, into any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func readObject(path string) (map[string]any, error) {
	obj := map[string]any{}
	return obj, readYAML(path, &obj)
}

func runHealthTests(r *report, dir, rel, mode string, openLibs bool) {
	script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
	var spec healthTests
	if err == nil {
		err = readYAML(filepath.Join(dir, "health_test.yaml"), &spec)
	}
	if err == nil && len(spec.Tests) == 0 {
		err = fmt.Errorf("health_test.yaml has no tests")
	}
	if err != nil {
		r.check(rel+" health ("+mode+")", err)
		return
	}
	for _, tc := range spec.Tests {
		r.check(fmt.Sprintf("%s health %s (%s)", rel, tc.InputPath, mode), func() error {
			obj, err := readObject(filepath.Join(dir, tc.InputPath))
			if err != nil {
				return err
			}
			out, err := run(string(script), obj, openLibs)
			if err != nil {
				return err
			}
			got, _ := out.(map[string]any)
			status, _ := got["status"].(string)
			message, _ := got["message"].(string)
			if !healthCodes[status] {
				status, message = "Unknown", "Lua returned an invalid health status"
			}
			want := tc.HealthStatus
			if status != want.Status || message != want.Message {
				return fmt.Errorf("want %s %q\ngot  %s %q", want.Status, want.Message, status, message)
			}
			return nil
		}())
	}
}

func runActionTests(r *report, dir, rel, mode string, openLibs bool) {
	var spec actionTests
	if err := readYAML(filepath.Join(dir, "action_test.yaml"), &spec); err != nil {
		r.check(rel+" ("+mode+")", err)
		return
	}
	discovery, err := os.ReadFile(filepath.Join(dir, "discovery.lua"))
	if err != nil {
		r.check(rel+" discovery ("+mode+")", err)
		return
	}
	for _, tc := range spec.DiscoveryTests {
		r.check(fmt.Sprintf("%s discovery %s (%s)", rel, tc.InputPath, mode), func() error {
			obj, err := readObject(filepath.Join(dir, tc.InputPath))
			if err != nil {
				return err
			}
			out, err := run(string(discovery), obj, openLibs)
			if err != nil {
				return err
			}
			return sameJSON(tc.Result, discovered(out))
		}())
	}
	for _, tc := range spec.ActionTests {
		r.check(fmt.Sprintf("%s %s %s (%s)", rel, tc.Action, tc.InputPath, mode), func() error {
			script, err := os.ReadFile(filepath.Join(dir, tc.Action, "action.lua"))
			if err != nil {
				return err
			}
			obj, err := readObject(filepath.Join(dir, tc.InputPath))
			if err != nil {
				return err
			}
			want, err := readObject(filepath.Join(dir, tc.ExpectedOutputPath))
			if err != nil {
				return err
			}
			input, _ := readObject(filepath.Join(dir, tc.InputPath))
			started := time.Now()
			out, err := run(string(script), obj, openLibs)
			if err != nil {
				return err
			}
			got, ok := restoreEmptyObjects(out, input).(map[string]any)
			if !ok {
				return fmt.Errorf("the action returned a list (new-style output), which this runner does not check")
			}
			if err := settleVolatile(got, want, started); err != nil {
				return err
			}
			return sameJSON(want, got)
		}())
	}
}

// discovered lists the actions a discovery script returned as Argo CD reads them: an empty
// table is an action with only a name, `disabled` defaults to false.
func discovered(out any) []map[string]any {
	m, _ := out.(map[string]any)
	list := []map[string]any{}
	for name, v := range m {
		a := map[string]any{"name": name, "disabled": false}
		if fields, ok := v.(map[string]any); ok {
			for k, x := range fields {
				a[k] = x
			}
		}
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return fmt.Sprint(list[i]["name"]) < fmt.Sprint(list[j]["name"]) })
	return list
}

// Annotations an action sets to the current time: checked to be a UTC RFC 3339 time taken
// while the action ran, then given the fixture's value so the rest can be compared exactly.
var volatileAnnotations = []string{"omkeys.io/rotate"}
var utcSeconds = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

func settleVolatile(got, want map[string]any, started time.Time) error {
	ga, _ := nested(got, "metadata", "annotations").(map[string]any)
	wa, _ := nested(want, "metadata", "annotations").(map[string]any)
	for _, k := range volatileAnnotations {
		v, ok := ga[k].(string)
		if !ok || wa[k] == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339, v)
		if !utcSeconds.MatchString(v) || err != nil {
			return fmt.Errorf("annotation %s = %q is not a UTC time like 2006-01-02T15:04:05Z", k, v)
		}
		if at.Before(started.Truncate(time.Second)) || at.After(time.Now().Add(time.Second)) {
			return fmt.Errorf("annotation %s = %q is not the time the action ran (%s)", k, v, started.UTC().Format(time.RFC3339))
		}
		ga[k] = wa[k]
	}
	return nil
}

func nested(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func sameJSON(want, got any) error {
	w, g := canonical(roundTrip(want)), canonical(roundTrip(got))
	if w != g {
		return fmt.Errorf("want:\n%s\ngot:\n%s", w, g)
	}
	return nil
}

// roundTrip passes v through JSON so that typed values ([]map[string]any, int64) and decoded
// ones compare alike.
func roundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }
