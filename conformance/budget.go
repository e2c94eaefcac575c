package conformance

import (
	"fmt"
	"slices"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/steps"
)

// Usage counts resources and requests: what a run is estimated to create, or what it created.
type Usage struct {
	Keys, Secrets, Grants int
	// Requests is the number of API calls (the mock's control API not counted); 0 in an estimate.
	Requests int
	// SharedKeys is, in an estimate, how many of Keys are the run's shared keys (one per actor).
	SharedKeys int
	// SharingScenarios is, in an estimate, how many scenarios use the shared keys.
	SharingScenarios int
}

func (u Usage) String() string {
	s := fmt.Sprintf("%d key(s), %d secret(s), %d grant(s)", u.Keys, u.Secrets, u.Grants)
	if u.Requests > 0 {
		s += fmt.Sprintf(", %d request(s)", u.Requests)
	}
	return s
}

// estimate is what the catalogue's scenarios create at most, read from their steps (steps.Planner): the
// scenarios that share keys count one key per actor for the whole run.
func (c *catalogue) estimate() Usage {
	p := steps.NewPlanner()
	var total steps.Resources
	var actors []string
	var sharing int
	for _, info := range c.list {
		plan := p.Plan(info.Steps)
		total = total.Add(plan.Creates)
		if plan.SharesKeys {
			sharing++
			for _, a := range plan.PoolActors {
				if !slices.Contains(actors, a) {
					actors = append(actors, a)
				}
			}
		}
	}
	return Usage{Keys: total.Keys + len(actors), Secrets: total.Secrets, Grants: total.Grants,
		SharedKeys: len(actors), SharingScenarios: sharing}
}

// overBudget says why the estimate does not fit the configured maximums, or "".
func (cfg Config) overBudget(est Usage) string {
	switch {
	case cfg.MaxKeys > 0 && est.Keys > cfg.MaxKeys:
		return fmt.Sprintf("the run would create up to %d keys (%s), more than --max-keys %d: select fewer scenarios (--tags) or raise the maximum", est.Keys, est, cfg.MaxKeys)
	case cfg.MaxSecrets > 0 && est.Secrets > cfg.MaxSecrets:
		return fmt.Sprintf("the run would create up to %d secrets (%s), more than --max-secrets %d: select fewer scenarios (--tags) or raise the maximum", est.Secrets, est, cfg.MaxSecrets)
	}
	return ""
}

// countCreated notes what one exchange created: a 2xx to a creating operation. Control calls are not
// requests to the API.
func countCreated(u *Usage, ex Exchange) {
	if ex.Purpose == "control" || ex.Status == 0 {
		return
	}
	u.Requests++
	if ex.Status/100 != 2 {
		return
	}
	switch ex.Operation {
	case ops.CreateKey:
		u.Keys++
	case ops.CreateSecret:
		u.Secrets++
	case ops.CreateGrant:
		u.Grants++
	}
}
