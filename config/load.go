package config

import (
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Load builds the configuration from the command-line flags registered by BindFlags (fs may be
// nil), the environment given as "KEY=value" strings (os.Environ() in main; for a repeated key
// the last one wins) and the defaults, in that order of precedence: a flag counts only when it
// was set on the command line. Values are trimmed of surrounding spaces; an empty value means the
// default except for GATEHOUSE_DEFAULT_ORG.
//
// Load reports every invalid value at once in a *ValidationError; problems name the flag when the
// value came from one, otherwise the variable.
func Load(environ []string, fs *pflag.FlagSet) (*Config, error) {
	env := parseEnviron(environ)
	c := Default()
	given := map[string]string{} // variable → how the operator gave it (variable or --flag)
	problems := map[string][]Problem{}
	for i := range settings {
		s := &settings[i]
		raw, name, ok := lookup(s, env, fs)
		if !ok {
			continue
		}
		given[s.env] = name
		raw = strings.TrimSpace(raw)
		if raw == "" && !s.emptyIsValue {
			raw = s.def
		}
		if err := s.set(&c, raw); err != nil {
			problems[s.env] = []Problem{{Name: name, Value: s.display(raw), Reason: err.Error()}}
		}
	}
	// A value that failed to parse left its valid default in place, so the checks below cannot
	// report it a second time.
	for _, p := range c.problems() {
		env := p.Name
		if name, ok := given[env]; ok {
			p.Name = name
		}
		problems[env] = append(problems[env], p)
	}
	if len(problems) == 0 {
		return &c, nil
	}
	verr := &ValidationError{}
	for _, s := range settings {
		verr.Problems = append(verr.Problems, problems[s.env]...)
	}
	return nil, verr
}

// lookup finds the raw value of s: from its flag when set on the command line, else from the
// environment. name is how the value was given, for problem messages.
func lookup(s *setting, env map[string]string, fs *pflag.FlagSet) (raw, name string, ok bool) {
	if fs != nil {
		if f := fs.Lookup(s.flag()); f != nil && f.Changed {
			return f.Value.String(), "--" + s.flag(), true
		}
	}
	if v, ok := env[s.env]; ok {
		return v, s.env, true
	}
	return "", "", false
}

func parseEnviron(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			env[k] = v
		}
	}
	return env
}

// BindFlags registers one string flag per setting on fs (--addr, --database-url, ...), with a
// usage text naming its environment variable and default. Call it once per FlagSet.
func BindFlags(fs *pflag.FlagSet) {
	for i := range settings {
		s := &settings[i]
		usage := s.usage + "; env " + s.env
		if s.def == "" && s.defNote != "" {
			usage += " (default: " + s.defNote + ")"
		}
		fs.String(s.flag(), s.def, usage)
	}
}

// Variables returns the names of all configuration variables, in --help order.
func Variables() []string {
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.env
	}
	return names
}

// clientVariables are the GATEHOUSE_* variables the command line's client commands read
// (cmd/gatehouse: login, tokens, agents, api-keys ...), not server settings: a shell that signed
// in may well run the server too.
var clientVariables = []string{"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN", "GATEHOUSE_CONFIG_DIR"}

// UnknownVariables returns the GATEHOUSE_* variables of environ that are not settings (most
// likely typos), sorted, for a warning at start. GATEHOUSE_TEST_* variables (used by the test
// suites) and the client commands' variables (GATEHOUSE_SERVER, GATEHOUSE_TOKEN,
// GATEHOUSE_CONFIG_DIR) are not reported.
func UnknownVariables(environ []string) []string {
	var unknown []string
	for k := range parseEnviron(environ) {
		if !strings.HasPrefix(k, "GATEHOUSE_") || strings.HasPrefix(k, "GATEHOUSE_TEST_") || slices.Contains(clientVariables, k) {
			continue
		}
		if !slices.ContainsFunc(settings, func(s setting) bool { return s.env == k }) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	return unknown
}

// maxSuggestDistance is how many single-character edits a name may be from a variable for
// ClosestVariable to suggest that variable.
const maxSuggestDistance = 3

// ClosestVariable returns the configuration variable nearest to name (an unknown variable from
// UnknownVariables), for a "did you mean" hint: the one fewest single-character edits away
// (insertions, deletions, substitutions; case is ignored), if it is at most maxSuggestDistance
// edits away, else "". On a tie the earlier variable in --help order wins.
func ClosestVariable(name string) string {
	best, bestDist := "", maxSuggestDistance+1
	for _, s := range settings {
		if d := editDistance(strings.ToUpper(name), s.env); d < bestDist {
			best, bestDist = s.env, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, byte by byte (variable names are
// ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
