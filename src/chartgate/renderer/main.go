// chartgate-renderer renders many Helm charts in one process, exactly like
// `helm template` (same Helm SDK version as versions.toml's helm), over a JSON-lines
// protocol on stdin/stdout.
//
// Request (one JSON object per line):
//
//	{"id": 1, "chart": "/abs/chart", "release": "clockwork", "namespace": "clockwork",
//	 "values": ["/abs/values-prod.yaml"], "set_json": ["a.b=1"], "kube_version": "1.34.0",
//	 "api_versions": ["x/v1"], "is_upgrade": false, "show_only": []}
//
// Response (one JSON object per line, in completion order, matched by id):
//
//	{"id": 1, "ok": true, "stdout": "---\n# Source: ..."}
//	{"id": 1, "ok": false, "error": "Error: execution error at ..."}
//
// "stdout" is byte-for-byte what `helm template RELEASE CHART ...` prints; "error" is
// what it prints on stderr after cobra's "Error: " prefix. Requests are rendered
// concurrently (-workers, default GOMAXPROCS). {"id": 0, "op": "version"} answers the
// Helm SDK version. The mirror of helm's pkg/cmd/template.go + install.go runInstall is
// deliberate: tests/unit/test_renderer_parity.py proves byte-identical output.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

type request struct {
	ID          int64    `json:"id"`
	Op          string   `json:"op,omitempty"`
	Chart       string   `json:"chart"`
	Release     string   `json:"release"`
	Namespace   string   `json:"namespace"`
	Values      []string `json:"values"`
	SetJSON     []string `json:"set_json"`
	KubeVersion string   `json:"kube_version"`
	APIVersions []string `json:"api_versions"`
	IsUpgrade   bool     `json:"is_upgrade"`
	ShowOnly    []string `json:"show_only"`
	Coverage    bool     `json:"coverage,omitempty"`
	// {"op": "unittest-job"}: one helm-unittest test job's render, with coverage (coverage.go)
	Job *unittestJob `json:"job,omitempty"`
}

type response struct {
	ID     int64  `json:"id"`
	OK     bool   `json:"ok"`
	Stdout string `json:"stdout,omitempty"`
	Error  string `json:"error,omitempty"`
	// with "coverage": probe id -> times it ran (coverage.go), and the plan they refer to
	Coverage map[string]int64 `json:"coverage,omitempty"`
	Plan     string           `json:"plan,omitempty"`
}

var settings = cli.New()

// noSchemaCache: validate values exactly as helm does, compiling the schema every time
var noSchemaCache = os.Getenv("CHARTGATE_RENDERER_NO_SCHEMA_CACHE") != ""

func helmVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "helm.sh/helm/v4" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

// renderCovered is render with the templates instrumented (coverage.go). The output is
// the same; an error is reported with the text of an uninstrumented render (its line and
// column refer to the chart's own files), while the hits up to the failure are kept.
func renderCovered(req request) (string, error, *covRun) {
	run := &covRun{}
	text, err := render(req, run)
	if err != nil {
		req.Coverage = false
		_, err = render(req, nil)
	}
	return text, err, run
}

type covRun struct {
	plan *covPlan
	hits *hits
}

// render is `helm template` for one request: returns stdout, or the error helm prints.
func render(req request, cov *covRun) (string, error) {
	var kubeVersion *common.KubeVersion
	if req.KubeVersion != "" {
		parsed, err := common.ParseKubeVersion(req.KubeVersion)
		if err != nil {
			return "", fmt.Errorf("invalid kube version '%s': %w", req.KubeVersion, err)
		}
		kubeVersion = parsed
	}
	cfg := action.NewConfiguration()
	client := action.NewInstall(cfg)
	var instrumentHook func(chart.Charter)
	if cov != nil {
		instrumentHook = func(ch chart.Charter) {
			cov.plan = instrument(ch)
			cov.hits = newHits(cov.plan)
			cfg.CustomTemplateFuncs = cov.hits.funcs()
		}
	}
	// the defaults `helm template`'s flags set
	client.ServerSideApply = true
	client.DryRunStrategy = action.DryRunClient
	client.ReleaseName = "release-name"
	client.Replace = true
	// common.VersionSet(extraAPIs) after pflag's StringSlice splitting on commas
	var apis []string
	for _, a := range req.APIVersions {
		apis = append(apis, strings.Split(a, ",")...)
	}
	client.APIVersions = common.VersionSet(apis)
	client.IncludeCRDs = false
	client.IsUpgrade = req.IsUpgrade
	client.KubeVersion = kubeVersion

	rel, err := runInstall(req, client, instrumentHook)
	if err != nil {
		if rel != nil {
			return "", fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
		}
		return "", err
	}
	var out bytes.Buffer
	if rel != nil {
		var manifests bytes.Buffer
		fmt.Fprintln(&manifests, strings.TrimSpace(rel.Manifest))
		if !client.DisableHooks {
			for _, m := range rel.Hooks {
				fmt.Fprintf(&manifests, "---\n# Source: %s\n%s\n", m.Path, m.Manifest)
			}
		}
		if len(req.ShowOnly) > 0 {
			splitManifests := releaseutil.SplitManifests(manifests.String())
			keys := make([]string, 0, len(splitManifests))
			for k := range splitManifests {
				keys = append(keys, k)
			}
			sort.Sort(releaseutil.BySplitManifestsOrder(keys))
			nameRe := regexp.MustCompile("# Source: [^/]+/(.+)")
			var toRender []string
			for _, f := range req.ShowOnly {
				missing := true
				f = filepath.ToSlash(f)
				for _, k := range keys {
					m := splitManifests[k]
					sub := nameRe.FindStringSubmatch(m)
					if len(sub) == 0 {
						continue
					}
					if matched, _ := filepath.Match(f, strings.Join(strings.Split(sub[1], "/"), "/")); !matched {
						continue
					}
					toRender = append(toRender, m)
					missing = false
				}
				if missing {
					return "", fmt.Errorf("could not find template %s in chart", f)
				}
			}
			for _, m := range toRender {
				fmt.Fprintf(&out, "---\n%s\n", m)
			}
		} else {
			fmt.Fprintf(&out, "%s", manifests.String())
		}
	}
	return out.String(), nil
}

