package main

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The config file is decoded in two steps: yaml.v3 parses it into a node
// tree, which keeps every key's line, and nodeDecoder walks that tree
// against Config's fields (found by their yaml tags). Because the walker
// knows the key path, the line and the Go type it is filling at every step,
// it names each problem itself; no library error text is read or rewritten,
// and one bad value never stops the others from being checked.

// maxConfigNodes bounds how many values one file may expand to. Aliases
// let a few lines of YAML stand for billions of values; a real config has
// a few dozen.
const maxConfigNodes = 100_000

// maxMerges bounds "<<" merges nested inside each other.
const maxMerges = 16

// nodeDecoder fills a value from a yaml.Node and collects every problem.
type nodeDecoder struct {
	problems []string
	visits   int
	merges   int // merges being applied, one inside the other
}

// problem records one sentence about the key at path, written on line.
func (d *nodeDecoder) problem(path string, line int, format string, args ...any) {
	where := path
	if where == "" {
		where = "the file"
	}
	d.problems = append(d.problems, fmt.Sprintf("%s (line %d): %s", where, line, fmt.Sprintf(format, args...)))
}

var (
	durationType = reflect.TypeFor[Duration]()
	// listShapes says what a list key takes, with an example.
	listShapes = map[reflect.Type]string{
		reflect.TypeFor[[]string]():   "must be a list such as [http://10.0.0.1:2379]",
		reflect.TypeFor[[]Duration](): "must be a list of durations such as [10m, 0s] ([] for none)",
	}
)

// decode fills v (addressable) from n; path is the dotted key of n.
func (d *nodeDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(n, path) {
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	if isNull(n) {
		// As yaml.v3 does: an empty key leaves a section or value at its
		// default and empties a list.
		if v.Kind() == reflect.Slice || v.Kind() == reflect.Pointer {
			v.SetZero()
		}
		return
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, v, path)
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if v.IsNil() {
			v.Set(elem)
		}
		d.decode(n, v.Elem(), path)
	case v.Kind() == reflect.Struct:
		d.section(n, v, path)
	case v.Kind() == reflect.Slice:
		d.list(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

// spend counts one value visited and reports whether the walk may go on.
func (d *nodeDecoder) spend(n *yaml.Node, path string) bool {
	d.visits++
	if d.visits == maxConfigNodes+1 {
		d.problem(path, n.Line, "the file expands to more than %d values (through aliases); write the values out", maxConfigNodes)
	}
	return d.visits <= maxConfigNodes
}

// isNull reports an empty value ("key:" or "key: ~").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// section fills a struct from a mapping. Keys take the field with the same
// yaml tag; an unknown key, a key written twice and a merge ("<<: *base")
// that is not a section are each a problem. Keys written out win over
// merged ones, as in YAML.
func (d *nodeDecoder) section(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		// The value is not echoed: it may be a token pasted in the wrong place.
		d.problem(path, n.Line, "must be a section of keys, as in config.example.yaml")
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind == yaml.ScalarNode && key.Value == "<<" && key.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		name := joinKey(path, key.Value)
		if key.Kind != yaml.ScalarNode {
			d.problem(path, key.Line, "a key must be a plain name, not a list or a section")
			continue
		}
		if first, ok := seen[key.Value]; ok {
			d.problem(name, key.Line, "set twice; the first is on line %d", first)
			continue
		}
		seen[key.Value] = key.Line
		idx, ok := fields[key.Value]
		if !ok {
			d.problem(name, key.Line, "unknown key; compare the spelling and indentation with config.example.yaml")
			continue
		}
		d.decode(val, v.Field(idx), name)
	}
	for _, m := range merges {
		d.merge(m, v, path, seen)
	}
}

// merge applies a "<<" value: one section, or a list of sections, whose
// keys fill the fields not written out in the section itself.
func (d *nodeDecoder) merge(m *yaml.Node, v reflect.Value, path string, seen map[string]int) {
	// An anchor may merge itself (&a {<<: *a}); real files nest a merge
	// or two.
	if d.merges++; d.merges > maxMerges {
		if d.merges == maxMerges+1 {
			d.problem(joinKey(path, "<<"), m.Line, "merges nest more than %d deep (does an anchor merge itself?)", maxMerges)
		}
		return
	}
	defer func() { d.merges-- }()
	if m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	var sources []*yaml.Node
	switch m.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{m}
	case yaml.SequenceNode:
		for _, s := range m.Content {
			if s.Kind == yaml.AliasNode && s.Alias != nil {
				s = s.Alias
			}
			sources = append(sources, s)
		}
	}
	for _, s := range sources {
		if !d.spend(s, path) {
			return
		}
		if s.Kind != yaml.MappingNode {
			d.problem(joinKey(path, "<<"), m.Line, "a merge must name a section (<<: *name), or a list of them")
			return
		}
		rest := &yaml.Node{Kind: yaml.MappingNode, Line: s.Line, Column: s.Column}
		for i := 0; i+1 < len(s.Content); i += 2 {
			if _, ok := seen[s.Content[i].Value]; ok {
				continue
			}
			rest.Content = append(rest.Content, s.Content[i], s.Content[i+1])
		}
		d.section(rest, v, path)
		for i := 0; i+1 < len(rest.Content); i += 2 {
			seen[rest.Content[i].Value] = rest.Content[i].Line
		}
	}
}

// list fills a slice from a sequence, one element at a time, so a bad
// element is named by its own line.
func (d *nodeDecoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		want, ok := listShapes[v.Type()]
		if !ok {
			want = "must be a list"
		}
		d.problem(path, n.Line, "%s%s", want, echo(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decode(c, out.Index(i), path)
	}
	v.Set(out)
}

// duration reads a Go duration such as 5m or 1h30m.
func (d *nodeDecoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.problem(path, n.Line, "must be one duration such as 5m, not a list or a section")
		return
	}
	t, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		d.problem(path, n.Line, "%q is not a duration (examples: 30s, 5m, 1h30m)", n.Value)
		return
	}
	v.SetInt(int64(t))
}

