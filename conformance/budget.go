package conformance

import (
	"context"
	"fmt"
	"slices"

	kmsapi "github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/openapi"
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

// quotaCheck reads, before the first scenario against a target that is not the mock, the KMS key quota
// (user-quotas) and says why the run would not fit in what is left of it, or "". A target that does not
// answer user-quotas is not checked (note says so). CSMS offers no quota operation: its documented 500
// secrets per account cannot be read, only kept under with --max-secrets.
func (c *apiClients) quotaCheck(ctx context.Context, projectID string, est Usage) (reason, note string) {
	r, err := c.kms.ShowUserQuotasWithResponse(ctx, projectID)
	switch {
	case err != nil:
		return "", "the key quota was not read (user-quotas: " + oneLine(err) + ")"
	case r.JSON200 == nil || r.JSON200.Quotas == nil || r.JSON200.Quotas.Resources == nil:
		return "", fmt.Sprintf("the key quota was not read (user-quotas answered HTTP %d %s)", r.StatusCode(), openapi.ErrorCode(r.Body))
	}
	for _, q := range *r.JSON200.Quotas.Resources {
		if q.Type == nil || *q.Type != kmsapi.QuotaResourceTypeCMK || q.Quota == nil || q.Used == nil {
			continue
		}
		free := int(*q.Quota) - int(*q.Used)
		note = fmt.Sprintf("key quota %d, %d used (keys pending deletion count)", *q.Quota, *q.Used)
		if est.Keys > free {
			return fmt.Sprintf("the run would create up to %d keys, but the project's key quota leaves %d (user-quotas: quota %d, used %d; keys pending deletion count for their 7 days): free keys, raise the quota or select fewer scenarios (--tags)",
				est.Keys, max(free, 0), *q.Quota, *q.Used), note
		}
		return "", note
	}
	return "", "the key quota was not read (user-quotas named no CMK quota)"
}
