package mock

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/dewconform/dewconform/gen/kms"
)

// kmsAPI implements the generated KMS strict server over the store. Request shapes have already been
// validated against the spec; what is left here is what a schema cannot say (numbers inside strings,
// byte lengths) and the mapping between domain and wire types.
type kmsAPI struct{ s *Server }

var _ kms.StrictServerInterface = (*kmsAPI)(nil)

// kmsRefusal is one refusal, prebuilt for every status a KMS handler can answer with, so that each
// handler can return the operation's own generated response type (pick chooses it).
type kmsRefusal struct {
	status int
	// Each field has the underlying type of the operations' own response types (e.g.
	// kms.CreateKey400JSONResponse is struct{ BadRequestJSONResponse }), so a conversion makes one.
	bad       struct{ kms.BadRequestJSONResponse }
	forbidden struct{ kms.ForbiddenJSONResponse }
	notFound  struct{ kms.NotFoundJSONResponse }
	internal  struct {
		kms.InternalServerErrorJSONResponse
	}
}

func (a *kmsAPI) refuse(ctx context.Context, err error) kmsRefusal {
	ri := infoFrom(ctx)
	ri.err = err
	p := a.s.errs.resolve(err, ErrKMSInternal)
	if p.Status >= 500 {
		a.s.log.Error("kms handler error", "request_id", ri.id, "error", err.Error())
	}
	var body kms.ErrorBody
	if p.shape() == shapeKMS {
		_ = body.FromError(kms.Error{Error: kms.ErrorDetail{ErrorCode: p.Code, ErrorMsg: p.Msg}})
	} else {
		_ = body.FromGatewayError(kms.GatewayError{ErrorCode: p.Code, ErrorMsg: p.Msg, RequestId: ri.id})
	}
	return kmsRefusal{
		status:    p.Status,
		bad:       struct{ kms.BadRequestJSONResponse }{kms.BadRequestJSONResponse{Body: body}},
		forbidden: struct{ kms.ForbiddenJSONResponse }{kms.ForbiddenJSONResponse{Body: body}},
		notFound:  struct{ kms.NotFoundJSONResponse }{kms.NotFoundJSONResponse{Body: body}},
		internal: struct {
			kms.InternalServerErrorJSONResponse
		}{kms.InternalServerErrorJSONResponse{Body: body}},
	}
}

// pick returns the response for status among an operation's refusal responses; anything that is not
// a documented 400/403/404 is the 500.
func pick[R any](status int, bad, forbidden, notFound, internal R) R {
	switch status {
	case 400:
		return bad
	case 403:
		return forbidden
	case 404:
		return notFound
	}
	return internal
}

func ptr[T any](v T) *T { return &v }

func caller(ctx context.Context) Caller { return infoFrom(ctx).caller }

