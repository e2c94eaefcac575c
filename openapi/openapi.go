// Package openapi holds dewconform's hand-written OpenAPI 3.0.3 documents of the Huawei DEW KMS and CSMS
// APIs, embedded as written, so that `dewconform spec` prints exactly the files in this folder.
//
// The generated packages gen/kms and gen/csms embed their own copy (GetSpec); a test checks the two agree.
package openapi

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed kms.yaml
var kmsYAML []byte

//go:embed csms.yaml
var csmsYAML []byte

// Services lists the services in a fixed order.
var Services = []string{"kms", "csms"}

// KMS returns the KMS document as written.
func KMS() []byte { return clone(kmsYAML) }

// CSMS returns the CSMS document as written.
func CSMS() []byte { return clone(csmsYAML) }

// Document returns the YAML of one service by name ("kms" or "csms").
func Document(service string) ([]byte, error) {
	switch service {
	case "kms":
		return KMS(), nil
	case "csms":
		return CSMS(), nil
	}
	return nil, fmt.Errorf("unknown service %q (want kms or csms)", service)
}

// Load parses and validates one service's document with kin-openapi, examples included.
func Load(ctx context.Context, service string) (*openapi3.T, error) {
	data, err := Document(service)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s spec: %w", service, err)
	}
	if err := doc.Validate(ctx, openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s spec: %w", service, err)
	}
	return doc, nil
}

// clone keeps callers from mutating the embedded bytes.
func clone(b []byte) []byte { return append([]byte(nil), b...) }
