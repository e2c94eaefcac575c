package openapi_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

func TestRegistryBuilds(t *testing.T) {
	r, err := openapi.Build(context.Background())
	require.NoError(t, err)
	require.NotNil(t, r)
	ops := openapi.Operations()
	require.NotEmpty(t, ops)
	seen := map[string]bool{}
	for _, op := range ops {
		require.False(t, seen[op.Slug], "slug %s twice", op.Slug)
		seen[op.Slug] = true
		require.NotEmpty(t, op.Success(), "%s documents no 2xx answer", op.Slug)
		got, ok := openapi.Lookup(op.ID)
		require.True(t, ok)
		require.Equal(t, op.Slug, got.Slug)
	}
}

// KMS slugs are the path's last segment. A KMS operation may declare another (x-dewconform-slug) only where
// that segment cannot serve: it is a {parameter}, or another KMS operation's path ends with it too.
func TestKMSSlugIsLastPathSegment(t *testing.T) {
	last := func(p string) string { return p[strings.LastIndex(p, "/")+1:] }
	uses := map[string]int{}
	for _, op := range openapi.Operations() {
		if op.Service == "kms" {
			uses[last(op.Path)]++
		}
	}
	for _, op := range openapi.Operations() {
		if op.Service != "kms" {
			continue
		}
		seg := last(op.Path)
		if strings.HasPrefix(seg, "{") || uses[seg] > 1 {
			continue
		}
		require.Equal(t, seg, op.Slug, "%s: a KMS slug is its path's last segment", op.ID)
	}
}

func TestSeedOperations(t *testing.T) {
	var seeds []string
	for _, op := range openapi.Operations() {
		if op.Seed {
			seeds = append(seeds, op.Slug)
		}
	}
	require.ElementsMatch(t, []string{"cancel-key-deletion", "revoke-grant", "retire-grant", "restore-secret"}, seeds)
}

// Every operation's path, filled with sample values, routes back to that operation and no other.
func TestMatchRoundTrips(t *testing.T) {
	vars := map[string]string{"project_id": "p0", "secret_name": "s/1", "version_id": "v1", "stage_name": "SYSCURRENT"}
	for _, op := range openapi.Operations() {
		path := op.Fill(vars)
		require.NotContains(t, path, "{", "%s: a placeholder this test does not fill", op.Slug)
		got, ok := openapi.Match(op.Method, path)
		require.True(t, ok, "%s: %s %s matches nothing", op.Slug, op.Method, path)
		require.Equal(t, op.Slug, got.Slug, "%s %s", op.Method, path)
	}
	_, ok := openapi.Match("GET", "/v1.0/p0/kms/create-key")
	require.False(t, ok, "a wrong method matches no operation")
	_, ok = openapi.Match("POST", "/v1.0//kms/create-key")
	require.False(t, ok, "an empty parameter matches no operation")
}

func TestFieldCodes(t *testing.T) {
	op, ok := openapi.Lookup("schedule-key-deletion")
	require.True(t, ok)
	require.Equal(t, map[string]string{"key_id": "KMS.0205", "pending_days": "KMS.1401", "sequence": "KMS.0206"}, op.FieldCodes)
}

// secretLooking names properties whose values are key material, plaintexts or secret values. Any such
// property must be marked x-dewconform-secret, or no report would redact it.
var secretLooking = regexp.MustCompile(`(?i)^(plain_?text.*|pin|password|.*private_key.*|.*shared_secret.*|secret_(string|binary)|data_?key|key_material|.*plaintext.*|mac)$`)

func TestSecretLookingPropertiesAreMarked(t *testing.T) {
	for _, svc := range openapi.Services {
		doc, err := openapi.Load(context.Background(), svc)
		require.NoError(t, err)
		var unmarked []string
		visit := func(where string, s *openapi3.Schema) {
			walkSchema(s, func(name string, prop *openapi3.Schema) {
				if secretLooking.MatchString(name) && prop.Extensions[openapi.ExtSecret] != true {
					unmarked = append(unmarked, fmt.Sprintf("%s: %s", where, name))
				}
			})
		}
		for name, ref := range doc.Components.Schemas {
			visit("components.schemas."+name, ref.Value)
		}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				if op.RequestBody != nil {
					for _, mt := range op.RequestBody.Value.Content {
						visit(method+" "+path+" request", mt.Schema.Value)
					}
				}
				for code, resp := range op.Responses.Map() {
					for _, mt := range resp.Value.Content {
						visit(method+" "+path+" "+code, mt.Schema.Value)
					}
				}
			}
		}
		require.Empty(t, unmarked, "%s: properties that look secret but lack %s: true", svc, openapi.ExtSecret)
	}
}

func walkSchema(s *openapi3.Schema, fn func(string, *openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for name, ref := range s.Properties {
			fn(name, ref.Value)
			walk(ref.Value)
		}
		if s.Items != nil {
			walk(s.Items.Value)
		}
		for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, r := range refs {
				walk(r.Value)
			}
		}
	}
	walk(s)
}

func TestSecretFieldNames(t *testing.T) {
	require.Equal(t, []string{"data_key", "datakey_dgst", "mac", "pin", "plain_text", "plain_text_base64", "private_key_cipher_text", "private_key_plain_text", "random_data", "secret_binary", "secret_string", "shared_secret", "wrapped_private_key"}, openapi.SecretFieldNames())
}

func TestErrorCode(t *testing.T) {
	require.Equal(t, "KMS.0205", openapi.ErrorCode([]byte(`{"error":{"error_code":"KMS.0205","error_msg":"x"}}`)))
	require.Equal(t, "CSMS.0002", openapi.ErrorCode([]byte(`{"error_code":"CSMS.0002","error_msg":"x"}`)))
	require.Equal(t, "APIGW.0301", openapi.ErrorCode([]byte(`{"error_code":"APIGW.0301","error_msg":"x","request_id":"r"}`)))
	require.Equal(t, "", openapi.ErrorCode([]byte(`not json`)))
	require.Equal(t, "", openapi.ErrorCode(nil))
}