func keyDetails(k Key) kms.KeyDetails {
	flag := kms.KeyDetailsDefaultKeyFlagRegular
	if k.Default {
		flag = kms.KeyDetailsDefaultKeyFlagDefault
	}
	// The optional fields point into one allocation instead of a dozen (describe-key and list-keys build
	// this on every call; it was the largest allocator of a describe-key).
	o := &struct {
		realm, description, deletion, keyType, expiration, project, keystore string
		spec                                                                 kms.KeySpec
		usage                                                                kms.KeyUsage
		origin                                                               kms.Origin
		flag                                                                 kms.KeyDetailsDefaultKeyFlag
		rotation                                                             kms.KeyDetailsKeyRotationEnabled
	}{
		realm: k.Realm, description: k.Description, deletion: kmsDate(k.DeletionDate), keyType: "1",
		project: k.EnterpriseProjectID, keystore: k.KeystoreID, spec: kms.KeySpec(k.Spec),
		usage: kms.KeyUsage(k.Usage), origin: kms.Origin(k.Origin), flag: flag,
		rotation: kms.KeyDetailsKeyRotationEnabledFalse,
	}
	return kms.KeyDetails{
		KeyId:                  k.ID,
		DomainId:               k.DomainID,
		KeyAlias:               k.Alias,
		Realm:                  &o.realm,
		KeyDescription:         &o.description,
		KeySpec:                &o.spec,
		KeyUsage:               &o.usage,
		CreationDate:           kmsDate(k.Created),
		ScheduledDeletionDate:  &o.deletion,
		KeyState:               kms.KeyState(k.State),
		DefaultKeyFlag:         &o.flag,
		KeyType:                &o.keyType,
		ExpirationTime:         &o.expiration,
		Origin:                 &o.origin,
		KeyRotationEnabled:     &o.rotation,
		SysEnterpriseProjectId: &o.project,
		KeystoreId:             &o.keystore,
	}
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

// maxPage is the documented maximum of a KMS list page (arrays hold at most 1000 items).
const maxPage = 1000

// page applies KMS paging to n items: limit and marker are numbers inside strings (KMS.1601/1602 when
// they are not, or out of range). It returns the slice bounds and the response's paging fields.
func page(limit, marker *string, n int) (start, end int, next string, truncated kms.Truncated, err error) {
	size := maxPage
	if limit != nil && *limit != "" {
		v, convErr := strconv.Atoi(*limit)
		if convErr != nil || v < 1 || v > maxPage {
			return 0, 0, "", "", ErrInvalidLimit
		}
		size = v
	}
	if marker != nil && *marker != "" {
		v, convErr := strconv.Atoi(*marker)
		if convErr != nil || v < 0 {
			return 0, 0, "", "", ErrInvalidMarker
		}
		start = min(v, n)
	}
	end = min(start+size, n)
	truncated = kms.TruncatedFalse
	if end < n {
		truncated, next = kms.TruncatedTrue, strconv.Itoa(end)
	}
	return start, end, next, truncated, nil
}

func total(n int) int32 { return int32(min(n, maxPage)) }

// CreateKey creates a key; origin external starts in "5".
func (a *kmsAPI) CreateKey(ctx context.Context, req kms.CreateKeyRequestObject) (kms.CreateKeyResponseObject, error) {
	b := req.Body
	in := KeyInput{Alias: b.KeyAlias}
	if b.KeyDescription != nil {
		in.Description = *b.KeyDescription
	}
	if b.KeySpec != nil {
		in.Spec = string(*b.KeySpec)
	}
	if b.KeyUsage != nil {
		in.Usage = string(*b.KeyUsage)
	}
	if b.Origin != nil {
		in.Origin = string(*b.Origin)
	}
	if b.EnterpriseProjectId != nil {
		in.EnterpriseProjectID = *b.EnterpriseProjectId
	}
	if b.KeystoreId != nil {
		in.KeystoreID = *b.KeystoreId
	}
	k, err := a.s.store.CreateKey(caller(ctx), in)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.CreateKeyResponseObject](e.status, kms.CreateKey400JSONResponse(e.bad),
			kms.CreateKey403JSONResponse(e.forbidden), kms.CreateKey404JSONResponse(e.notFound),
			kms.CreateKey500JSONResponse(e.internal)), nil
	}
	return kms.CreateKey200JSONResponse{Body: kms.CreateKeyResponseBody{KeyInfo: kms.KeKInfo{
		KeyId: k.ID, DomainId: k.DomainID, RegionId: ptr(k.Realm),
	}}}, nil
}

// ListKeys lists the project's keys; key_spec defaults to AES_256 as on the service.
func (a *kmsAPI) ListKeys(ctx context.Context, req kms.ListKeysRequestObject) (kms.ListKeysResponseObject, error) {
	b := req.Body
	var f KeyFilter
	if b.KeyState != nil {
		f.State = KeyState(*b.KeyState)
	}
	if b.KeySpec != nil {
		f.Spec = string(*b.KeySpec)
	}
	keys, err := a.s.store.ListKeys(caller(ctx), f)
	var start, end int
	var next string
	var truncated kms.Truncated
	if err == nil {
		start, end, next, truncated, err = page(b.Limit, b.Marker, len(keys))
	}
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.ListKeysResponseObject](e.status, kms.ListKeys400JSONResponse(e.bad),
			kms.ListKeys403JSONResponse(e.forbidden), kms.ListKeys404JSONResponse(e.notFound),
			kms.ListKeys500JSONResponse(e.internal)), nil
	}
	out := kms.ListKeysResponseBody{
		Keys: []string{}, KeyDetails: []kms.KeyDetails{}, NextMarker: next, Truncated: truncated, Total: total(len(keys)),
	}
	for _, k := range keys[start:end] {
		out.Keys = append(out.Keys, k.ID)
		out.KeyDetails = append(out.KeyDetails, keyDetails(k))
	}
	return kms.ListKeys200JSONResponse{Body: out}, nil
}

