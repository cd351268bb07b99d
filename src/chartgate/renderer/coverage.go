package main

// Template coverage: which blocks and branches of a chart's templates a render executed.
//
// Each template file is parsed with text/template/parse (the parser helm's engine uses),
// probes are added to its parse tree, and the tree is written back as template text that
// helm's own engine then parses and executes. Helm is not changed and not copied: the
// probes are calls of two functions handed to the engine as CustomTemplateFuncs, and
// they print nothing:
//
//	{{__chartgate_cov 17}}                  at the start of a block: counts block 17
//	(__chartgate_arg 17 .Values.x)          around the plain-field input of
//	                                        default/ternary/coalesce: counts 17 (empty)
//	                                        or 18 (set) and returns the value unchanged
//
// A parse tree written back with String() is the template after whitespace trimming
// ("{{- " and " -}}" already applied to the text) without comments, so it renders the
// same bytes. A file whose written-back text does not parse back into the same tree is
// left as it is (and reported without probes). Empty define bodies get no probe (text/
// template lets a later empty definition not replace an earlier one).
//
// The same walk records every .Values path a template reads (for values coverage): a
// field chain that goes through "Values" (.Values.a.b, $.Values.a, .ctx.Values.a), the
// dot inside with/range over such a path, variables assigned from one, and index with
// literal keys. "whole" marks a read that uses the value itself (printed, passed to a
// function) rather than only testing it or reaching into it.

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"

	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

const (
	covFunc = "__chartgate_cov"
	argFunc = "__chartgate_arg"
)

// probe is one counter: a block (file body, define body, if/with/range arm) or one arm
// of a default/ternary/coalesce input.
type probe struct {
	ID    int    `json:"id"`
	File  string `json:"file"`           // helm's template name: clockwork/templates/x.yaml
	Line  int    `json:"line"`           // where the block or condition starts (1-based)
	Kind  string `json:"kind"`           // file, define, then, else, body, empty, set, unset
	Cond  string `json:"cond,omitempty"` // `if .Values.x`, `default "a" .Values.x`, define name
	Group int    `json:"group"`          // branch group (arms share it); -1: not a branch
	Arm   int    `json:"arm"`            // arm index in its group
	Else  bool   `json:"explicit_else"`  // an else arm written in the template
	// the condition depends on `lookup` (directly, through a variable or a define): under
	// `helm template` lookup finds nothing, so only one arm can ever be taken
	Cluster bool  `json:"needs_cluster,omitempty"`
	Lines   []int `json:"lines,omitempty"` // source lines whose code runs when the block runs
}

type valueRead struct {
	Path  string `json:"path"` // dotted path under .Values ("" = all of .Values)
	File  string `json:"file"`
	Line  int    `json:"line"`
	Whole bool   `json:"whole"`
	Write bool   `json:"write,omitempty"` // set/unset on a .Values map: the template's own key
}

type covFile struct {
	Name         string `json:"name"`
	Source       string `json:"source"`
	Instrumented bool   `json:"instrumented"`
	Reason       string `json:"reason,omitempty"`
}

// covPlan is a chart's instrumented templates; one per chart content, shared by renders.
type covPlan struct {
	Files  []covFile   `json:"files"`
	Probes []probe     `json:"probes"`
	Reads  []valueRead `json:"reads"`
	text   map[string]string
	groups int
	key    string
}

var planCache sync.Map // sha256 of the templates -> *covPlan

type tmplFile struct {
	name string
	file *common.File
}

func chartTemplates(ch chart.Charter) []tmplFile {
	var out []tmplFile
	var walk func(c chart.Charter)
	walk = func(c chart.Charter) {
		ac, err := chart.NewAccessor(c)
		if err != nil {
			return
		}
		for _, dep := range ac.Dependencies() {
			walk(dep)
		}
		for _, t := range ac.Templates() {
			if t == nil {
				continue
			}
			if ac.IsLibraryChart() && !strings.HasPrefix(path.Base(t.Name), "_") {
				continue
			}
			out = append(out, tmplFile{path.Join(ac.ChartFullPath(), t.Name), t})
		}
	}
	walk(ch)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func planFor(files []tmplFile) *covPlan {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.name))
		h.Write([]byte{0})
		h.Write(f.file.Data)
		h.Write([]byte{0})
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	if v, ok := planCache.Load(key); ok {
		return v.(*covPlan)
	}
	p := buildPlan(files)
	p.key = fmt.Sprintf("%x", key[:8])
	v, _ := planCache.LoadOrStore(key, p)
	return v.(*covPlan)
}

// instrument replaces the chart's template texts with the instrumented ones.
func instrument(ch chart.Charter) *covPlan {
	files := chartTemplates(ch)
	p := planFor(files)
	for _, f := range files {
		if t, ok := p.text[f.name]; ok {
			f.file.Data = []byte(t)
		}
	}
	return p
}

