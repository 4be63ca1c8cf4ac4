package sealbox_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeNamesEveryPackage keeps the README's "How it is built" table
// true to the layout: every package of the module has a row, and every
// path a row names is a package. In a cell, "…/x" is x under the row's
// first full path.
func TestReadmeNamesEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## How it is built\n")
	if !ok {
		t.Fatal(`README.md has no "## How it is built" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	code := regexp.MustCompile("`([^`]+)`")
	named := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(line, "|", 3)[1]
		base := ""
		for _, m := range code.FindAllStringSubmatch(cell, -1) {
			p := m[1]
			if rest, ok := strings.CutPrefix(p, "…/"); ok {
				if base == "" {
					t.Errorf("README row %q: %q has no full path before it", line, p)
					continue
				}
				p = base + "/" + rest
			} else if base == "" {
				base = p
			}
			if p == "sealbox" || strings.HasPrefix(p, "sealbox ") {
				p = "."
			}
			named[p] = true
		}
	}
	packages := map[string]bool{}
	for dir := range imports(t) {
		packages[dir] = true
		if !named[dir] {
			t.Errorf("package %s has no row in the README's How it is built table", dir)
		}
	}
	for p := range named {
		if !packages[p] {
			t.Errorf("the README's How it is built table names %s, which is not a package", p)
		}
	}
}