// ListKeyDetail is describe-key.
func (a *kmsAPI) ListKeyDetail(ctx context.Context, req kms.ListKeyDetailRequestObject) (kms.ListKeyDetailResponseObject, error) {
	k, err := a.s.store.DescribeKey(caller(ctx), req.Body.KeyId)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.ListKeyDetailResponseObject](e.status, kms.ListKeyDetail400JSONResponse(e.bad),
			kms.ListKeyDetail403JSONResponse(e.forbidden), kms.ListKeyDetail404JSONResponse(e.notFound),
			kms.ListKeyDetail500JSONResponse(e.internal)), nil
	}
	return kms.ListKeyDetail200JSONResponse{Body: kms.DescribeKeyResponseBody{KeyInfo: keyDetails(k)}}, nil
}

// EnableKey answers the wrapped {key_info:{key_id,key_state}}.
func (a *kmsAPI) EnableKey(ctx context.Context, req kms.EnableKeyRequestObject) (kms.EnableKeyResponseObject, error) {
	k, err := a.s.store.EnableKey(caller(ctx), req.Body.KeyId)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.EnableKeyResponseObject](e.status, kms.EnableKey400JSONResponse(e.bad),
			kms.EnableKey403JSONResponse(e.forbidden), kms.EnableKey404JSONResponse(e.notFound),
			kms.EnableKey500JSONResponse(e.internal)), nil
	}
	return kms.EnableKey200JSONResponse{Body: kms.KeyStatusResponseBody{KeyInfo: statusInfo(k)}}, nil
}

// DisableKey answers the wrapped {key_info:{key_id,key_state}}.
func (a *kmsAPI) DisableKey(ctx context.Context, req kms.DisableKeyRequestObject) (kms.DisableKeyResponseObject, error) {
	k, err := a.s.store.DisableKey(caller(ctx), req.Body.KeyId)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.DisableKeyResponseObject](e.status, kms.DisableKey400JSONResponse(e.bad),
			kms.DisableKey403JSONResponse(e.forbidden), kms.DisableKey404JSONResponse(e.notFound),
			kms.DisableKey500JSONResponse(e.internal)), nil
	}
	return kms.DisableKey200JSONResponse{Body: kms.KeyStatusResponseBody{KeyInfo: statusInfo(k)}}, nil
}

func statusInfo(k Key) kms.KeyStatusInfo {
	return kms.KeyStatusInfo{KeyId: k.ID, KeyState: kms.KeyState(k.State)}
}

// DeleteKey is schedule-key-deletion; it answers the flat {key_id,key_state}.
func (a *kmsAPI) DeleteKey(ctx context.Context, req kms.DeleteKeyRequestObject) (kms.DeleteKeyResponseObject, error) {
	days, err := strconv.Atoi(req.Body.PendingDays)
	var k Key
	if err != nil {
		err = ErrInvalidPendingDays
	} else {
		k, err = a.s.store.ScheduleKeyDeletion(caller(ctx), req.Body.KeyId, days)
	}
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.DeleteKeyResponseObject](e.status, kms.DeleteKey400JSONResponse(e.bad),
			kms.DeleteKey403JSONResponse(e.forbidden), kms.DeleteKey404JSONResponse(e.notFound),
			kms.DeleteKey500JSONResponse(e.internal)), nil
	}
	return kms.DeleteKey200JSONResponse{Body: statusInfo(k)}, nil
}

