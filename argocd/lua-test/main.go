// Command lua-test runs the Argo CD resource customizations under a resource_customizations
// directory the way Argo CD's own tests do (util/lua health_test.go and custom_actions_test.go):
// every case of each health_test.yaml and actions/action_test.yaml against its testdata, in a
// gopher-lua state opened as Argo CD opens it. It prints one line per case and a closing
// "N passed, N failed" line, and exits 1 when a case fails.
// Usage: lua-test <resource_customizations directory>
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

type report struct{ passed, failed int }

func (r *report) check(name string, err error) {
	if err != nil {
		r.failed++
		fmt.Printf("--- FAIL: %s\n    %s\n", name, indent(err.Error()))
		return
	}
	r.passed++
	fmt.Printf("--- PASS: %s\n", name)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lua-test <resource_customizations directory>")
		os.Exit(2)
	}
	root := os.Args[1]
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (d.Name() == "health.lua" || d.Name() == "discovery.lua") {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil || len(dirs) == 0 {
		fmt.Fprintf(os.Stderr, "lua-test: no health.lua or actions/discovery.lua under %s %v\n", root, err)
		os.Exit(2)
	}
	sort.Strings(dirs)
	r := &report{}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		// Both ways Argo CD runs scripts: customizations without the standard libraries (the
		// argocd-cm default), its built-in ones with them.
		for _, openLibs := range []bool{false, true} {
			mode := "libs off"
			if openLibs {
				mode = "libs on"
			}
			if filepath.Base(dir) == "actions" {
				runActionTests(r, dir, filepath.ToSlash(rel), mode, openLibs)
			} else {
				runHealthTests(r, dir, filepath.ToSlash(rel), mode, openLibs)
			}
		}
	}
	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 || r.passed == 0 {
		os.Exit(1)
	}
}
