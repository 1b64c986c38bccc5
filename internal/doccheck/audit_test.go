package doccheck

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestAuditFindings runs the audit on a made-up package and checks that it
// reports exactly the undocumented identifiers, and accepts the documented
// ones, including names documented by their group.
func TestAuditFindings(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{{
		name: "everything documented",
		files: map[string]string{
			"a.go": `// Package p is documented.
package p

// Grouped names share the group's doc.
const (
	A = 1
	B = 2
)

// C is documented.
var C = 3

const (
	D = 4 // D has a line comment.
	// E has a doc.
	E = 5
)

// T is documented.
type T int

// NewT is documented.
func NewT() T { return 0 }

// M is documented.
func (T) M() {}

func (T) unexported() {}

type hidden int

func (hidden) Exported() {}
`,
			"a_test.go": `package p_test

import "fmt"

func Example() {
	fmt.Println("hi")
	// Output: hi
}
`,
		},
	}, {
		name: "nothing documented",
		files: map[string]string{
			"a.go": `package p

const (
	A = 1
	B, c = 2, 3
)

var V = 1

const K = 2 // a line comment is not a doc for a lone const

type T int

func NewT() T { return 0 }

func (*T) M() {}

func F() {}
`,
			"a_test.go": `package p

func Example() {
	// No output comment: compiled, never run.
}
`,
		},
		want: []string{
			"x/p: const A has no doc comment",
			"x/p: const B has no doc comment",
			"x/p: const K has no doc comment",
			"x/p: func F has no doc comment",
			"x/p: func NewT has no doc comment",
			"x/p: method T.M has no doc comment",
			"x/p: no package doc",
			"x/p: no runnable Example (an Example function with an // Output: comment)",
			"x/p: type T has no doc comment",
			"x/p: var V has no doc comment",
		},
	}, {
		name: "a command needs its package doc only",
		files: map[string]string{
			"main.go": "package main\n\nfunc Exported() {}\n\nfunc main() {}\n",
		},
		want: []string{"x/p: no package doc"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, ok, err := auditDir(dir, "x/p")
			if err != nil || !ok {
				t.Fatalf("auditDir: ok %v, err %v", ok, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

// TestAuditSkipsEmptyDirs checks that a directory without Go files, or with
// tests only, is not a package to audit.
func TestAuditSkipsEmptyDirs(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := auditDir(dir, "x/empty"); ok || err != nil {
		t.Errorf("empty dir: ok %v, err %v; want false, nil", ok, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := auditDir(dir, "x/tests"); ok || err != nil {
		t.Errorf("tests only: ok %v, err %v; want false, nil", ok, err)
	}
}
