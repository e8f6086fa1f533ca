package metrics_test

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// This file is a small PromQL checker for deploy/'s rules and dashboard.
// The full parser lives in github.com/prometheus/prometheus, a module far
// heavier than the rest of meetbot's dependencies together; this one
// covers what those files use and fails closed: brackets must balance,
// strings must close, every function must be a PromQL function, every
// range must be a valid duration (or a Grafana range variable), binary
// operators need operands on both sides, and every metric name must be
// one the bot registers (or a series Prometheus itself makes, like up),
// with label matchers that name that metric's labels.

// promFuncs are PromQL's functions and aggregations that the files may use.
var promFuncs = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "topk": true, "bottomk": true,
	"quantile": true, "stddev": true, "group": true, "count_values": true,
	"rate": true, "irate": true, "increase": true, "delta": true, "deriv": true, "idelta": true,
	"histogram_quantile": true, "abs": true, "absent": true, "absent_over_time": true, "changes": true,
	"clamp_min": true, "clamp_max": true, "max_over_time": true, "min_over_time": true, "avg_over_time": true,
	"sum_over_time": true, "time": true, "timestamp": true, "label_replace": true, "vector": true, "scalar": true,
	"resets": true, "round": true, "sort": true, "sort_desc": true, "last_over_time": true,
}

// promKeywords are words that are neither functions nor metric names.
var promKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"bool": true, "and": true, "or": true, "unless": true, "offset": true,
}

// synthetic are series Prometheus makes itself when it scrapes.
var synthetic = map[string][]string{"up": {"job", "instance"}}

var (
	durationRe = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	// grafanaRange is what a dashboard may put in a range: a variable.
	grafanaRange = regexp.MustCompile(`^\$(__rate_interval|__interval|__range)$`)
)

type tokKind int

const (
	tIdent tokKind = iota
	tNumber
	tString
	tOp
	tOpen  // ( { [
	tClose // ) } ]
	tComma
	tVar // a $variable (Grafana)
)

type tok struct {
	kind tokKind
	text string
}

func lexPromQL(s string) ([]tok, error) {
	var out []tok
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '"' || r == '\'' || r == '`':
			j := i + 1
			for j < len(rs) && rs[j] != r {
				if rs[j] == '\\' && r != '`' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, tok{tString, string(rs[i+1 : j])})
			i = j + 1
		case r == '$':
			j := i + 1
			for j < len(rs) && (rs[j] == '_' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			out = append(out, tok{tVar, string(rs[i:j])})
			i = j
		case r == '_' || r == ':' || unicode.IsLetter(r):
			j := i
			for j < len(rs) && (rs[j] == '_' || rs[j] == ':' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			out = append(out, tok{tIdent, string(rs[i:j])})
			i = j
		case unicode.IsDigit(r) || r == '.':
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.' || rs[j] == 'e' || unicode.IsLetter(rs[j])) {
				j++
			}
			out = append(out, tok{tNumber, string(rs[i:j])})
			i = j
		case strings.ContainsRune("({[", r):
			out = append(out, tok{tOpen, string(r)})
			i++
		case strings.ContainsRune(")}]", r):
			out = append(out, tok{tClose, string(r)})
			i++
		case r == ',':
			out = append(out, tok{tComma, ","})
			i++
		default:
			// Operators: == != =~ !~ >= <= > < + - * / % ^ =
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "==", "!=", "=~", "!~", ">=", "<=":
				out = append(out, tok{tOp, two})
				i += 2
				continue
			}
			if !strings.ContainsRune("><+-*/%^=", r) {
				return nil, fmt.Errorf("unexpected %q at %d", r, i)
			}
			out = append(out, tok{tOp, string(r)})
			i++
		}
	}
	return out, nil
}

// checkPromQL checks expr against the metric families names (name →
// label names). It returns every problem found.
func checkPromQL(expr string, names map[string][]string) []string {
	toks, err := lexPromQL(expr)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	var stack []string
	pairs := map[string]string{")": "(", "}": "{", "]": "["}
	var metric string // the metric whose {matchers} are open
	operand := false  // whether the previous token ends an operand
	grouping := false // the next "(" opens a by/without/on/ignoring list
	for i, t := range toks {
		next := tok{kind: -1}
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		inBraces := len(stack) > 0 && stack[len(stack)-1] == "{"
		inGrouping := len(stack) > 0 && stack[len(stack)-1] == "g("
		switch t.kind {
		case tOpen:
			if t.text == "[" {
				if !operand {
					bad("range [ without a vector before it")
				}
				if i+2 >= len(toks) || toks[i+2].text != "]" ||
					!(durationRe.MatchString(toks[i+1].text) || grafanaRange.MatchString(toks[i+1].text)) {
					bad("range at token %d is not [duration]", i)
				}
			}
			open := t.text
			if grouping && open == "(" {
				open = "g("
			}
			grouping = false
			stack = append(stack, open)
			operand = false
		case tClose:
			if len(stack) == 0 || strings.TrimPrefix(stack[len(stack)-1], "g") != pairs[t.text] {
				bad("unbalanced %q", t.text)
				return problems
			}
			stack = stack[:len(stack)-1]
			if t.text == "}" {
				metric = ""
			}
			operand = true
		case tIdent:
			switch {
			case inBraces:
				// A label matcher: label op "value".
				if metric != "" && !slicesContains(names[metric], t.text) && !slicesContains([]string{"job", "instance", "le", "quantile"}, t.text) {
					bad("%s has no label %q", metric, t.text)
				}
				if next.kind != tOp || !slicesContains([]string{"=", "!=", "=~", "!~"}, next.text) {
					bad("label %q is not followed by a matcher operator", t.text)
				}
			case inGrouping:
				// by (label, ...): any label name; le is Prometheus's.
			case promKeywords[t.text]:
				switch t.text {
				case "by", "without", "on", "ignoring", "group_left", "group_right":
					grouping = true
					// A grouping clause after an aggregation's argument
					// list keeps the operand it follows.
					continue
				}
				operand = false
				continue
			case promFuncs[t.text] && next.kind == tIdent && (next.text == "by" || next.text == "without"):
				// sum by (le) (...): an aggregation with its grouping first.
			case next.kind == tOpen && next.text == "(":
				if !promFuncs[t.text] {
					bad("unknown function %q", t.text)
				}
			default:
				if _, ok := names[metricBase(t.text, names)]; !ok {
					bad("unknown metric %q", t.text)
				}
				metric = metricBase(t.text, names)
				operand = true
				continue
			}
			operand = false
		case tNumber:
			operand = true
		case tString, tVar:
			operand = true
		case tOp:
			if !inBraces && !operand && t.text != "-" {
				bad("operator %q without a left operand", t.text)
			}
			operand = false
		case tComma:
			operand = false
		}
	}
	if len(stack) > 0 {
		bad("unclosed %q", stack[len(stack)-1])
	}
	if !operand {
		bad("expression ends without an operand")
	}
	return problems
}

// metricBase maps a histogram's _bucket, _sum and _count series to the
// family they belong to.
func metricBase(name string, names map[string][]string) string {
	if _, ok := names[name]; ok {
		return name
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suf); ok {
			if _, ok := names[b]; ok {
				return b
			}
		}
	}
	return name
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
