package mock

import (
	"context"

	"github.com/dewconform/dewconform/gen/kms"
)

// CreateGrant returns the new grant's 64-hex id.
func (a *kmsAPI) CreateGrant(ctx context.Context, req kms.CreateGrantRequestObject) (kms.CreateGrantResponseObject, error) {
	b := req.Body
	in := GrantInput{KeyID: b.KeyId, GranteePrincipal: b.GranteePrincipal}
	for _, op := range b.Operations {
		in.Operations = append(in.Operations, string(op))
	}
	if b.GranteePrincipalType != nil {
		in.GranteePrincipalType = string(*b.GranteePrincipalType)
	}
	if b.RetiringPrincipal != nil {
		in.RetiringPrincipal = *b.RetiringPrincipal
	}
	if b.Name != nil {
		in.Name = *b.Name
	}
	g, err := a.s.store.CreateGrant(caller(ctx), in)
	if err != nil {
		return nil, err
	}
	return kms.CreateGrant200JSONResponse{Body: kms.CreateGrantResponseBody{GrantId: g.ID}}, nil
}

// ListGrants lists a key's grants, paged like list-keys.
func (a *kmsAPI) ListGrants(ctx context.Context, req kms.ListGrantsRequestObject) (kms.ListGrantsResponseObject, error) {
	b := req.Body
	// Paging parameters are request validation: checked before the key is looked up.
	_, _, _, _, err := page(b.Limit, b.Marker, 0)
	var grants []Grant
	if err == nil {
		grants, err = a.s.store.ListGrants(caller(ctx), b.KeyId)
	}
	if err != nil {
		return nil, err
	}
	return kms.ListGrants200JSONResponse{Body: grantsPage(grants, b.Limit, b.Marker)}, nil
}

// ListRetirableGrants lists the grants the caller may retire.
func (a *kmsAPI) ListRetirableGrants(ctx context.Context, req kms.ListRetirableGrantsRequestObject) (kms.ListRetirableGrantsResponseObject, error) {
	b := req.Body
	if _, _, _, _, err := page(b.Limit, b.Marker, 0); err != nil {
		return nil, err
	}
	grants := a.s.store.ListRetirableGrants(caller(ctx))
	return kms.ListRetirableGrants200JSONResponse{Body: grantsPage(grants, b.Limit, b.Marker)}, nil
}

// CancelGrant is revoke-grant: 200 with an empty body.
func (a *kmsAPI) CancelGrant(ctx context.Context, req kms.CancelGrantRequestObject) (kms.CancelGrantResponseObject, error) {
	if err := a.s.store.RevokeGrant(caller(ctx), req.Body.KeyId, req.Body.GrantId); err != nil {
		return nil, err
	}
	return kms.CancelGrant200Response{}, nil
}

// CancelSelfGrant is retire-grant: 200 with an empty body.
func (a *kmsAPI) CancelSelfGrant(ctx context.Context, req kms.CancelSelfGrantRequestObject) (kms.CancelSelfGrantResponseObject, error) {
	if err := a.s.store.RetireGrant(caller(ctx), req.Body.KeyId, req.Body.GrantId); err != nil {
		return nil, err
	}
	return kms.CancelSelfGrant200Response{}, nil
}

func grantsPage(grants []Grant, limit, marker *string) kms.ListGrantsResponseBody {
	start, end, next, truncated, _ := page(limit, marker, len(grants)) // validated by the caller
	out := kms.ListGrantsResponseBody{Grants: []kms.Grants{}, NextMarker: next, Truncated: truncated, Total: total(len(grants))}
	for _, g := range grants[start:end] {
		out.Grants = append(out.Grants, grantBody(g))
	}
	return out
}

func grantBody(g Grant) kms.Grants {
	ops := make([]kms.GrantOperation, len(g.Operations))
	for i, op := range g.Operations {
		ops[i] = kms.GrantOperation(op)
	}
	out := kms.Grants{
		KeyId: g.KeyID, GrantId: g.ID, GranteePrincipal: g.GranteePrincipal,
		GranteePrincipalType: ptr(kms.GranteePrincipalType(g.GranteePrincipalType)),
		IssuingPrincipal:     g.IssuingPrincipal, CreationDate: kmsDate(g.Created), Name: ptr(g.Name),
		Operations: ops,
	}
	if g.RetiringPrincipal != "" {
		out.RetiringPrincipal = ptr(g.RetiringPrincipal)
	}
	return out
}
