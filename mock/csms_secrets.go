package mock

import (
	"context"
	"slices"
	"strconv"

	"github.com/dewconform/dewconform/gen/csms"
)

// ListSecrets pages by name: the marker is the last name of the previous page.
func (a *csmsAPI) ListSecrets(ctx context.Context, req csms.ListSecretsRequestObject) (csms.ListSecretsResponseObject, error) {
	p := req.Params
	size := defaultSecretPage
	var err error
	if p.Limit != nil {
		// The spec's pattern allows 0..9999; 1..1000 (the documented maximum of a page's array) is the
		// range the mock accepts (UNCONFIRMED).
		if size, err = strconv.Atoi(*p.Limit); err != nil || size < 1 || size > maxPage {
			err = withDetail(ErrCSMSInvalidParam, "limit %q", *p.Limit)
		}
	}
	var secrets []Secret
	if err == nil {
		secrets, err = a.s.store.ListSecrets(caller(ctx))
	}
	if err != nil {
		return nil, err
	}
	var matched []Secret
	for _, s := range secrets {
		if p.Marker != nil && s.Name <= *p.Marker {
			continue
		}
		if p.EventName != nil && !slices.Contains(s.EventSubscriptions, *p.EventName) {
			continue
		}
		matched = append(matched, s)
	}
	body := csms.ListSecretsResponseBody{Secrets: []csms.Secret{}}
	for _, s := range matched[:min(size, len(matched))] {
		body.Secrets = append(body.Secrets, secretBody(s))
	}
	body.PageInfo.CurrentCount = ptr(int32(len(body.Secrets)))
	if n := len(body.Secrets); n > 0 {
		body.PageInfo.PreviousMarker = ptr(body.Secrets[0].Name)
		if len(matched) > n {
			body.PageInfo.NextMarker = ptr(body.Secrets[n-1].Name)
		}
	}
	return csms.ListSecrets200JSONResponse{Body: body}, nil
}

// CreateSecret creates an ENABLED secret with version v1.
func (a *csmsAPI) CreateSecret(ctx context.Context, req csms.CreateSecretRequestObject) (csms.CreateSecretResponseObject, error) {
	b := req.Body
	in := SecretInput{Name: b.Name, String: b.SecretString, Binary: b.SecretBinary}
	deref(&in.KMSKeyID, b.KmsKeyId)
	deref(&in.Description, b.Description)
	deref(&in.RotationPeriod, b.RotationPeriod)
	deref(&in.RotationConfig, b.RotationConfig)
	deref(&in.RotationFuncURN, b.RotationFuncUrn)
	deref(&in.EnterpriseProjectID, b.EnterpriseProjectId)
	deref(&in.AutoRotation, b.AutoRotation)
	if b.SecretType != nil {
		in.SecretType = string(*b.SecretType)
	}
	if b.EventSubscriptions != nil {
		in.EventSubscriptions = *b.EventSubscriptions
	}
	s, err := a.s.store.CreateSecret(caller(ctx), in)
	if err != nil {
		return nil, err
	}
	return csms.CreateSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// ShowSecret shows a secret in any state.
func (a *csmsAPI) ShowSecret(ctx context.Context, req csms.ShowSecretRequestObject) (csms.ShowSecretResponseObject, error) {
	s, err := a.s.store.ShowSecret(caller(ctx), req.SecretName)
	if err != nil {
		return nil, err
	}
	return csms.ShowSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// UpdateSecret changes metadata; refused while PENDING_DELETE.
func (a *csmsAPI) UpdateSecret(ctx context.Context, req csms.UpdateSecretRequestObject) (csms.UpdateSecretResponseObject, error) {
	b := req.Body
	s, err := a.s.store.UpdateSecret(caller(ctx), req.SecretName, SecretUpdate{
		KMSKeyID: b.KmsKeyId, Description: b.Description, AutoRotation: b.AutoRotation,
		RotationPeriod: b.RotationPeriod, RotationFuncURN: b.RotationFuncUrn, EventSubscriptions: b.EventSubscriptions,
	})
	if err != nil {
		return nil, err
	}
	return csms.UpdateSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// DeleteSecret deletes at once: 200 with an empty body.
func (a *csmsAPI) DeleteSecret(ctx context.Context, req csms.DeleteSecretRequestObject) (csms.DeleteSecretResponseObject, error) {
	if err := a.s.store.DeleteSecret(caller(ctx), req.SecretName); err != nil {
		return nil, err
	}
	return csms.DeleteSecret200Response{}, nil
}

// DeleteSecretForSchedule schedules the deletion recovery_window_in_days ahead.
func (a *csmsAPI) DeleteSecretForSchedule(ctx context.Context, req csms.DeleteSecretForScheduleRequestObject) (csms.DeleteSecretForScheduleResponseObject, error) {
	s, err := a.s.store.ScheduleSecretDeletion(caller(ctx), req.SecretName, int(req.Body.RecoveryWindowInDays))
	if err != nil {
		return nil, err
	}
	return csms.DeleteSecretForSchedule200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// RestoreSecret cancels a scheduled deletion: the secret comes back with scheduled_delete_time null.
func (a *csmsAPI) RestoreSecret(ctx context.Context, req csms.RestoreSecretRequestObject) (csms.RestoreSecretResponseObject, error) {
	s, err := a.s.store.RestoreSecret(caller(ctx), req.SecretName)
	if err != nil {
		return nil, err
	}
	return csms.RestoreSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// defaultSecretPage is ListSecrets' documented default limit.
const defaultSecretPage = 50