// hits counts one render's probes; the engine calls these through CustomTemplateFuncs.
type hits struct{ n []int64 }

func newHits(p *covPlan) *hits { return &hits{n: make([]int64, len(p.Probes))} }

func (h *hits) funcs() map[string]any {
	return map[string]any{
		covFunc: func(id int) string {
			if id >= 0 && id < len(h.n) {
				atomic.AddInt64(&h.n[id], 1)
			}
			return ""
		},
		argFunc: func(id int, v any) any {
			arm := id + 1 // set
			if isEmpty(v) {
				arm = id // empty
			}
			if arm >= 0 && arm < len(h.n) {
				atomic.AddInt64(&h.n[arm], 1)
			}
			return v
		},
	}
}

// sparse: probe id -> count, only the probes that ran
func (h *hits) sparse() map[string]int64 {
	out := map[string]int64{}
	for i := range h.n {
		if c := atomic.LoadInt64(&h.n[i]); c > 0 {
			out[strconv.Itoa(i)] = c
		}
	}
	return out
}

// isEmpty is sprig's `empty` (what default and coalesce test).
func isEmpty(given any) bool {
	g := reflect.ValueOf(given)
	if !g.IsValid() {
		return true
	}
	switch g.Kind() {
	default:
		return g.IsNil()
	case reflect.Array, reflect.Slice, reflect.Map, reflect.String:
		return g.Len() == 0
	case reflect.Bool:
		return !g.Bool()
	case reflect.Complex64, reflect.Complex128:
		return g.Complex() == 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return g.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return g.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return g.Float() == 0
	case reflect.Struct:
		return false
	}
}

func buildPlan(files []tmplFile) *covPlan {
	p := &covPlan{text: map[string]string{}}
	type parsed struct {
		name  string
		src   string
		trees map[string]*parse.Tree
	}
	var all []parsed
	defines := map[string]*parse.Tree{}
	defineFile := map[string]string{}
	for _, f := range files {
		src := string(f.file.Data)
		trees, err := parseFile(f.name, src)
		if err != nil {
			p.Files = append(p.Files, covFile{Name: f.name, Source: src, Reason: "parse: " + err.Error()})
			continue
		}
		all = append(all, parsed{f.name, src, trees})
		for n, t := range trees {
			if n != f.name && !parse.IsEmptyTree(t.Root) {
				defines[n] = t // later files win, as in helm's engine (files parsed in name order)
				defineFile[n] = f.name
			}
		}
	}
	// value reads first (on the trees as parsed), then probes
	srcs := map[string]string{}
	for _, pf := range all {
		srcs[pf.name] = pf.src
	}
	ra := &readAnalyzer{defines: defines, defineFile: defineFile, seen: map[string]bool{}, p: p,
		srcs: srcs, readSeen: map[string]bool{}}
	for _, pf := range all {
		if !strings.HasPrefix(path.Base(pf.name), "_") {
			if t := pf.trees[pf.name]; t != nil {
				ra.walkList(t.Root, ctxRoot(), map[string]dotCtx{}, pf.name, pf.src, 0)
			}
		}
	}
	// defines never reached from a rendered file: analyse with an unknown dot
	names := make([]string, 0, len(defines))
	for n := range defines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ra.define(n, dotCtx{kind: ctxUnknown}, 0)
	}
	sort.Slice(p.Reads, func(i, j int) bool {
		a, b := p.Reads[i], p.Reads[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return !a.Whole && b.Whole
	})
	clusterDefines := lookupDefines(defines)
	for _, pf := range all {
		start := len(p.Probes)
		in := &instrumenter{p: p, file: pf.name, src: pf.src, clusterDefines: clusterDefines}
		var b strings.Builder
		if main := pf.trees[pf.name]; main != nil {
			in.vars = clusterVars(main.Root, clusterDefines)
			if !strings.HasPrefix(path.Base(pf.name), "_") && !parse.IsEmptyTree(main.Root) {
				in.block(main.Root, "file", "", -1, 0, false, int(main.Root.Position()))
			} else {
				in.walk(main.Root)
			}
			b.WriteString(main.Root.String())
		}
		tnames := make([]string, 0, len(pf.trees))
		for n := range pf.trees {
			if n != pf.name {
				tnames = append(tnames, n)
			}
		}
		sort.Strings(tnames)
		for _, n := range tnames {
			t := pf.trees[n]
			in.vars = clusterVars(t.Root, clusterDefines)
			if !parse.IsEmptyTree(t.Root) {
				in.block(t.Root, "define", n, -1, 0, false, int(t.Root.Position()))
			}
			fmt.Fprintf(&b, "{{define %s}}%s{{end}}", strconv.Quote(n), t.Root.String())
		}
		text := b.String()
		if err := roundTrips(pf.name, text); err != nil {
			p.Probes = p.Probes[:start]
			p.Files = append(p.Files, covFile{Name: pf.name, Source: pf.src,
				Reason: "not instrumented: " + err.Error()})
			continue
		}
		p.text[pf.name] = text
		p.Files = append(p.Files, covFile{Name: pf.name, Source: pf.src, Instrumented: true})
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Name < p.Files[j].Name })
	return p
}

