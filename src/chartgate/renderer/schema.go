package main

// Values-schema validation with the compiled schema cached by content: helm compiles a
// chart's values.schema.json on every render (a third of a render's CPU here). This is
// helm's pkg/chart/common/util ValidateAgainstSchema/ValidateAgainstSingleSchema for a
// chart without dependencies, with the same compiler set-up and the same error text
// (tests/unit/test_renderer_parity.py covers the failing scenarios too).

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

type compiled struct {
	schema *jsonschema.Schema
	err    error
}

var schemaCache sync.Map // sha256(schema bytes) -> *compiled

func compileSchema(schemaJSON []byte) (c *compiled) {
	key := sha256.Sum256(schemaJSON)
	if v, ok := schemaCache.Load(key); ok {
		return v.(*compiled)
	}
	defer func() {
		if r := recover(); r != nil {
			c = &compiled{err: fmt.Errorf("unable to validate schema: %s", r)}
		}
		schemaCache.Store(key, c)
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return &compiled{err: err}
	}
	loader := jsonschema.SchemeURLLoader{
		"file": jsonschema.FileLoader{},
		// helm's http(s) and urn loaders are not needed offline; a schema that refers to
		// one is not pre-validated here (see canPrevalidate) and helm validates it itself
	}
	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(loader)
	if err := compiler.AddResource("file:///values.schema.json", doc); err != nil {
		return &compiled{err: err}
	}
	s, err := compiler.Compile("file:///values.schema.json")
	if err != nil {
		return &compiled{err: err}
	}
	return &compiled{schema: s}
}

// canPrevalidate: only the simple, common case is taken over from helm — no subcharts,
// a valid release name (helm checks it before the values), a schema without remote refs.
func canPrevalidate(ac chart.Accessor, release string) bool {
	if len(ac.Dependencies()) > 0 || len(ac.MetaDependencies()) > 0 {
		return false
	}
	if chartutil.ValidateReleaseName(release) != nil {
		return false
	}
	s := ac.Schema()
	if s == nil {
		return true
	}
	return selfContained(s)
}

var selfContainedCache sync.Map // sha256(schema) -> bool

// selfContained: every $ref points into the document itself and $schema (if any) is a
// standard draft, so compiling needs no loader at all (helm's http/urn loaders never run).
func selfContained(schemaJSON []byte) bool {
	key := sha256.Sum256(schemaJSON)
	if v, ok := selfContainedCache.Load(key); ok {
		return v.(bool)
	}
	var doc any
	ok := json.Unmarshal(schemaJSON, &doc) == nil && refsAreLocal(doc, true)
	selfContainedCache.Store(key, ok)
	return ok
}

func refsAreLocal(node any, root bool) bool {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			switch k {
			case "$ref", "$dynamicRef", "$recursiveRef":
				if s, isStr := v.(string); isStr && !strings.HasPrefix(s, "#") {
					return false
				}
			case "$schema":
				s, isStr := v.(string)
				if !isStr || !(strings.HasPrefix(s, "http://json-schema.org/") ||
					strings.HasPrefix(s, "https://json-schema.org/")) {
					return false
				}
			case "$id", "id":
				if _, isStr := v.(string); isStr {
					return false // base URI changes: leave resolution to helm
				}
			}
			if !refsAreLocal(v, false) {
				return false
			}
		}
	case []any:
		for _, v := range n {
			if !refsAreLocal(v, false) {
				return false
			}
		}
	}
	return true
}

// prevalidate validates the coalesced values like helm's ToRenderValuesWithSchemaValidation
// and returns helm's error; ok=false means "let helm do it".
func prevalidate(chrt chart.Charter, ac chart.Accessor, vals map[string]any) (err error, ok bool) {
	coalesced, cerr := util.CoalesceValues(chrt, vals)
	if cerr != nil {
		return nil, false
	}
	if ac.Schema() == nil {
		return nil, true
	}
	c := compileSchema(ac.Schema())
	var single error
	if c.err != nil {
		single = c.err
	} else if verr := validate(c.schema, coalesced.AsMap()); verr != nil {
		// util.JSONSchemaValidationError's text
		msg := strings.TrimPrefix(verr.Error(), "jsonschema validation failed with 'file:///values.schema.json#'\n")
		single = errors.New(msg + "\n")
	}
	if single == nil {
		return nil, true
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s:\n", ac.Name())
	sb.WriteString(single.Error())
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%w",
		errors.New(sb.String())), true
}

func validate(s *jsonschema.Schema, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	return s.Validate(v)
}
