package mock

import (
	"context"
	"slices"
	"strconv"

	"github.com/dewconform/dewconform/gen/csms"
)

// csmsAPI implements the generated CSMS strict server over the store.
type csmsAPI struct{ s *Server }

var _ csms.StrictServerInterface = (*csmsAPI)(nil)

// csmsRefusal is one refusal prebuilt for every status a CSMS handler can answer with (see pick).
type csmsRefusal struct {
	status int
	// Each field has the underlying type of the operations' own response types (e.g.
	// csms.CreateKey400JSONResponse is struct{ BadRequestJSONResponse }), so a conversion makes one.
	bad       struct{ csms.BadRequestJSONResponse }
	forbidden struct{ csms.ForbiddenJSONResponse }
	notFound  struct{ csms.NotFoundJSONResponse }
	internal  struct {
		csms.InternalServerErrorJSONResponse
	}
}

func (a *csmsAPI) refuse(ctx context.Context, err error) csmsRefusal {
	ri := infoFrom(ctx)
	ri.err = err
	p := a.s.errs.resolve(err, ErrCSMSInternal)
	if p.Status >= 500 {
		a.s.log.Error("csms handler error", "request_id", ri.id, "error", err.Error())
	}
	body := csms.Error{ErrorCode: p.Code, ErrorMsg: p.Msg}
	if p.shape() == shapeGateway {
		body.RequestId = ptr(ri.id)
	}
	return csmsRefusal{
		status:    p.Status,
		bad:       struct{ csms.BadRequestJSONResponse }{csms.BadRequestJSONResponse{Body: body}},
		forbidden: struct{ csms.ForbiddenJSONResponse }{csms.ForbiddenJSONResponse{Body: body}},
		notFound:  struct{ csms.NotFoundJSONResponse }{csms.NotFoundJSONResponse{Body: body}},
		internal: struct {
			csms.InternalServerErrorJSONResponse
		}{csms.InternalServerErrorJSONResponse{Body: body}},
	}
}

func secretBody(s Secret) csms.Secret {
	out := csms.Secret{
		Id: s.ID, Name: s.Name, State: csms.SecretState(s.State), KmsKeyId: s.KMSKeyID,
		CreateTime: csmsTime(s.Created), UpdateTime: csmsTime(s.Updated),
		SecretType: ptr(csms.SecretType(s.SecretType)), AutoRotation: ptr(s.AutoRotation),
		EnterpriseProjectId: ptr(s.EnterpriseProjectID),
	}
	// scheduled_delete_time is null, not absent, when the secret is not pending deletion.
	if s.ScheduledDelete.IsZero() {
		out.ScheduledDeleteTime.SetNull()
	} else {
		out.ScheduledDeleteTime.Set(csmsTime(s.ScheduledDelete))
	}
	if s.Description != "" {
		out.Description = ptr(s.Description)
	}
	if s.RotationPeriod != "" {
		out.RotationPeriod = ptr(s.RotationPeriod)
	}
	if s.RotationConfig != "" {
		out.RotationConfig = ptr(s.RotationConfig)
	}
	if s.RotationFuncURN != "" {
		out.RotationFuncUrn = ptr(s.RotationFuncURN)
	}
	if s.EventSubscriptions != nil {
		out.EventSubscriptions = ptr(slices.Clone(s.EventSubscriptions))
	}
	return out
}

// defaultSecretPage is ListSecrets' documented default limit.
const defaultSecretPage = 50

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
		e := a.refuse(ctx, err)
		return pick[csms.ListSecretsResponseObject](e.status, csms.ListSecrets400JSONResponse(e.bad),
			csms.ListSecrets403JSONResponse(e.forbidden), csms.ListSecrets404JSONResponse(e.notFound),
			csms.ListSecrets500JSONResponse(e.internal)), nil
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
		e := a.refuse(ctx, err)
		return pick[csms.CreateSecretResponseObject](e.status, csms.CreateSecret400JSONResponse(e.bad),
			csms.CreateSecret403JSONResponse(e.forbidden), csms.CreateSecret404JSONResponse(e.notFound),
			csms.CreateSecret500JSONResponse(e.internal)), nil
	}
	return csms.CreateSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