func parseFile(name, src string) (map[string]*parse.Tree, error) {
	trees := map[string]*parse.Tree{}
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	if _, err := t.Parse(src, "", "", trees); err != nil {
		return nil, err
	}
	return trees, nil
}

// roundTrips: the instrumented text parses back into trees that write back the same text.
func roundTrips(name, text string) error {
	trees, err := parseFile(name, text)
	if err != nil {
		return err
	}
	var b strings.Builder
	if main := trees[name]; main != nil {
		b.WriteString(main.Root.String())
	}
	names := make([]string, 0, len(trees))
	for n := range trees {
		if n != name {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "{{define %s}}%s{{end}}", strconv.Quote(n), trees[n].Root.String())
	}
	if b.String() != text {
		return fmt.Errorf("the template does not survive being written back")
	}
	return nil
}

// --- probes ----------------------------------------------------------------------------

type instrumenter struct {
	p              *covPlan
	file           string
	src            string
	clusterDefines map[string]bool // defines whose output depends on lookup
	vars           map[string]bool // variables of the current tree that hold lookup results
	clusterDepth   int             // > 0 while instrumenting inside a lookup-dependent arm
}

var lookupWord = regexp.MustCompile(`\blookup\b`)

// dependsOnCluster: a pipeline (as text) that calls lookup, reads a variable holding a
// lookup result, or includes a define whose output depends on lookup.
func dependsOnCluster(text string, vars, defines map[string]bool) bool {
	if lookupWord.MatchString(text) {
		return true
	}
	for v := range vars {
		if regexp.MustCompile(regexp.QuoteMeta(v) + `\b`).MatchString(text) {
			return true
		}
	}
	for d := range defines {
		if strings.Contains(text, strconv.Quote(d)) {
			return true
		}
	}
	return false
}

// lookupDefines: defines that call lookup, or include one that does (to a fixpoint).
func lookupDefines(defines map[string]*parse.Tree) map[string]bool {
	out := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for n, t := range defines {
			if !out[n] && dependsOnCluster(t.Root.String(), nil, out) {
				out[n] = true
				changed = true
			}
		}
	}
	return out
}

// clusterVars: the variables of a tree assigned from something that depends on lookup.
func clusterVars(root *parse.ListNode, defines map[string]bool) map[string]bool {
	var decls []*parse.PipeNode
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.ActionNode:
				if len(n.Pipe.Decl) > 0 {
					decls = append(decls, n.Pipe)
				}
			case *parse.IfNode:
				decls = append(decls, n.Pipe)
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				decls = append(decls, n.Pipe)
				walk(n.List)
				walk(n.ElseList)
			case *parse.RangeNode:
				decls = append(decls, n.Pipe)
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	walk(root)
	vars := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, p := range decls {
			if len(p.Decl) == 0 {
				continue
			}
			text := p.String()
			if i := strings.Index(text, "="); i >= 0 {
				text = text[i+1:]
			}
			if !dependsOnCluster(text, vars, defines) {
				continue
			}
			for _, v := range p.Decl {
				if !vars[v.Ident[0]] {
					vars[v.Ident[0]] = true
					changed = true
				}
			}
		}
	}
	return vars
}

func lineOf(src string, pos int) int {
	if pos > len(src) {
		pos = len(src)
	}
	if pos < 0 {
		pos = 0
	}
	return 1 + strings.Count(src[:pos], "\n")
}

func probeNode(id int) parse.Node {
	// a TextNode writes its text verbatim: written back, this is an action
	return &parse.TextNode{NodeType: parse.NodeText, Text: []byte(fmt.Sprintf("{{%s %d}}", covFunc, id))}
}

func (in *instrumenter) nextGroup() int {
	in.p.groups++
	return in.p.groups
}

// block adds a probe at the start of list (which may be nil: an implicit else) and
// instruments what it contains. Returns the (possibly new) list.
func (in *instrumenter) block(list *parse.ListNode, kind, cond string, group, arm int, explicit bool, pos int) *parse.ListNode {
	if list == nil {
		list = &parse.ListNode{NodeType: parse.NodeList}
	}
	id := len(in.p.Probes)
	pr := probe{ID: id, File: in.file, Line: lineOf(in.src, pos), Kind: kind, Cond: cond,
		Group: group, Arm: arm, Else: explicit}
	in.p.Probes = append(in.p.Probes, pr)
	in.p.Probes[id].Lines = in.lines(list)
	in.walk(list)
	list.Nodes = append([]parse.Node{probeNode(id)}, list.Nodes...)
	return list
}

