package securitytest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tls.Config literals in these trees (non-test code) must set MinVersion
// to TLS 1.2 or 1.3; InsecureSkipVerify is refused everywhere.
var minVersionTrees = []string{"transport", "mqttx"}

// TestSourceNeverSkipsVerification parses every non-test Go file of the
// module: none may set InsecureSkipVerify (the test-support packages,
// mqttxtest, awsiottest, azureiottest, mosquittotest and testcerts, are
// checked too: they do not need it), and every tls.Config literal under
// transport/ and mqttx/ must set MinVersion to TLS 1.2 or later.
func TestSourceNeverSkipsVerification(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	files, literals := 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		files++
		r := checkTLSSource(fset, f, needsMinVersion(rel))
		literals += r.literals
		for _, p := range r.problems {
			t.Errorf("%s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 || literals < 4 {
		t.Fatalf("checked %d files and %d tls.Config literals: the walk missed the module", files, literals)
	}
	t.Logf("checked %d non-test files, %d tls.Config literals", files, literals)
}

func needsMinVersion(rel string) bool {
	for _, tree := range minVersionTrees {
		if strings.HasPrefix(rel, tree+"/") {
			return true
		}
	}
	return false
}

// moduleRoot returns the directory of the module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if !strings.Contains(string(data), "module github.com/tether-iot/tether\n") {
				t.Fatalf("%s/go.mod is not tether's", dir)
			}
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

type tlsSourceReport struct {
	literals int
	problems []string
}

// checkTLSSource reports, in f, InsecureSkipVerify set to anything but
// false (in a composite literal or an assignment), MinVersion assigned a
// version below TLS 1.2 and, when minVersion is set, tls.Config literals
// without a MinVersion of TLS 1.2 or later.
func checkTLSSource(fset *token.FileSet, f *ast.File, minVersion bool) tlsSourceReport {
	var r tlsSourceReport
	tlsName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "crypto/tls" {
			tlsName = "tls"
			if imp.Name != nil {
				tlsName = imp.Name.Name
			}
		}
	}
	report := func(n ast.Node, msg string) {
		r.problems = append(r.problems, fset.Position(n.Pos()).String()+": "+msg)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			isConfig := isTLSConfig(n.Type, tlsName)
			if isConfig {
				r.literals++
			}
			var minV ast.Expr
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch key, _ := kv.Key.(*ast.Ident); {
				case key == nil:
				case key.Name == "InsecureSkipVerify" && !isFalse(kv.Value):
					report(kv, "InsecureSkipVerify set: TLS verification must always be on")
				case key.Name == "MinVersion" && isConfig:
					minV = kv.Value
				}
			}
			if isConfig && minVersion && !atLeastTLS12(minV, tlsName) {
				report(n, "tls.Config literal without MinVersion tls.VersionTLS12 or later")
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				sel, ok := lhs.(*ast.SelectorExpr)
				if !ok {
					continue
				}
				var rhs ast.Expr
				if len(n.Rhs) == len(n.Lhs) {
					rhs = n.Rhs[i]
				}
				switch sel.Sel.Name {
				case "InsecureSkipVerify":
					if rhs == nil || !isFalse(rhs) {
						report(n, "InsecureSkipVerify assigned: TLS verification must always be on")
					}
				case "MinVersion":
					if rhs == nil || belowTLS12(rhs, tlsName) {
						report(n, "MinVersion assigned a version below TLS 1.2")
					}
				}
			}
		}
		return true
	})
	return r
}

func isTLSConfig(typ ast.Expr, tlsName string) bool {
	sel, ok := typ.(*ast.SelectorExpr)
	if !ok || tlsName == "" {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == tlsName && sel.Sel.Name == "Config"
}

func isFalse(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "false"
}

// tlsVersion returns the version an expression names: tls.VersionTLSxx
// or an integer literal; 0 if it cannot tell.
func tlsVersion(e ast.Expr, tlsName string) uint64 {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		if pkg, ok := e.X.(*ast.Ident); ok && pkg.Name == tlsName {
			return map[string]uint64{"VersionSSL30": 0x0300, "VersionTLS10": 0x0301, "VersionTLS11": 0x0302,
				"VersionTLS12": 0x0303, "VersionTLS13": 0x0304}[e.Sel.Name]
		}
	case *ast.BasicLit:
		if v, err := strconv.ParseUint(e.Value, 0, 16); err == nil {
			return v
		}
	}
	return 0
}

func atLeastTLS12(e ast.Expr, tlsName string) bool {
	return e != nil && tlsVersion(e, tlsName) >= 0x0303
}

func belowTLS12(e ast.Expr, tlsName string) bool {
	v := tlsVersion(e, tlsName)
	return v != 0 && v < 0x0303
}

// The checker itself finds what it is meant to find.
func TestCheckTLSSource(t *testing.T) {
	tests := []struct {
		name, src  string
		minVersion bool
		problems   int
	}{
		{"good", `_ = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: p}`, true, 0},
		{"TLS 1.3", `_ = tls.Config{MinVersion: tls.VersionTLS13}`, true, 0},
		{"no MinVersion", `_ = &tls.Config{RootCAs: p}`, true, 1},
		{"no MinVersion outside the trees", `_ = &tls.Config{RootCAs: p}`, false, 0},
		{"TLS 1.0", `_ = &tls.Config{MinVersion: tls.VersionTLS10}`, true, 1},
		{"literal version", `_ = &tls.Config{MinVersion: 0x0301}`, true, 1},
		{"renamed import", `_ = &ctls.Config{RootCAs: p}`, true, 1},
		{"skip verify", `_ = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}`, false, 1},
		{"skip verify variable", `_ = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}`, false, 1},
		{"skip verify false", `_ = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: false}`, true, 0},
		{"assigned", `c.InsecureSkipVerify = true`, false, 1},
		{"assigned in a tuple", `c.ServerName, c.InsecureSkipVerify = "h", true`, false, 1},
		{"assigned false", `c.InsecureSkipVerify = false`, false, 0},
		{"MinVersion lowered", `c.MinVersion = tls.VersionTLS11`, false, 1},
		{"MinVersion raised", `c.MinVersion = tls.VersionTLS12`, false, 0},
		{"other struct", `_ = Options{InsecureSkipVerify: true}`, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp := `"crypto/tls"`
			if strings.Contains(tt.src, "ctls.") {
				imp = `ctls "crypto/tls"`
			}
			src := "package p\nimport " + imp + "\nfunc f() {\n" + tt.src + "\n}\n"
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "p.go", src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			problems := checkTLSSource(fset, f, tt.minVersion).problems
			if len(problems) != tt.problems {
				t.Errorf("problems %q, want %d", problems, tt.problems)
			}
		})
	}
}
