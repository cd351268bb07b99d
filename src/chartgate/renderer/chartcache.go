package main

// The loaded chart, kept per directory while none of its files changes: loading it
// (walking the directory, reading the files, parsing Chart.yaml and values.yaml) is an
// eighth of a render's CPU, and a run renders the same chart for every scenario. Only a
// chart without dependencies is kept (helm's dependency processing changes the loaded
// chart). Each render gets its own copy of the chart struct and of its template files
// (coverage replaces their text); the rest is shared and only read (helm deep-copies the
// chart's values before coalescing them).

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

type cachedChart struct {
	fingerprint [32]byte
	chart       *chartv2.Chart
}

var chartCache sync.Map // absolute chart directory -> *cachedChart

// fingerprint: every path under dir with its size, modification time and mode.
func fingerprint(dir string) ([32]byte, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%o\n", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
		return nil
	})
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, err
}

func copyChart(c *chartv2.Chart) *chartv2.Chart {
	out := *c
	out.Templates = make([]*common.File, len(c.Templates))
	for i, f := range c.Templates {
		g := *f
		out.Templates[i] = &g
	}
	return &out
}

// loadChart is loader.Load, from the cache for an unchanged chart directory.
func loadChart(path string) (chart.Charter, error) {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return loader.Load(path)
	}
	fp, err := fingerprint(path)
	if err != nil {
		return loader.Load(path)
	}
	if v, ok := chartCache.Load(path); ok && v.(*cachedChart).fingerprint == fp {
		return copyChart(v.(*cachedChart).chart), nil
	}
	ch, err := loader.Load(path)
	if err != nil {
		return nil, err
	}
	if c, ok := ch.(*chartv2.Chart); ok && len(c.Dependencies()) == 0 && c.Metadata != nil &&
		len(c.Metadata.Dependencies) == 0 {
		chartCache.Store(path, &cachedChart{fingerprint: fp, chart: c})
		return copyChart(c), nil // the cached chart itself is never handed out
	}
	return ch, nil
}