// lines: source lines with code that runs when the list runs (its own text and actions,
// not those of nested blocks).
func (in *instrumenter) lines(list *parse.ListNode) []int {
	set := map[int]bool{}
	for _, n := range list.Nodes {
		pos := int(n.Position())
		if t, ok := n.(*parse.TextNode); ok {
			text := string(t.Text)
			for i, part := range strings.Split(text, "\n") {
				if strings.TrimSpace(part) != "" {
					set[lineOf(in.src, pos)+i] = true
				}
			}
			continue
		}
		set[lineOf(in.src, pos)] = true
	}
	out := make([]int, 0, len(set))
	for l := range set {
		out = append(out, l)
	}
	sort.Ints(out)
	return out
}

func (in *instrumenter) walk(list *parse.ListNode) {
	if list == nil {
		return
	}
	escapeBraces(list)
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			in.pipe(n.Pipe)
		case *parse.IfNode:
			in.branch(&n.BranchNode, "if")
		case *parse.WithNode:
			in.branch(&n.BranchNode, "with")
		case *parse.RangeNode:
			in.branch(&n.BranchNode, "range")
		case *parse.TemplateNode:
			in.pipe(n.Pipe)
		}
	}
}

func (in *instrumenter) branch(b *parse.BranchNode, word string) {
	cond := word + " " + b.Pipe.String()
	in.pipe(b.Pipe)
	g := in.nextGroup()
	pos := int(b.Position())
	first, second := "then", "else"
	if word == "range" {
		first, second = "body", "empty"
	}
	explicit := b.ElseList != nil
	// arms inside an arm that depends on lookup depend on it too
	cluster := in.clusterDepth > 0 || dependsOnCluster(cond, in.vars, in.clusterDefines)
	if cluster {
		in.clusterDepth++
		defer func() { in.clusterDepth-- }()
	}
	at := len(in.p.Probes)
	b.List = in.block(b.List, first, cond, g, 0, false, pos)
	in.p.Probes[at].Cluster = cluster
	if word == "range" && !explicit {
		return // a range's body is its one arm unless the template gives it an else
	}
	elsePos := pos
	if b.ElseList != nil {
		elsePos = int(b.ElseList.Position())
	}
	at = len(in.p.Probes)
	b.ElseList = in.block(b.ElseList, second, cond, g, 1, explicit, elsePos)
	in.p.Probes[at].Cluster = cluster
}

// escapeBraces: text ending in "{" written back right before an action would read as
// "{{{" (the action starting one character early). Such a text gives its last "{" to an
// action that prints it: {{"{"}}.
func escapeBraces(list *parse.ListNode) {
	out := list.Nodes[:0:0]
	for _, n := range list.Nodes {
		t, ok := n.(*parse.TextNode)
		if ok && len(t.Text) > 0 && t.Text[len(t.Text)-1] == '{' {
			cut := *t
			cut.Text = t.Text[:len(t.Text)-1]
			out = append(out, &cut, &parse.TextNode{NodeType: parse.NodeText, Pos: t.Pos,
				Text: []byte(`{{"{"}}`)})
			continue
		}
		out = append(out, n)
	}
	list.Nodes = out
}

func plainField(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return true
	case *parse.VariableNode:
		return len(n.Ident) > 1
	}
	return false
}

func (in *instrumenter) arg(n parse.Node, cond string) parse.Node {
	g := in.nextGroup()
	id := len(in.p.Probes)
	line := lineOf(in.src, int(n.Position()))
	in.p.Probes = append(in.p.Probes,
		probe{ID: id, File: in.file, Line: line, Kind: "unset", Cond: cond, Group: g, Arm: 0},
		probe{ID: id + 1, File: in.file, Line: line, Kind: "set", Cond: cond, Group: g, Arm: 1})
	return &parse.TextNode{NodeType: parse.NodeText, Text: []byte(fmt.Sprintf("(%s %d %s)", argFunc, id, n.String()))}
}

func (in *instrumenter) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	conds := make([]string, len(p.Cmds))
	for i, c := range p.Cmds {
		conds[i] = c.String()
	}
	for i, c := range p.Cmds {
		for _, a := range c.Args {
			if sub, ok := a.(*parse.PipeNode); ok {
				in.pipe(sub)
			}
			if ch, ok := a.(*parse.ChainNode); ok {
				if sub, ok := ch.Node.(*parse.PipeNode); ok {
					in.pipe(sub)
				}
			}
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok {
			continue
		}
		cond := conds[i]
		switch id.Ident {
		case "default", "ternary":
			// the input is the last argument (default A B, ternary A B C), or the piped value
			last := map[string]int{"default": 2, "ternary": 3}[id.Ident]
			if len(c.Args) == last+1 && plainField(c.Args[last]) {
				c.Args[last] = in.arg(c.Args[last], cond)
			} else if len(c.Args) == last && i > 0 && len(p.Cmds[i-1].Args) == 1 && plainField(p.Cmds[i-1].Args[0]) {
				prev := p.Cmds[i-1]
				prev.Args[0] = in.arg(prev.Args[0], conds[i-1]+" | "+cond)
			}
		case "coalesce":
			for j := 1; j < len(c.Args); j++ {
				if plainField(c.Args[j]) {
					c.Args[j] = in.arg(c.Args[j], cond+" (argument "+strconv.Itoa(j)+")")
				}
			}
		}
	}
}

