package conformance

// This file is where the runner meets package steps: the Observer adapter and the Suite construction.
// Beyond it the runner shares only facts the steps own: the auth mode type, the run id rule and resource
// prefix, and the redaction of secret fields.

import (
	"net/http"
	"time"

	"github.com/cucumber/godog"

	"github.com/dewconform/dewconform/steps"
)

// scenarioSuite is what the runner needs from the steps.
type scenarioSuite interface {
	InitializeScenario(*godog.ScenarioContext)
}

// suiteConfig is what building the steps' Suite takes.
type suiteConfig struct {
	cfg    Config
	client *http.Client
	obs    *collector
}

// newStepsSuite builds the real steps.Suite.
func newStepsSuite(sc suiteConfig) (scenarioSuite, error) {
	c := sc.cfg
	return steps.New(steps.Config{
		KMSEndpoint:  c.KMSEndpoint,
		CSMSEndpoint: c.CSMSEndpoint,
		ProjectID:    c.ProjectID,
		Identities:   c.Identities,
		Auth:         c.Auth,
		HTTPClient:   sc.client,
		Timeout:      c.Timeout,
		Strict:       c.Strict,
		Control:      c.Control,
		// The mock implements the expectations the documents leave open: there they gate like any other.
		UnconfirmedGates: c.mock(),
		RunID:            c.RunID,
		Observer:         stepsObserver{sc.obs},
	})
}

// stepsObserver adapts the collector to steps.Observer.
type stepsObserver struct{ c *collector }

var _ steps.Observer = stepsObserver{}

// The steps mark the errors that mean the harness could not judge with this type.
var _ HarnessError = (*steps.HarnessError)(nil)

func (o stepsObserver) Exchange(ex steps.Exchange) {
	o.c.exchange(ex.Scenario.ID, convertExchange(ex))
}

func (o stepsObserver) Violation(sc steps.ScenarioRef, v steps.ContractViolation) {
	o.c.violation(sc.ID, Violation{
		Scenario: sc.Name, Operation: v.Operation, Status: v.Status, Field: v.Field, Reason: v.Reason,
		Undocumented: v.Undocumented,
	})
}

func (o stepsObserver) Retry(steps.Exchange, time.Duration) {
	o.c.retry()
}

func (o stepsObserver) Cleanup(sc steps.ScenarioRef, resource string, err error) {
	o.c.cleanupProblem(sc.Name, resource, err)
}

func (o stepsObserver) Skipped(sc steps.ScenarioRef, reason string) {
	o.c.skipped(sc.ID, reason)
}

func (o stepsObserver) Unconfirmed(sc steps.ScenarioRef, a steps.UnconfirmedAssertion) {
	o.c.unconfirmed(sc.ID, Assertion{Step: a.Step, Differs: a.Differs, Detail: a.Detail})
}

func convertExchange(ex steps.Exchange) Exchange {
	return Exchange{
		Step: ex.Step, Purpose: string(ex.Purpose), Identity: ex.Identity, Operation: ex.Operation,
		Method: ex.Method, URL: ex.URL, RequestHeader: ex.RequestHeader, RequestBody: ex.RequestBody,
		Status: ex.Status, ResponseHeader: ex.ResponseHeader, ResponseBody: ex.ResponseBody,
		Duration: ex.Duration, Attempt: ex.Attempt, Err: ex.Err, HandBuilt: ex.HandBuilt,
	}
}