// scalar fills a string, number or bool. yaml.v3 converts the text (so
// 0x10 and 1_000 read as YAML says); whether that worked is all that is
// taken from it, and the sentence comes from the field's kind.
func (d *nodeDecoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	var want string
	switch v.Kind() {
	case reflect.String:
		want = "must be a single value, not a list or a section"
	case reflect.Bool:
		want = "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "must be a whole number"
	case reflect.Float32, reflect.Float64:
		want = "must be a number"
	default:
		// A field type this walker does not know is a programming error,
		// caught by the tests that load config.example.yaml.
		panic(fmt.Sprintf("config: %s has unsupported type %s", path, v.Type()))
	}
	if n.Kind != yaml.ScalarNode {
		d.problem(path, n.Line, "%s", want)
		return
	}
	if want == "must be a whole number" && n.ShortTag() != "!!int" {
		// yaml.v3 would cut 12.5 down to 12 without a word.
		d.problem(path, n.Line, "%s%s", want, echo(n))
		return
	}
	target := reflect.New(v.Type())
	if err := n.Decode(target.Interface()); err != nil {
		d.problem(path, n.Line, "%s%s", want, echo(n))
		return
	}
	v.Set(target.Elem())
}

// echo quotes a short scalar for a problem (", not "lots""); long values
// and sections are left out, since a secret may sit in the wrong key.
func echo(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Value == "" || len(n.Value) > 24 {
		return ""
	}
	return fmt.Sprintf(", not %q", n.Value)
}

// yamlFields maps each yaml key of struct type t to its field index.
func yamlFields(t reflect.Type) map[string]int {
	out := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = i
	}
	return out
}

// joinKey extends a dotted key path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