// --- value reads -----------------------------------------------------------------------

const (
	ctxUnknown = iota
	ctxRootKind
	ctxValues
)

type dotCtx struct {
	kind int
	path []string // ctxValues: path under .Values
}

func ctxRoot() dotCtx { return dotCtx{kind: ctxRootKind} }

type readAnalyzer struct {
	defines    map[string]*parse.Tree
	defineFile map[string]string
	seen       map[string]bool
	p          *covPlan
	srcs       map[string]string
	readSeen   map[string]bool
}

func (ra *readAnalyzer) add(pth []string, file, src string, pos int, whole bool) {
	r := valueRead{Path: strings.Join(pth, "."), File: file, Line: lineOf(src, pos), Whole: whole}
	k := fmt.Sprintf("%s|%s|%d|%v", r.Path, r.File, r.Line, r.Whole)
	if ra.readSeen[k] {
		return
	}
	ra.readSeen[k] = true
	ra.p.Reads = append(ra.p.Reads, r)
}

func (ra *readAnalyzer) define(name string, dot dotCtx, depth int) {
	t := ra.defines[name]
	if t == nil || depth > 20 {
		return
	}
	key := fmt.Sprintf("%s|%d|%s", name, dot.kind, strings.Join(dot.path, "."))
	if ra.seen[key] {
		return
	}
	ra.seen[key] = true
	file := ra.defineFile[name]
	ra.walkList(t.Root, dot, map[string]dotCtx{}, file, ra.srcs[file], depth+1)
}

// resolve: the .Values path a field chain names from `base`, if any.
func resolve(base dotCtx, idents []string) (dotCtx, bool) {
	for i := len(idents) - 1; i >= 0; i-- {
		if idents[i] == "Values" {
			return dotCtx{kind: ctxValues, path: append([]string{}, idents[i+1:]...)}, true
		}
	}
	switch base.kind {
	case ctxValues:
		return dotCtx{kind: ctxValues, path: append(append([]string{}, base.path...), idents...)}, true
	}
	return dotCtx{kind: ctxUnknown}, false
}

// node: the context a node evaluates to (for dot/variables), recording reads.
func (ra *readAnalyzer) node(n parse.Node, dot dotCtx, vars map[string]dotCtx, file, src string, whole bool, depth int) dotCtx {
	switch n := n.(type) {
	case *parse.FieldNode:
		c, ok := resolve(dot, n.Ident)
		if ok {
			ra.add(c.path, file, src, int(n.Position()), whole)
		}
		return c
	case *parse.VariableNode:
		base, known := vars[n.Ident[0]]
		if n.Ident[0] == "$" {
			base, known = ctxRoot(), true
		}
		if !known {
			base = dotCtx{kind: ctxUnknown}
		}
		if len(n.Ident) == 1 {
			if base.kind == ctxValues {
				ra.add(base.path, file, src, int(n.Position()), whole)
			}
			return base
		}
		c, ok := resolve(base, n.Ident[1:])
		if ok {
			ra.add(c.path, file, src, int(n.Position()), whole)
		}
		return c
	case *parse.DotNode:
		if dot.kind == ctxValues {
			ra.add(dot.path, file, src, int(n.Position()), whole)
		}
		return dot
	case *parse.ChainNode:
		if sub, ok := n.Node.(*parse.PipeNode); ok {
			base := ra.pipe(sub, dot, vars, file, src, false, depth)
			c, ok := resolve(base, n.Field)
			if ok {
				ra.add(c.path, file, src, int(n.Position()), whole)
			}
			return c
		}
	case *parse.PipeNode:
		return ra.pipe(n, dot, vars, file, src, whole, depth)
	}
	return dotCtx{kind: ctxUnknown}
}

func (ra *readAnalyzer) pipe(p *parse.PipeNode, dot dotCtx, vars map[string]dotCtx, file, src string, whole bool, depth int) dotCtx {
	if p == nil {
		return dotCtx{kind: ctxUnknown}
	}
	var last dotCtx
	for i, c := range p.Cmds {
		last = ra.command(c, dot, vars, file, src, whole || i < len(p.Cmds)-1 || len(p.Cmds) > 1, depth)
	}
	for _, v := range p.Decl {
		vars[v.Ident[0]] = last
	}
	return last
}

