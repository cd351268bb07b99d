// Command psa-oracle answers, for every pod-bearing object it reads, which Pod Security
// Standards controls Kubernetes' own Pod Security Admission library forbids at the
// baseline and restricted levels. It is the reference the policy pack's differential test
// compares with (tests/policy/test_policy_psa.py).
//
// Input (stdin): JSON lines {"id": "...", "object": {...Kubernetes object...}}.
// Output (stdout): one JSON line per input line, in order:
// {"id": "...", "baseline": {"<check id>": allowed, ...}, "restricted": {...}} or
// {"id": "...", "error": "..."}.
//
// Each control is evaluated on its own (one evaluator per PSA check) at the level's
// check set: baseline = the baseline checks; restricted = every check except the
// baseline checks a restricted check overrides (as PSA's registry does). A second,
// aggregate evaluation with every check must agree with the per-control verdicts.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type request struct {
	ID     string          `json:"id"`
	Object json.RawMessage `json:"object"`
}

type response struct {
	ID         string          `json:"id"`
	Baseline   map[string]bool `json:"baseline,omitempty"`
	Restricted map[string]bool `json:"restricted,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// inForce is the version of a check that applies at v (nil if the check is newer than v).
func inForce(c policy.Check, v api.Version) *policy.VersionedCheck {
	var found *policy.VersionedCheck
	for i := range c.Versions {
		if !v.Older(c.Versions[i].MinimumVersion) {
			found = &c.Versions[i]
		}
	}
	return found
}

type oracle struct {
	version   api.Version
	perCheck  map[policy.CheckID]policy.Evaluator
	levels    map[api.Level][]policy.CheckID
	aggregate policy.Evaluator
	decoder   runtime.Decoder
}

// extractPodSpec is what PSA's admission.DefaultPodSpecExtractor does for the nine kinds
// it reads pod specs from (that package is not imported: it pulls in client-go and the
// metrics stack, which would make the oracle's cold build several times longer).
func extractPodSpec(obj runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	fromTemplate := func(t *corev1.PodTemplateSpec) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
		if t == nil {
			return nil, nil, nil
		}
		return &t.ObjectMeta, &t.Spec, nil
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec, nil
	case *corev1.PodTemplate:
		return fromTemplate(&o.Template)
	case *corev1.ReplicationController:
		return fromTemplate(o.Spec.Template)
	case *appsv1.ReplicaSet:
		return fromTemplate(&o.Spec.Template)
	case *appsv1.Deployment:
		return fromTemplate(&o.Spec.Template)
	case *appsv1.DaemonSet:
		return fromTemplate(&o.Spec.Template)
	case *appsv1.StatefulSet:
		return fromTemplate(&o.Spec.Template)
	case *batchv1.Job:
		return fromTemplate(&o.Spec.Template)
	case *batchv1.CronJob:
		return fromTemplate(&o.Spec.JobTemplate.Spec.Template)
	default:
		return nil, nil, fmt.Errorf("unexpected object type: %s", obj.GetObjectKind().GroupVersionKind().String())
	}
}

func newOracle(version api.Version) (*oracle, error) {
	o := &oracle{version: version, perCheck: map[policy.CheckID]policy.Evaluator{},
		levels: map[api.Level][]policy.CheckID{}}
	checks := policy.DefaultChecks()
	overridden := map[policy.CheckID]bool{}
	for _, c := range checks {
		if vc := inForce(c, version); vc != nil {
			for _, id := range vc.OverrideCheckIDs {
				overridden[id] = true
			}
		}
	}
	for _, c := range checks {
		if inForce(c, version) == nil {
			continue
		}
		ev, err := policy.NewEvaluator([]policy.Check{c})
		if err != nil {
			return nil, err
		}
		o.perCheck[c.ID] = ev
		if c.Level == api.LevelBaseline {
			o.levels[api.LevelBaseline] = append(o.levels[api.LevelBaseline], c.ID)
			if !overridden[c.ID] {
				o.levels[api.LevelRestricted] = append(o.levels[api.LevelRestricted], c.ID)
			}
		} else {
			o.levels[api.LevelRestricted] = append(o.levels[api.LevelRestricted], c.ID)
		}
	}
	agg, err := policy.NewEvaluator(checks)
	if err != nil {
		return nil, err
	}
	o.aggregate = agg
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	o.decoder = serializer.NewCodecFactory(scheme).UniversalDeserializer()
	return o, nil
}

func allowed(results []policy.CheckResult) bool {
	for _, r := range results {
		if !r.Allowed {
			return false
		}
	}
	return true
}

func (o *oracle) level(level api.Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (map[string]bool, error) {
	lv := api.LevelVersion{Level: level, Version: o.version}
	out := map[string]bool{}
	all := true
	for _, id := range o.levels[level] {
		ok := allowed(o.perCheck[id].EvaluatePod(lv, meta, spec))
		out[string(id)] = ok
		all = all && ok
	}
	if agg := allowed(o.aggregate.EvaluatePod(lv, meta, spec)); agg != all {
		return nil, fmt.Errorf("%s: the per-control verdicts (allowed=%v) disagree with PSA's aggregate evaluation (allowed=%v)", level, all, agg)
	}
	return out, nil
}

func (o *oracle) evaluate(req request) response {
	resp := response{ID: req.ID}
	obj, _, err := o.decoder.Decode(req.Object, nil, nil)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	meta, spec, err := extractPodSpec(obj)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	if spec == nil {
		resp.Error = "no pod template (PSA skips such an object)"
		return resp
	}
	if resp.Baseline, err = o.level(api.LevelBaseline, meta, spec); err == nil {
		resp.Restricted, err = o.level(api.LevelRestricted, meta, spec)
	}
	if err != nil {
		resp.Error = err.Error()
	}
	return resp
}

func main() {
	version := flag.String("version", "", "policy version to evaluate, vMAJOR.MINOR (the pinned Kubernetes minor)")
	flag.Parse()
	v, err := api.ParseVersion(*version)
	if err != nil || v.Latest() {
		fmt.Fprintf(os.Stderr, "psa-oracle: -version must be vMAJOR.MINOR, got %q\n", *version)
		os.Exit(2)
	}
	o, err := newOracle(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "psa-oracle: %v\n", err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	line := 0
	for in.Scan() {
		line++
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintf(os.Stderr, "psa-oracle: stdin line %d: %v\n", line, err)
			os.Exit(2)
		}
		if err := enc.Encode(o.evaluate(req)); err != nil {
			fmt.Fprintf(os.Stderr, "psa-oracle: %v\n", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "psa-oracle: reading stdin: %v\n", err)
		os.Exit(2)
	}
}