func deref[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// DeleteSecret deletes at once: 200 with an empty body.
func (a *csmsAPI) DeleteSecret(ctx context.Context, req csms.DeleteSecretRequestObject) (csms.DeleteSecretResponseObject, error) {
	if err := a.s.store.DeleteSecret(caller(ctx), req.SecretName); err != nil {
		e := a.refuse(ctx, err)
		return pick[csms.DeleteSecretResponseObject](e.status, csms.DeleteSecret400JSONResponse(e.bad),
			csms.DeleteSecret403JSONResponse(e.forbidden), csms.DeleteSecret404JSONResponse(e.notFound),
			csms.DeleteSecret500JSONResponse(e.internal)), nil
	}
	return csms.DeleteSecret200Response{}, nil
}

// ShowSecret shows a secret in any state.
func (a *csmsAPI) ShowSecret(ctx context.Context, req csms.ShowSecretRequestObject) (csms.ShowSecretResponseObject, error) {
	s, err := a.s.store.ShowSecret(caller(ctx), req.SecretName)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[csms.ShowSecretResponseObject](e.status, csms.ShowSecret400JSONResponse(e.bad),
			csms.ShowSecret403JSONResponse(e.forbidden), csms.ShowSecret404JSONResponse(e.notFound),
			csms.ShowSecret500JSONResponse(e.internal)), nil
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
		e := a.refuse(ctx, err)
		return pick[csms.UpdateSecretResponseObject](e.status, csms.UpdateSecret400JSONResponse(e.bad),
			csms.UpdateSecret403JSONResponse(e.forbidden), csms.UpdateSecret404JSONResponse(e.notFound),
			csms.UpdateSecret500JSONResponse(e.internal)), nil
	}
	return csms.UpdateSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// RestoreSecret cancels a scheduled deletion: the secret comes back with scheduled_delete_time null.
func (a *csmsAPI) RestoreSecret(ctx context.Context, req csms.RestoreSecretRequestObject) (csms.RestoreSecretResponseObject, error) {
	s, err := a.s.store.RestoreSecret(caller(ctx), req.SecretName)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[csms.RestoreSecretResponseObject](e.status, csms.RestoreSecret400JSONResponse(e.bad),
			csms.RestoreSecret403JSONResponse(e.forbidden), csms.RestoreSecret404JSONResponse(e.notFound),
			csms.RestoreSecret500JSONResponse(e.internal)), nil
	}
	return csms.RestoreSecret200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// DeleteSecretForSchedule schedules the deletion recovery_window_in_days ahead.
func (a *csmsAPI) DeleteSecretForSchedule(ctx context.Context, req csms.DeleteSecretForScheduleRequestObject) (csms.DeleteSecretForScheduleResponseObject, error) {
	s, err := a.s.store.ScheduleSecretDeletion(caller(ctx), req.SecretName, int(req.Body.RecoveryWindowInDays))
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[csms.DeleteSecretForScheduleResponseObject](e.status, csms.DeleteSecretForSchedule400JSONResponse(e.bad),
			csms.DeleteSecretForSchedule403JSONResponse(e.forbidden), csms.DeleteSecretForSchedule404JSONResponse(e.notFound),
			csms.DeleteSecretForSchedule500JSONResponse(e.internal)), nil
	}
	return csms.DeleteSecretForSchedule200JSONResponse{Body: csms.SecretResponseBody{Secret: secretBody(s)}}, nil
}

// ShowSecretVersion returns a version's value ("latest" is the newest); ENABLED secrets only.
func (a *csmsAPI) ShowSecretVersion(ctx context.Context, req csms.ShowSecretVersionRequestObject) (csms.ShowSecretVersionResponseObject, error) {
	v, err := a.s.store.ShowSecretVersion(caller(ctx), req.SecretName, req.VersionId)
	if err != nil {
		e := a.refuse(ctx, err)
		return pick[csms.ShowSecretVersionResponseObject](e.status, csms.ShowSecretVersion400JSONResponse(e.bad),
			csms.ShowSecretVersion403JSONResponse(e.forbidden), csms.ShowSecretVersion404JSONResponse(e.notFound),
			csms.ShowSecretVersion500JSONResponse(e.internal)), nil
	}
	return csms.ShowSecretVersion200JSONResponse{Body: csms.ShowSecretVersionResponseBody{Version: csms.Version{
		SecretString: v.String, SecretBinary: v.Binary,
		VersionMetadata: csms.VersionMetadata{
			Id: v.ID, SecretName: v.SecretName, CreateTime: ptr(csmsTime(v.Created)), KmsKeyId: ptr(v.KMSKeyID),
			VersionStages: ptr(slices.Clone(v.Stages)),
		},
	}}}, nil
}