func (ra *readAnalyzer) command(c *parse.CommandNode, dot dotCtx, vars map[string]dotCtx, file, src string, whole bool, depth int) dotCtx {
	if len(c.Args) == 0 {
		return dotCtx{kind: ctxUnknown}
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		switch id.Ident {
		case "include", "template", "tpl":
			if id.Ident != "tpl" && len(c.Args) >= 3 {
				if s, ok := c.Args[1].(*parse.StringNode); ok {
					arg := ra.node(c.Args[2], dot, vars, file, src, false, depth)
					ra.define(s.Text, arg, depth)
					return dotCtx{kind: ctxUnknown}
				}
			}
		case "set", "unset":
			if len(c.Args) >= 3 {
				base := ra.node(c.Args[1], dot, vars, file, src, false, depth)
				if s, ok := c.Args[2].(*parse.StringNode); ok && base.kind == ctxValues {
					pth := append(append([]string{}, base.path...), s.Text)
					r := valueRead{Path: strings.Join(pth, "."), File: file, Line: lineOf(src, int(c.Position())), Write: true}
					k := fmt.Sprintf("%s|%s|%d|w", r.Path, r.File, r.Line)
					if !ra.readSeen[k] {
						ra.readSeen[k] = true
						ra.p.Reads = append(ra.p.Reads, r)
					}
				}
				for _, a := range c.Args[3:] {
					ra.node(a, dot, vars, file, src, true, depth)
				}
				return dotCtx{kind: ctxUnknown}
			}
		case "index":
			if len(c.Args) >= 2 {
				base := ra.node(c.Args[1], dot, vars, file, src, false, depth)
				keys := []string{}
				for _, a := range c.Args[2:] {
					s, ok := a.(*parse.StringNode)
					if !ok {
						keys = nil
						break
					}
					keys = append(keys, s.Text)
				}
				if keys != nil && base.kind == ctxValues {
					r := dotCtx{kind: ctxValues, path: append(append([]string{}, base.path...), keys...)}
					ra.add(r.path, file, src, int(c.Position()), whole)
					return r
				}
				for _, a := range c.Args[2:] {
					ra.node(a, dot, vars, file, src, true, depth)
				}
				return dotCtx{kind: ctxUnknown}
			}
		}
		for _, a := range c.Args[1:] {
			ra.node(a, dot, vars, file, src, true, depth)
		}
		return dotCtx{kind: ctxUnknown}
	}
	if len(c.Args) == 1 {
		return ra.node(c.Args[0], dot, vars, file, src, whole, depth)
	}
	for _, a := range c.Args {
		ra.node(a, dot, vars, file, src, true, depth)
	}
	return dotCtx{kind: ctxUnknown}
}

