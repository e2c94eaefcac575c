package conformance

import (
	"context"
	"fmt"

	"github.com/dewconform/dewconform/openapi"
)

// specVersions reads info.version of every embedded spec, for the reports. Which operations there are and
// what they document comes from the registry (openapi.Operations).
func specVersions(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, svc := range openapi.Services {
		v, err := SpecVersion(ctx, svc)
		if err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		out[svc] = v
	}
	return out, nil
}

// SpecVersion returns info.version of the embedded spec of a service ("kms" or "csms").
func SpecVersion(ctx context.Context, service string) (string, error) {
	doc, err := openapi.Load(ctx, service)
	if err != nil {
		return "", err
	}
	if doc.Info == nil {
		return "", nil
	}
	return doc.Info.Version, nil
}
