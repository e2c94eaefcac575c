package steps

import (
	"sort"
	"strings"
)

// Coverage is what a run exercised, per operation: how many scenarios tagged with the operation ran
// (skipped ones excluded) and which statuses the calls under test received, beside the statuses the
// spec documents.
type Coverage struct {
	Operations []OperationCoverage
}

// OperationCoverage is one operation's line of Coverage.
type OperationCoverage struct {
	Operation  string      // slug, e.g. "cancel-key-deletion"
	Scenarios  int         // scenarios run with the operation's tag
	Statuses   map[int]int // status -> number of calls under test that received it
	Documented []int       // statuses the spec documents for the operation
}

// Exercised returns the statuses received, sorted.
func (c OperationCoverage) Exercised() []int {
	out := make([]int, 0, len(c.Statuses))
	for s := range c.Statuses {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

type opCoverage struct {
	scenarios int
	statuses  map[int]int
}

func (s *Suite) entry(op string) *opCoverage {
	c, ok := s.cov[op]
	if !ok {
		c = &opCoverage{statuses: map[int]int{}}
		s.cov[op] = c
	}
	return c
}

func (s *Suite) noteStatus(op string, status int) {
	if op == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entry(op).statuses[status]++
}

func (s *Suite) noteScenario(tags []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tags {
		op := strings.TrimPrefix(t, "@")
		if _, ok := operationBySlug(op); ok {
			s.entry(op).scenarios++
		}
	}
}

// Coverage returns a snapshot of the run so far, one line per known operation, in report order.
func (s *Suite) Coverage() Coverage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out Coverage
	for _, op := range operations() {
		line := OperationCoverage{Operation: op.slug, Statuses: map[int]int{}, Documented: s.validator.Documented(op.id)}
		if c, ok := s.cov[op.slug]; ok {
			line.Scenarios = c.scenarios
			for k, v := range c.statuses {
				line.Statuses[k] = v
			}
		}
		out.Operations = append(out.Operations, line)
	}
	return out
}
