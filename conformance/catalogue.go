package conformance

import (
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/dewconform/dewconform/features"
)

// pickleInfo describes one scenario (one example row of an outline) before it runs.
type pickleInfo struct {
	ID      string // uri:line
	Name    string
	Feature string
	Rule    string
	URI     string
	Line    int
	Tags    []string
	Ops     []string
	Steps   []string // the step texts, for the estimate of what the run creates
}

// catalogue is every scenario the run will execute, in file order, and an index by pickle key.
type catalogue struct {
	list  []*pickleInfo
	byKey map[string]*pickleInfo
}

// pickleKey identifies a pickle across two parses of the same files (godog's pickle ids are not stable).
func pickleKey(uri string, astIDs []string) string {
	return uri + "|" + strings.Join(astIDs, ",")
}

// godogSource returns the FS and paths godog reads the features from.
func godogSource(cfg Config) (fs.FS, []string) {
	if len(cfg.Paths) > 0 {
		return nil, cfg.Paths
	}
	return features.FS, []string{"."}
}

// loadCatalogue parses the features the way godog will, tag filter included.
func loadCatalogue(cfg Config, ops []string) (*catalogue, error) {
	fsys, paths := godogSource(cfg)
	ts := godog.TestSuite{Options: &godog.Options{FS: fsys, Paths: paths, Tags: cfg.Tags}}
	feats, err := ts.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	known := map[string]bool{}
	for _, op := range ops {
		known[op] = true
	}
	cat := &catalogue{byKey: map[string]*pickleInfo{}}
	for _, f := range feats {
		if f == nil || f.GherkinDocument == nil || f.GherkinDocument.Feature == nil {
			continue
		}
		lines, rules := astIndex(f.GherkinDocument.Feature)
		for _, p := range f.Pickles {
			info := &pickleInfo{Name: p.Name, Feature: f.GherkinDocument.Feature.Name, URI: p.Uri}
			for i := len(p.AstNodeIds) - 1; i >= 0 && info.Line == 0; i-- {
				info.Line = lines[p.AstNodeIds[i]]
			}
			if len(p.AstNodeIds) > 0 {
				info.Rule = rules[p.AstNodeIds[0]]
			}
			for _, t := range p.Tags {
				info.Tags = append(info.Tags, t.Name)
				if op := strings.TrimPrefix(t.Name, "@"); known[op] && !contains(info.Ops, op) {
					info.Ops = append(info.Ops, op)
				}
			}
			for _, st := range p.Steps {
				info.Steps = append(info.Steps, st.Text)
			}
			info.ID = fmt.Sprintf("%s:%d", p.Uri, info.Line)
			cat.list = append(cat.list, info)
			cat.byKey[pickleKey(p.Uri, p.AstNodeIds)] = info
		}
	}
	return cat, nil
}

// astIndex maps scenario and example-row node ids to their lines, and scenario ids to their rule's name.
func astIndex(feat *messages.Feature) (lines map[string]int, rules map[string]string) {
	lines, rules = map[string]int{}, map[string]string{}
	addScenario := func(sc *messages.Scenario, rule string) {
		if sc == nil {
			return
		}
		if sc.Location != nil {
			lines[sc.Id] = int(sc.Location.Line)
		}
		rules[sc.Id] = rule
		for _, ex := range sc.Examples {
			if ex == nil {
				continue
			}
			for _, row := range ex.TableBody {
				if row != nil && row.Location != nil {
					lines[row.Id] = int(row.Location.Line)
				}
			}
		}
	}
	for _, ch := range feat.Children {
		if ch == nil {
			continue
		}
		addScenario(ch.Scenario, "")
		if ch.Rule != nil {
			for _, rc := range ch.Rule.Children {
				if rc != nil {
					addScenario(rc.Scenario, ch.Rule.Name)
				}
			}
		}
	}
	return lines, rules
}

// printList writes the scenarios a run would execute, with their tags.
func printList(w io.Writer, cat *catalogue) {
	for _, p := range cat.list {
		fmt.Fprintf(w, "%s\t%s\t%s\n", p.ID, p.Name, strings.Join(p.Tags, " "))
	}
	fmt.Fprintf(w, "%d scenarios\n", len(cat.list))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
