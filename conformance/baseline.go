package conformance

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// BaselineEntry is a scenario known to fail on the target, with the reason.
type BaselineEntry struct {
	Scenario string `yaml:"scenario"` // the scenario's name, or its uri:line
	Reason   string `yaml:"reason"`
}

// maxBaselineSize bounds the baseline file.
const maxBaselineSize = 1 << 20

// LoadBaseline reads a baseline file: a YAML list of {scenario, reason}.
func LoadBaseline(path string) ([]BaselineEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return ParseBaseline(data)
}

// ParseBaseline decodes a baseline document; unknown fields and entries without a scenario are errors.
func ParseBaseline(data []byte) (entries []BaselineEntry, err error) {
	if len(data) > maxBaselineSize {
		return nil, fmt.Errorf("baseline: larger than %d bytes", maxBaselineSize)
	}
	defer func() {
		if recover() != nil {
			entries, err = nil, errors.New("baseline: invalid yaml")
		}
	}()
	if strings.TrimSpace(string(data)) == "" {
		return nil, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if err := node.Decode(&entries); err != nil {
		return nil, fmt.Errorf("baseline: want a list of {scenario, reason}: %w", err)
	}
	for i, e := range entries {
		if strings.TrimSpace(e.Scenario) == "" {
			return nil, fmt.Errorf("baseline: entry %d has no scenario", i+1)
		}
	}
	return entries, nil
}

// baselineIndex finds the entry of a scenario by name or by uri:line.
type baselineIndex map[string]BaselineEntry

func newBaselineIndex(entries []BaselineEntry) baselineIndex {
	idx := baselineIndex{}
	for _, e := range entries {
		idx[strings.TrimSpace(e.Scenario)] = e
	}
	return idx
}

func (b baselineIndex) lookup(s ScenarioResult) (BaselineEntry, bool) {
	if e, ok := b[s.ID]; ok {
		return e, true
	}
	e, ok := b[s.Name]
	return e, ok
}

// apply turns failures listed in the baseline into BaselineKnown and listed passes into BaselineFixed.
func (b baselineIndex) apply(s *ScenarioResult) {
	e, ok := b.lookup(*s)
	if !ok {
		return
	}
	switch s.Outcome {
	case Fail, UnconfirmedDiffers:
		s.Outcome = BaselineKnown
		s.Reason = fmt.Sprintf("%s (baseline: %s)", s.Reason, e.Reason)
	case Pass:
		s.Outcome = BaselineFixed
		s.Reason = "listed in the baseline (" + e.Reason + ") but passes now: remove it from the baseline"
	}
}
