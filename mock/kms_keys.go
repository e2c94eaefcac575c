package mock

import (
	"context"
	"strconv"

	"github.com/dewconform/dewconform/gen/kms"
)

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
		return nil, err
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
		return nil, err
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
		return nil, err
	}
	return kms.ListKeyDetail200JSONResponse{Body: kms.DescribeKeyResponseBody{KeyInfo: keyDetails(k)}}, nil
}

// EnableKey answers the wrapped {key_info:{key_id,key_state}}.
func (a *kmsAPI) EnableKey(ctx context.Context, req kms.EnableKeyRequestObject) (kms.EnableKeyResponseObject, error) {
	k, err := a.s.store.EnableKey(caller(ctx), req.Body.KeyId)
	if err != nil {
		return nil, err
	}
	return kms.EnableKey200JSONResponse{Body: kms.KeyStatusResponseBody{KeyInfo: statusInfo(k)}}, nil
}

// DisableKey answers the wrapped {key_info:{key_id,key_state}}.
func (a *kmsAPI) DisableKey(ctx context.Context, req kms.DisableKeyRequestObject) (kms.DisableKeyResponseObject, error) {
	k, err := a.s.store.DisableKey(caller(ctx), req.Body.KeyId)
	if err != nil {
		return nil, err
	}
	return kms.DisableKey200JSONResponse{Body: kms.KeyStatusResponseBody{KeyInfo: statusInfo(k)}}, nil
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
		return nil, err
	}
	return kms.DeleteKey200JSONResponse{Body: statusInfo(k)}, nil
}

// CancelKeyDeletion answers the flat {key_id,key_state:"3"}.
func (a *kmsAPI) CancelKeyDeletion(ctx context.Context, req kms.CancelKeyDeletionRequestObject) (kms.CancelKeyDeletionResponseObject, error) {
	k, err := a.s.store.CancelKeyDeletion(caller(ctx), req.Body.KeyId)
	if err != nil {
		return nil, err
	}
	return kms.CancelKeyDeletion200JSONResponse{Body: statusInfo(k)}, nil
}

func keyDetails(k Key) kms.KeyDetails {
	flag := kms.KeyDetailsDefaultKeyFlagRegular
	if k.Default {
		flag = kms.KeyDetailsDefaultKeyFlagDefault
	}
	// The optional fields point into one allocation instead of a dozen (describe-key and list-keys build
	// this on every call; it was the largest allocator of a describe-key).
	o := &struct {
		realm, description, deletion, keyType, expiration, project, keystore string
		spec                                                                 kms.DescribedKeySpec
		usage                                                                kms.DescribedKeyUsage
		origin                                                               kms.Origin
		flag                                                                 kms.KeyDetailsDefaultKeyFlag
		rotation                                                             kms.KeyDetailsKeyRotationEnabled
	}{
		realm: k.Realm, description: k.Description, deletion: kmsDate(k.DeletionDate), keyType: "1",
		project: k.EnterpriseProjectID, keystore: k.KeystoreID, spec: kms.DescribedKeySpec(k.Spec),
		usage: kms.DescribedKeyUsage(k.Usage), origin: kms.Origin(k.Origin), flag: flag,
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

func statusInfo(k Key) kms.KeyStatusInfo {
	return kms.KeyStatusInfo{KeyId: k.ID, KeyState: kms.KeyState(k.State)}
}