func copyVars(v map[string]dotCtx) map[string]dotCtx {
	out := make(map[string]dotCtx, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

func (ra *readAnalyzer) walkList(list *parse.ListNode, dot dotCtx, vars map[string]dotCtx, file, src string, depth int) {
	if list == nil {
		return
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			ra.pipe(n.Pipe, dot, vars, file, src, len(n.Pipe.Decl) == 0, depth)
		case *parse.IfNode:
			inner := copyVars(vars)
			ra.pipe(n.Pipe, dot, inner, file, src, false, depth)
			ra.walkList(n.List, dot, inner, file, src, depth)
			ra.walkList(n.ElseList, dot, inner, file, src, depth)
		case *parse.WithNode:
			inner := copyVars(vars)
			c := ra.pipe(n.Pipe, dot, inner, file, src, false, depth)
			ra.walkList(n.List, c, inner, file, src, depth)
			ra.walkList(n.ElseList, dot, inner, file, src, depth)
		case *parse.RangeNode:
			inner := copyVars(vars)
			c := ra.pipe(n.Pipe, dot, inner, file, src, true, depth)
			elem := dotCtx{kind: ctxUnknown}
			if c.kind == ctxValues {
				elem = dotCtx{kind: ctxValues, path: append(append([]string{}, c.path...), "[]")}
			}
			for _, v := range n.Pipe.Decl {
				inner[v.Ident[0]] = dotCtx{kind: ctxUnknown}
			}
			if len(n.Pipe.Decl) > 0 {
				inner[n.Pipe.Decl[len(n.Pipe.Decl)-1].Ident[0]] = elem
			}
			ra.walkList(n.List, elem, inner, file, src, depth)
			ra.walkList(n.ElseList, dot, inner, file, src, depth)
		case *parse.TemplateNode:
			arg := dotCtx{kind: ctxUnknown}
			if n.Pipe != nil {
				arg = ra.pipe(n.Pipe, dot, vars, file, src, false, depth)
			}
			ra.define(n.Name, arg, depth)
		}
	}
}

// unittestJob is one test job of a helm-unittest suite, its options already resolved
// (suite and job merged, values files and `set` merged into one values map) by
// chartgate.stages.unittest. helm-unittest does not render through `helm template`:
// it calls the engine on a copy of the chart that keeps only the suite's templates (and
// every partial), with its own release defaults (RELEASE-NAME, NAMESPACE, revision 0)
// and capabilities (the kube version it is given or its own default, and exactly the
// API versions it is given). unittestRender does the same with the instrumented
// templates, so the probes count what the job's render executed.
type unittestJob struct {
	Values               map[string]any `json:"values"`
	Templates            []string       `json:"templates"`         // the suite's `templates` ("**" when none)
	ExcludeTemplates     []string       `json:"exclude_templates"` // the suite's `excludeTemplates`
	Release              string         `json:"release"`
	Namespace            string         `json:"namespace"`
	Revision             int            `json:"revision"`
	IsUpgrade            bool           `json:"is_upgrade"`
	KubeMajor            string         `json:"kube_major"`
	KubeMinor            string         `json:"kube_minor"`
	APIVersions          []string       `json:"api_versions"`
	ChartVersion         string         `json:"chart_version"`
	AppVersion           string         `json:"app_version"`
	SkipSchemaValidation bool           `json:"skip_schema_validation"`
	KubernetesProvider   *fakeCluster   `json:"kubernetes_provider,omitempty"`
}

// fakeCluster is a suite's kubernetesProvider: the objects helm-unittest's lookup finds,
// served by client-go's fake dynamic client; "scheme" maps "apiVersion/Kind" to the
// resource (and whether it is namespaced), as helm-unittest's provider does.
type fakeCluster struct {
	Scheme  map[string]fakeKind `json:"scheme"`
	Objects []map[string]any    `json:"objects"`
}

type fakeKind struct {
	GVR        schema.GroupVersionResource `json:"gvr"`
	Namespaced bool                        `json:"namespaced"`
}

// lookup is helm's lookup function over the fake cluster: an object (or a list), or an
// empty map when there is none.
func (c *fakeCluster) lookup(apiVersion, kind, namespace, name string) (map[string]any, error) {
	objs := make([]runtime.Object, len(c.Objects))
	for i, o := range c.Objects {
		objs[i] = &unstructured.Unstructured{Object: runtime.DeepCopyJSON(o)}
	}
	props := c.Scheme[path.Join(apiVersion, kind)]
	res := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), objs...).Resource(props.GVR)
	var client dynamic.ResourceInterface = res
	if props.Namespaced && namespace != "" {
		client = res.Namespace(namespace)
	}
	var got interface{ UnstructuredContent() map[string]any }
	var err error
	if name != "" {
		got, err = client.Get(context.Background(), name, metav1.GetOptions{})
	} else {
		got, err = client.List(context.Background(), metav1.ListOptions{})
	}
	if apierrors.IsNotFound(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return map[string]any{}, err
	}
	return got.UnstructuredContent(), nil
}

// unittestRender answers {"op": "unittest-job", "chart": ..., "job": {...}}: the job's
// render with coverage ("ok" false with the engine's error when it fails; the hits up to
// the failure are kept). "stdout" lists the rendered files, each after a "# Source:" line,
// in name order.
func unittestRender(req request) (resp response) {
	resp = response{ID: req.ID}
	defer func() {
		if p := recover(); p != nil {
			resp.OK, resp.Error = false, fmt.Sprintf("renderer panic: %v", p)
		}
	}()
	if req.Job == nil {
		resp.Error = "unittest-job: no job"
		return resp
	}
	job := req.Job
	loaded, err := loadChart(req.Chart)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	ch, ok := loaded.(*chartv2.Chart)
	if !ok {
		resp.Error = fmt.Sprintf("unittest-job: %s is not an apiVersion v1/v2 chart", req.Chart)
		return resp
	}
	plan := instrument(ch)
	h := newHits(plan)
	// the plan and the hits are answered once the templates run: a job whose values fail
	// (schema, dependencies) renders nothing, like a scenario render that fails there
	rendering := false
	defer func() {
		if rendering {
			resp.Plan, resp.Coverage = plan.key, h.sparse()
		}
	}()

	vals := common.Values(job.Values)
	if vals == nil {
		vals = common.Values{}
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		resp.Error = err.Error()
		return resp
	}
	opts := common.ReleaseOptions{Name: job.Release, Namespace: job.Namespace, Revision: job.Revision,
		IsInstall: !job.IsUpgrade, IsUpgrade: job.IsUpgrade}
	kv, err := common.ParseKubeVersion(fmt.Sprintf("v%s.%s.0", job.KubeMajor, job.KubeMinor))
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	caps := &common.Capabilities{KubeVersion: *kv, APIVersions: common.VersionSet(job.APIVersions),
		HelmVersion: common.DefaultCapabilities.HelmVersion}
	// before the render values: helm 4 copies the metadata into .Chart there (helm-unittest's
	// helm 3 reads it when rendering)
	setChartVersions(ch, job.ChartVersion, job.AppVersion)
	skipSchema := job.SkipSchemaValidation
	if ac, aerr := chart.NewAccessor(ch); aerr == nil && !skipSchema && !noSchemaCache &&
		canPrevalidate(ac, "release-name") {
		if verr, ok := prevalidate(ch, ac, vals); ok { // with the compiled schema cached (schema.go)
			if verr != nil {
				resp.Error = verr.Error()
				return resp
			}
			skipSchema = true
		}
	}
	renderVals, err := commonutil.ToRenderValuesWithSchemaValidation(ch, vals, opts, caps, skipSchema)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	templates := job.Templates
	if len(templates) == 0 {
		templates = []string{"**"}
	}
	filtered := unittestChart(ch.Name(), ch.Name(), templates, job.ExcludeTemplates, ch)
	funcs := h.funcs()
	if job.KubernetesProvider != nil && len(job.KubernetesProvider.Objects) > 0 {
		funcs["lookup"] = job.KubernetesProvider.lookup
	}
	rendering = true
	out, err := engine.Engine{CustomTemplateFuncs: funcs}.Render(filtered, renderVals)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "# Source: %s\n%s\n", n, out[n])
	}
	resp.OK, resp.Stdout = true, b.String()
	return resp
}