// runInstall mirrors helm's pkg/cmd/install.go runInstall for a local chart directory.
// A non-nil instrument is called with the loaded chart before it renders.
func runInstall(req request, client *action.Install, instrument func(chart.Charter)) (*release.Release, error) {
	args := []string{req.Release, req.Chart}
	name, chartRef, err := client.NameAndChart(args)
	if err != nil {
		return nil, err
	}
	client.ReleaseName = name
	cp, err := client.LocateChart(chartRef, settings)
	if err != nil {
		return nil, err
	}
	valueOpts := &values.Options{ValueFiles: req.Values, JSONValues: req.SetJSON}
	vals, err := valueOpts.MergeValues(getter.All(settings))
	if err != nil {
		return nil, err
	}
	chartRequested, err := loadChart(cp)
	if err != nil {
		return nil, err
	}
	ac, err := chart.NewAccessor(chartRequested)
	if err != nil {
		return nil, err
	}
	meta := ac.MetadataAsMap()
	switch meta["Type"] {
	case "", "application":
	default:
		return nil, fmt.Errorf("%s charts are not installable", meta["Type"])
	}
	if req := ac.MetaDependencies(); len(req) > 0 {
		if err := action.CheckDependencies(chartRequested, req); err != nil {
			return nil, fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: %w", err)
		}
	}
	client.Namespace = req.Namespace
	if client.Namespace == "" {
		client.Namespace = settings.Namespace()
	}
	if !noSchemaCache && canPrevalidate(ac, client.ReleaseName) {
		if err, ok := prevalidate(chartRequested, ac, vals); ok {
			if err != nil {
				return nil, err
			}
			client.SkipSchemaValidation = true // already done, with the compiled schema cached
		}
	}
	if instrument != nil {
		instrument(chartRequested)
	}
	ri, err := client.RunWithContext(context.Background(), chartRequested, vals)
	var rel *release.Release
	switch r := ri.(type) {
	case release.Release:
		rel = &r
	case *release.Release:
		rel = r
	case nil:
	default:
		return nil, fmt.Errorf("unsupported release type: %T", ri)
	}
	return rel, err
}

func main() {
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "requests rendered concurrently")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile here (development)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	// helm logs warnings to stderr; keep them there (never on the protocol stream)
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	var mu sync.Mutex
	write := func(r response) {
		b, _ := json.Marshal(r)
		mu.Lock()
		out.Write(b)
		out.WriteByte('\n')
		out.Flush()
		mu.Unlock()
	}
	jobs := make(chan request)
	var wg sync.WaitGroup
	for i := 0; i < max(1, *workers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for req := range jobs {
				var resp response
				if req.Op == "coverage-plan" {
					resp = coveragePlan(req)
				} else if req.Op == "unittest-job" {
					resp = unittestRender(req)
				} else {
					text, err, run := safeRender(req)
					if err != nil {
						resp = response{ID: req.ID, OK: false, Error: err.Error()}
					} else {
						resp = response{ID: req.ID, OK: true, Stdout: text}
					}
					if run != nil && run.plan != nil {
						resp.Coverage = run.hits.sparse()
						resp.Plan = run.plan.key
					}
				}
				write(resp)
			}
		}()
	}
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req request
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				write(response{ID: -1, OK: false, Error: "bad request: " + jerr.Error()})
			} else if req.Op == "version" {
				write(response{ID: req.ID, OK: true, Stdout: helmVersion()})
			} else {
				jobs <- req
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			break
		}
	}
	close(jobs)
	wg.Wait()
}

func safeRender(req request) (text string, err error, run *covRun) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("renderer panic: %v", p)
		}
	}()
	if req.Coverage {
		return renderCovered(req)
	}
	text, err = render(req, nil)
	return text, err, nil
}

// coveragePlan answers {"op": "coverage-plan", "chart": ...}: the chart's probes, value
// reads and sources as JSON in "stdout" ("plan" names it, as in render responses).
func coveragePlan(req request) response {
	ch, err := loader.Load(req.Chart)
	if err != nil {
		return response{ID: req.ID, OK: false, Error: err.Error()}
	}
	p := planFor(chartTemplates(ch))
	b, err := json.Marshal(p)
	if err != nil {
		return response{ID: req.ID, OK: false, Error: err.Error()}
	}
	return response{ID: req.ID, OK: true, Stdout: string(b), Plan: p.key}
}
