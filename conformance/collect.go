package conformance

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
)

// maxExchangesPerScenario bounds what the reports carry for one scenario.
const maxExchangesPerScenario = 50

// collector receives, from concurrently running scenarios, every exchange, violation, retry and cleanup
// problem, keyed by godog's pickle id.
type collector struct {
	red *redactor

	mu         sync.Mutex
	exchanges  map[string][]Exchange
	violations map[string][]Violation
	throttled  map[string]bool         // a call under test was answered 429
	statuses   map[string]map[int]bool // operation -> statuses answered to calls under test
	succeeded  map[string]int          // operation -> calls under test through the clients answered a documented 2xx
	skips      map[string]string       // pickle -> reason the steps gave for skipping it
	asserts    map[string][]Assertion  // pickle -> its assertions marked (unconfirmed), in step order
	retries    int
	cleanups   []string
	created    Usage // what the run's calls created, and how many calls it made
}

func newCollector(red *redactor) *collector {
	return &collector{
		red:        red,
		exchanges:  map[string][]Exchange{},
		violations: map[string][]Violation{},
		throttled:  map[string]bool{},
		statuses:   map[string]map[int]bool{},
		succeeded:  map[string]int{},
		skips:      map[string]string{},
		asserts:    map[string][]Assertion{},
	}
}

func (c *collector) exchange(pickle string, ex Exchange) {
	ex = c.redactExchange(ex)
	c.mu.Lock()
	defer c.mu.Unlock()
	countCreated(&c.created, ex)
	if len(c.exchanges[pickle]) < maxExchangesPerScenario {
		c.exchanges[pickle] = append(c.exchanges[pickle], ex)
	}
	if ex.Purpose == "act" && ex.Status != 0 {
		if ex.Status == 429 {
			c.throttled[pickle] = true
		}
		if ex.Operation != "" {
			if c.statuses[ex.Operation] == nil {
				c.statuses[ex.Operation] = map[int]bool{}
			}
			c.statuses[ex.Operation][ex.Status] = true
			if op, ok := openapi.Lookup(ex.Operation); ok && !ex.HandBuilt && ex.Status/100 == 2 && op.Documents(ex.Status) {
				c.succeeded[ex.Operation]++
			}
		}
	}
}

func (c *collector) violation(pickle string, v Violation) {
	v.Reason = c.red.String(v.Reason)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations[pickle] = append(c.violations[pickle], v)
}

func (c *collector) skipped(pickle, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skips[pickle] = c.red.String(reason)
}

func (c *collector) unconfirmed(pickle string, a Assertion) {
	a.Step, a.Detail = c.red.String(a.Step), c.red.String(a.Detail)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asserts[pickle] = append(c.asserts[pickle], a)
}

// assertions returns the scenario's unconfirmed assertions.
func (c *collector) assertions(pickle string) []Assertion {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Assertion(nil), c.asserts[pickle]...)
}

func (c *collector) skipReason(pickle string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skips[pickle]
}

func (c *collector) retry() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retries++
}

func (c *collector) cleanupProblem(scenario, resource string, err error) {
	msg := c.red.String(fmt.Sprintf("%s: %s: %v", scenario, resource, err))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanups = append(c.cleanups, msg)
}

func (c *collector) scenario(pickle string) (exs []Exchange, vs []Violation, throttled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Exchange(nil), c.exchanges[pickle]...), append([]Violation(nil), c.violations[pickle]...), c.throttled[pickle]
}

// exercised returns the statuses answered to op's calls under test, sorted, and how many of those calls
// (through the clients) got a documented 2xx.
func (c *collector) exercised(op string) (statuses []int, succeeded int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.statuses[op])), c.succeeded[op]
}

// usage is what the run's calls created so far.
func (c *collector) usage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created
}

func (c *collector) totals() (retries int, cleanups []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.cleanups...)
	sort.Strings(out)
	return c.retries, out
}

func (c *collector) redactExchange(ex Exchange) Exchange {
	ex.URL = c.red.String(ex.URL)
	ex.RequestHeader = c.redactHeader(ex.RequestHeader)
	ex.ResponseHeader = c.redactHeader(ex.ResponseHeader)
	ex.RequestBody = c.red.String(ex.RequestBody)
	ex.ResponseBody = c.red.String(ex.ResponseBody)
	ex.Err = c.red.String(ex.Err)
	return ex
}

func (c *collector) redactHeader(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		for i, v := range vs {
			if steps.IsSecretHeader(k) {
				cp[i] = redacted
			} else {
				cp[i] = c.red.String(v)
			}
		}
		out[k] = cp
	}
	return out
}