// unittestTemplateName: a suite's template name as a chart path (deployment.yaml →
// templates/deployment.yaml), as helm-unittest resolves it.
func unittestTemplateName(name string) string {
	for _, p := range []string{"templates", "charts", "crds", "**"} {
		if strings.HasPrefix(name, p) {
			return name
		}
	}
	return path.Join("templates", name)
}

// unittestPattern: helm-unittest's template selector as a regular expression ("**" any
// path, "*" any path or none; matched anywhere in the template's name, as it does).
func unittestPattern(chartRoute, name string) *regexp.Regexp {
	p := path.Join(chartRoute, unittestTemplateName(name))
	p = strings.NewReplacer(".", `\.`, "+", `\+`, "[", `\[`, "]", `\]`).Replace(p)
	p = strings.ReplaceAll(p, "**", `[0-9a-zA-Z_\-/\.]+`)
	p = strings.ReplaceAll(p, "*", `[0-9a-zA-Z_\-_/\.]*`)
	p = strings.NewReplacer("?", `\?`, "(", `\(`, ")", `\)`, "|", `\|`, "{", `\{`, "}", `\}`,
		"^", `\^`, "$", `\$`).Replace(p)
	re, err := regexp.Compile(p)
	if err != nil {
		return regexp.MustCompile(regexp.QuoteMeta(p))
	}
	return re
}

// unittestChart: the chart as helm-unittest renders a suite's jobs: at every level, the
// templates the suite selects (minus the excluded ones) and every partial (_*.tpl).
func unittestChart(chartRoute, route string, include, exclude []string, c *chartv2.Chart) *chartv2.Chart {
	out := *c
	out.Templates = nil
	for _, name := range include {
		re := unittestPattern(chartRoute, name)
		for _, t := range c.Templates {
			if re.MatchString(path.Join(route, t.Name)) {
				out.Templates = append(out.Templates, t)
			}
		}
	}
	out.Templates = slices.DeleteFunc(out.Templates, func(t *common.File) bool {
		return slices.ContainsFunc(exclude, func(name string) bool {
			return unittestPattern(chartRoute, name).MatchString(path.Join(route, t.Name))
		})
	})
	for _, t := range c.Templates {
		if strings.HasPrefix(path.Base(t.Name), "_") {
			out.Templates = append(out.Templates, t)
		}
	}
	var deps []*chartv2.Chart
	for _, d := range c.Dependencies() {
		deps = append(deps, unittestChart(chartRoute, path.Join(route, "charts", d.Name()), include, exclude, d))
	}
	out.SetDependencies(deps...)
	return &out
}

// setChartVersions: the job's chart version and appVersion, on the chart and on every
// direct dependency (as helm-unittest sets them). The metadata is copied first: a cached
// chart shares it with other renders.
func setChartVersions(c *chartv2.Chart, version, appVersion string) {
	if version == "" && appVersion == "" {
		return
	}
	set := func(ch *chartv2.Chart) {
		if ch.Metadata == nil {
			return
		}
		m := *ch.Metadata
		m.Version = cmp.Or(version, m.Version)
		m.AppVersion = cmp.Or(appVersion, m.AppVersion)
		ch.Metadata = &m
	}
	set(c)
	for _, d := range c.Dependencies() {
		set(d)
	}
}
