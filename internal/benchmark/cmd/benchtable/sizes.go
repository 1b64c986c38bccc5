package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Target of the binary-size budget.
const (
	targetGOOS   = "linux"
	targetGOARCH = "arm"
	targetGOARM  = "7"
	// deviceTags leave the test emulators out of the device program.
	deviceTags = "tether_noemulator"
	// evidenceRows is how many packages the size evidence lists.
	evidenceRows = 12
)

// binarySizes are the stripped sizes of the device program and of the raw
// paho publisher, with the per-package evidence of the difference.
type binarySizes struct {
	device, raw int64
	err         error
	// extra lists, largest first, the symbol bytes per package that the
	// device program has beyond the publisher (unstripped builds).
	extra []packageSize
	// layers are the stripped sizes of the programs of sizeLayers, in
	// that order; one whose build failed is left out.
	layers []layerSize
}

// layerSize is the stripped size of one program of sizeLayers.
type layerSize struct {
	layer string // the program and what it is built on
	bytes int64
}

// sizeLayers are the programs that show where the device program's bytes
// go: the raw publisher with encoding/json, then the same publisher built
// on one layer of tether at a time (internal/benchmark/sizeprobe), in the
// order the layers stack. Each is built with its tag.
var sizeLayers = []struct{ pkg, tag, layer string }{
	{"./internal/benchmark/rawpaho/publisher", "publisher_json", "raw paho publisher with encoding/json (encode and decode)"},
	{"./internal/benchmark/sizeprobe", "sizeprobe_mqttx", "raw paho publisher on mqttx.Client (sizeprobe)"},
	{"./internal/benchmark/sizeprobe", "sizeprobe_plain", "raw paho publisher on transport, plain MQTT adapter (sizeprobe)"},
	{"./internal/benchmark/sizeprobe", "sizeprobe_aws", "raw paho publisher on transport, AWS adapter (sizeprobe)"},
	{"./internal/benchmark/sizeprobe", "sizeprobe_azure", "raw paho publisher on transport, Azure adapter (sizeprobe)"},
	{"./internal/benchmark/sizeprobe", "sizeprobe_both", "raw paho publisher on transport, both cloud adapters (sizeprobe)"},
}

type packageSize struct {
	pkg   string
	bytes int64
}

// binaries builds both programs for linux/arm and measures them.
func (r *runner) binaries(ctx context.Context) binarySizes {
	env := []string{"CGO_ENABLED=0", "GOOS=" + targetGOOS, "GOARCH=" + targetGOARCH, "GOARM=" + targetGOARM}
	build := func(name, pkg string, strip bool, tags string) (string, int64, error) {
		out := filepath.Join(r.dir, name)
		args := []string{"build", "-trimpath", "-o", out}
		if strip {
			args = append(args, "-ldflags=-s -w")
		}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		if _, err := r.goCmd(ctx, env, append(args, pkg)...); err != nil {
			return "", 0, err
		}
		fi, err := os.Stat(out)
		if err != nil {
			return "", 0, err
		}
		return out, fi.Size(), nil
	}
	var s binarySizes
	r.logf("building examples/device and the raw paho publisher for %s/%s GOARM=%s", targetGOOS, targetGOARCH, targetGOARM)
	if _, s.device, s.err = build("device", "./examples/device", true, deviceTags); s.err != nil {
		return s
	}
	if _, s.raw, s.err = build("publisher", "./internal/benchmark/rawpaho/publisher", true, ""); s.err != nil {
		return s
	}
	// Evidence: the size of each layer, then symbol sizes by package.
	for _, l := range sizeLayers {
		if _, n, err := build(l.tag, l.pkg, true, l.tag); err == nil {
			s.layers = append(s.layers, layerSize{layer: l.layer, bytes: n})
		} else {
			r.logf("%s: %v", l.layer, firstLine(err.Error()))
		}
	}
	// Unstripped, for the symbol sizes.
	dev, _, err := build("device.full", "./examples/device", false, deviceTags)
	if err != nil {
		return s
	}
	raw, _, err := build("publisher.full", "./internal/benchmark/rawpaho/publisher", false, "")
	if err != nil {
		return s
	}
	devPkgs, err1 := r.symbolSizes(ctx, dev)
	rawPkgs, err2 := r.symbolSizes(ctx, raw)
	if err1 == nil && err2 == nil {
		s.extra = sizeDifference(devPkgs, rawPkgs)
	}
	return s
}

// symbolSizes sums `go tool nm -size` by package.
func (r *runner) symbolSizes(ctx context.Context, binary string) (map[string]int64, error) {
	out, err := r.goCmd(ctx, nil, "tool", "nm", "-size", binary)
	if err != nil {
		return nil, err
	}
	sizes := make(map[string]int64)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		// address size type name
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		sizes[symbolPackage(strings.Join(f[3:], " "))] += n
	}
	return sizes, sc.Err()
}

// symbolPackage returns the package path of a symbol name, e.g.
// "github.com/tether-iot/tether/mqttx.(*Client).Publish" →
// "github.com/tether-iot/tether/mqttx"; "go:func.*" and runtime symbols
// keep their prefix.
func symbolPackage(sym string) string {
	if i := strings.IndexAny(sym, "[("); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndexByte(sym, '/')
	if dot := strings.IndexByte(sym[slash+1:], '.'); dot >= 0 {
		sym = sym[:slash+1+dot]
	}
	return strings.TrimSuffix(strings.ReplaceAll(sym, "%2e", "."), ".")
}

// sizeDifference lists the packages whose symbols grew, largest first.
func sizeDifference(dev, raw map[string]int64) []packageSize {
	var out []packageSize
	for pkg, n := range dev {
		if d := n - raw[pkg]; d > 0 {
			out = append(out, packageSize{pkg: pkg, bytes: d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].bytes != out[j].bytes {
			return out[i].bytes > out[j].bytes
		}
		return out[i].pkg < out[j].pkg
	})
	return out
}

func (s binarySizes) String() string {
	return fmt.Sprintf("device %d B, publisher %d B", s.device, s.raw)
}