// CancelKeyDeletion answers the flat {key_id,key_state:"3"}.
func (a *kmsAPI) CancelKeyDeletion(ctx context.Context, req kms.CancelKeyDeletionRequestObject) (kms.CancelKeyDeletionResponseObject, error) {
	k, err := a.s.store.CancelKeyDeletion(caller(ctx), req.Body.KeyId)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.CancelKeyDeletionResponseObject](e.status, kms.CancelKeyDeletion400JSONResponse(e.bad),
			kms.CancelKeyDeletion403JSONResponse(e.forbidden), kms.CancelKeyDeletion404JSONResponse(e.notFound),
			kms.CancelKeyDeletion500JSONResponse(e.internal)), nil
	}
	return kms.CancelKeyDeletion200JSONResponse{Body: statusInfo(k)}, nil
}

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
		e := a.refuse(ctx, err)
		return pick[kms.CreateGrantResponseObject](e.status, kms.CreateGrant400JSONResponse(e.bad),
			kms.CreateGrant403JSONResponse(e.forbidden), kms.CreateGrant404JSONResponse(e.notFound),
			kms.CreateGrant500JSONResponse(e.internal)), nil
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
		e := a.refuse(ctx, err)
		return pick[kms.ListGrantsResponseObject](e.status, kms.ListGrants400JSONResponse(e.bad),
			kms.ListGrants403JSONResponse(e.forbidden), kms.ListGrants404JSONResponse(e.notFound),
			kms.ListGrants500JSONResponse(e.internal)), nil
	}
	return kms.ListGrants200JSONResponse{Body: grantsPage(grants, b.Limit, b.Marker)}, nil
}

func grantsPage(grants []Grant, limit, marker *string) kms.ListGrantsResponseBody {
	start, end, next, truncated, _ := page(limit, marker, len(grants)) // validated by the caller
	out := kms.ListGrantsResponseBody{Grants: []kms.Grants{}, NextMarker: next, Truncated: truncated, Total: total(len(grants))}
	for _, g := range grants[start:end] {
		out.Grants = append(out.Grants, grantBody(g))
	}
	return out
}

// ListRetirableGrants lists the grants the caller may retire.
func (a *kmsAPI) ListRetirableGrants(ctx context.Context, req kms.ListRetirableGrantsRequestObject) (kms.ListRetirableGrantsResponseObject, error) {
	b := req.Body
	if _, _, _, _, err := page(b.Limit, b.Marker, 0); err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.ListRetirableGrantsResponseObject](e.status, kms.ListRetirableGrants400JSONResponse(e.bad),
			kms.ListRetirableGrants403JSONResponse(e.forbidden), kms.ListRetirableGrants404JSONResponse(e.notFound),
			kms.ListRetirableGrants500JSONResponse(e.internal)), nil
	}
	grants := a.s.store.ListRetirableGrants(caller(ctx))
	return kms.ListRetirableGrants200JSONResponse{Body: grantsPage(grants, b.Limit, b.Marker)}, nil
}

// CancelGrant is revoke-grant: 200 with an empty body.
func (a *kmsAPI) CancelGrant(ctx context.Context, req kms.CancelGrantRequestObject) (kms.CancelGrantResponseObject, error) {
	if err := a.s.store.RevokeGrant(caller(ctx), req.Body.KeyId, req.Body.GrantId); err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.CancelGrantResponseObject](e.status, kms.CancelGrant400JSONResponse(e.bad),
			kms.CancelGrant403JSONResponse(e.forbidden), kms.CancelGrant404JSONResponse(e.notFound),
			kms.CancelGrant500JSONResponse(e.internal)), nil
	}
	return kms.CancelGrant200Response{}, nil
}

// CancelSelfGrant is retire-grant: 200 with an empty body.
func (a *kmsAPI) CancelSelfGrant(ctx context.Context, req kms.CancelSelfGrantRequestObject) (kms.CancelSelfGrantResponseObject, error) {
	if err := a.s.store.RetireGrant(caller(ctx), req.Body.KeyId, req.Body.GrantId); err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.CancelSelfGrantResponseObject](e.status, kms.CancelSelfGrant400JSONResponse(e.bad),
			kms.CancelSelfGrant403JSONResponse(e.forbidden), kms.CancelSelfGrant404JSONResponse(e.notFound),
			kms.CancelSelfGrant500JSONResponse(e.internal)), nil
	}
	return kms.CancelSelfGrant200Response{}, nil
}

// datakeyBits is the data key length: datakey_length wins over key_spec; 256 bits when neither is
// given (CreateDatakey definition).
func datakeyBits(b *kms.CreateDatakeyRequestBody) (int, error) {
	if b.DatakeyLength != nil {
		n, err := strconv.Atoi(*b.DatakeyLength)
		if err != nil {
			return 0, ErrInvalidDatakeyLength
		}
		return n, nil
	}
	if b.KeySpec != nil {
		switch *b.KeySpec {
		case kms.CreateDatakeyRequestBodyKeySpecAES128, kms.CreateDatakeyRequestBodyKeySpecSM4:
			return 128, nil
		case kms.CreateDatakeyRequestBodyKeySpecHMAC384:
			return 384, nil
		case kms.CreateDatakeyRequestBodyKeySpecHMAC512:
			return 512, nil
		}
	}
	return 256, nil
}

