package doccheck

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDocs fails, listing every finding, when a public package of the
// module lacks a package doc, a doc comment on an exported identifier, or a
// runnable Example.
func TestDocs(t *testing.T) {
	root, modPath := moduleRoot(t)
	dirs := publicPackageDirs(t, root)
	var findings []string
	audited := 0
	for _, dir := range dirs {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		importPath := path.Join(modPath, filepath.ToSlash(rel))
		f, ok, err := auditDir(dir, importPath)
		if err != nil {
			findings = append(findings, fmt.Sprintf("%s: %v", importPath, err))
			continue
		}
		if ok {
			audited++
		}
		findings = append(findings, f...)
	}
	t.Logf("audited %d public packages", audited)
	if audited == 0 {
		t.Fatal("no public package found under " + root)
	}
	if len(findings) > 0 {
		t.Errorf("%d documentation findings:\n\t%s", len(findings), strings.Join(findings, "\n\t"))
	}
}

// moduleRoot returns the directory holding go.mod above the test's
// directory, and the module path it declares.
func moduleRoot(t *testing.T) (dir, modPath string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(rest), `"`)
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// publicPackageDirs lists the directories under root that are neither
// internal (a path element "internal"), examples (under "examples"), test
// data, vendored nor hidden.
func publicPackageDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != root {
			name := d.Name()
			rel, _ := filepath.Rel(root, p)
			first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
			if name == "internal" || name == "testdata" || name == "vendor" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || first == "examples" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		dirs = append(dirs, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// auditDir audits the package in dir for the current build context; ok is
// false when dir holds no package. Parse failures are returned as the error.
func auditDir(dir, importPath string) (findings []string, ok bool, err error) {
	bp, err := build.ImportDir(dir, build.ImportComment)
	var noGo *build.NoGoError
	if errors.As(err, &noGo) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(bp.GoFiles) == 0 {
		return nil, false, nil // tests only
	}
	fset := token.NewFileSet()
	parse := func(names []string) ([]*ast.File, error) {
		var files []*ast.File
		for _, name := range names {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		return files, nil
	}
	src, err := parse(bp.GoFiles)
	if err != nil {
		return nil, false, err
	}
	tests, err := parse(append(append([]string(nil), bp.TestGoFiles...), bp.XTestGoFiles...))
	if err != nil {
		return nil, false, err
	}
	pkg, err := doc.NewFromFiles(fset, src, importPath)
	if err != nil {
		return nil, false, err
	}
	return audit(importPath, pkg, doc.Examples(tests...)), true, nil
}

// audit returns the findings about one package's documentation.
func audit(importPath string, pkg *doc.Package, examples []*doc.Example) []string {
	var out []string
	missing := func(kind, name string) {
		out = append(out, fmt.Sprintf("%s: %s %s has no doc comment", importPath, kind, name))
	}
	if strings.TrimSpace(pkg.Doc) == "" {
		out = append(out, importPath+": no package doc")
	}
	if pkg.Name == "main" {
		return out // a command: its doc is the package doc
	}
	runnable := 0
	for _, ex := range examples {
		if ex.Output != "" || ex.EmptyOutput {
			runnable++
		}
	}
	if runnable == 0 {
		out = append(out, importPath+": no runnable Example (an Example function with an // Output: comment)")
	}
	checkValues := func(values []*doc.Value, kind string) {
		for _, v := range values {
			out = append(out, undocumentedValues(importPath, kind, v)...)
		}
	}
	checkFuncs := func(funcs []*doc.Func, kind string) {
		for _, f := range funcs {
			if strings.TrimSpace(f.Doc) == "" {
				name := f.Name
				if f.Recv != "" {
					name = strings.TrimPrefix(f.Recv, "*") + "." + f.Name
				}
				missing(kind, name)
			}
		}
	}
	checkValues(pkg.Consts, "const")
	checkValues(pkg.Vars, "var")
	checkFuncs(pkg.Funcs, "func")
	for _, typ := range pkg.Types {
		if strings.TrimSpace(typ.Doc) == "" {
			missing("type", typ.Name)
		}
		checkValues(typ.Consts, "const")
		checkValues(typ.Vars, "var")
		checkFuncs(typ.Funcs, "func")
		checkFuncs(typ.Methods, "method")
	}
	sort.Strings(out)
	return out
}

// undocumentedValues lists the exported names of a const or var
// declaration that have no documentation: a declaration's doc covers all
// its names; without one, each spec of a parenthesized group needs its
// own doc or line comment, and a lone declaration needs a doc.
func undocumentedValues(importPath, kind string, v *doc.Value) []string {
	if strings.TrimSpace(v.Doc) != "" {
		return nil
	}
	var out []string
	for _, spec := range v.Decl.Specs {
		vs := spec.(*ast.ValueSpec)
		if v.Decl.Lparen.IsValid() && (hasText(vs.Doc) || hasText(vs.Comment)) {
			continue
		}
		for _, n := range vs.Names {
			if n.IsExported() {
				out = append(out, fmt.Sprintf("%s: %s %s has no doc comment", importPath, kind, n.Name))
			}
		}
	}
	return out
}

func hasText(g *ast.CommentGroup) bool {
	return g != nil && strings.TrimSpace(g.Text()) != ""
}