func aad(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

// CreateDatakey returns the data key and its ciphertext, both upper-case hex as in the service's
// examples.
func (a *kmsAPI) CreateDatakey(ctx context.Context, req kms.CreateDatakeyRequestObject) (kms.CreateDatakeyResponseObject, error) {
	b := req.Body
	bits, err := datakeyBits(b)
	var plain, env []byte
	if err == nil {
		plain, env, err = a.s.store.CreateDataKey(caller(ctx), b.KeyId, bits, aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.CreateDatakeyResponseObject](e.status, kms.CreateDatakey400JSONResponse(e.bad),
			kms.CreateDatakey403JSONResponse(e.forbidden), kms.CreateDatakey404JSONResponse(e.notFound),
			kms.CreateDatakey500JSONResponse(e.internal)), nil
	}
	return kms.CreateDatakey200JSONResponse{Body: kms.CreateDatakeyResponseBody{
		KeyId:      b.KeyId,
		PlainText:  strings.ToUpper(hex.EncodeToString(plain)),
		CipherText: strings.ToUpper(hex.EncodeToString(env)),
	}}, nil
}

// symmetricOnly refuses asymmetric algorithms: the mock models symmetric keys only.
func symmetricOnly(alg *kms.EncryptionAlgorithm) error {
	if alg != nil && *alg != kms.EncryptionAlgorithmSymmetricDefault {
		return ErrKMSInvalidEncryptionAlg
	}
	return nil
}

// EncryptData encrypts up to 4096 bytes; the base64 ciphertext names its key.
func (a *kmsAPI) EncryptData(ctx context.Context, req kms.EncryptDataRequestObject) (kms.EncryptDataResponseObject, error) {
	b := req.Body
	err := symmetricOnly(b.EncryptionAlgorithm)
	var env []byte
	if err == nil {
		env, err = a.s.store.EncryptData(caller(ctx), b.KeyId, []byte(b.PlainText), aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.EncryptDataResponseObject](e.status, kms.EncryptData400JSONResponse(e.bad),
			kms.EncryptData403JSONResponse(e.forbidden), kms.EncryptData404JSONResponse(e.notFound),
			kms.EncryptData500JSONResponse(e.internal)), nil
	}
	return kms.EncryptData200JSONResponse{Body: kms.EncryptDataResponseBody{
		KeyId: b.KeyId, CipherText: base64.StdEncoding.EncodeToString(env),
	}}, nil
}

// DecryptData needs no key_id: the ciphertext carries it. A key_id that disagrees with it is an
// invalid ciphertext.
func (a *kmsAPI) DecryptData(ctx context.Context, req kms.DecryptDataRequestObject) (kms.DecryptDataResponseObject, error) {
	b := req.Body
	err := symmetricOnly(b.EncryptionAlgorithm)
	var (
		keyID string
		plain []byte
	)
	if err == nil {
		env, decErr := base64.StdEncoding.DecodeString(b.CipherText)
		switch {
		case decErr != nil:
			err = ErrInvalidCiphertext
		case b.KeyId != nil:
			if id, idErr := envelopeKeyID(env); idErr != nil || id != *b.KeyId {
				err = ErrInvalidCiphertext
			}
		}
		if err == nil {
			keyID, plain, err = a.s.store.DecryptData(caller(ctx), env, aad(b.AdditionalAuthenticatedData))
		}
	}
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[kms.DecryptDataResponseObject](e.status, kms.DecryptData400JSONResponse(e.bad),
			kms.DecryptData403JSONResponse(e.forbidden), kms.DecryptData404JSONResponse(e.notFound),
			kms.DecryptData500JSONResponse(e.internal)), nil
	}
	return kms.DecryptData200JSONResponse{Body: kms.DecryptDataResponseBody{
		KeyId: keyID, PlainText: string(plain), PlainTextBase64: ptr(base64.StdEncoding.EncodeToString(plain)),
	}}, nil
}
