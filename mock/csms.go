package mock

import (
	"net/http"
	"slices"

	"github.com/dewconform/dewconform/gen/csms"
)

// csmsAPI implements the generated CSMS strict server over the store; the handlers are in csms_*.go.
type csmsAPI struct{ s *Server }

var _ csms.StrictServerInterface = (*csmsAPI)(nil)

// refuseCSMS is the CSMS strict server's ResponseErrorHandlerFunc: the CSMS twin of refuseKMS.
func (s *Server) refuseCSMS(w http.ResponseWriter, r *http.Request, err error) {
	ri, p, ok := s.refusal(r, err, ErrCSMSInternal, "csms handler error")
	if !ok {
		return
	}
	body := csms.Error{ErrorCode: p.Code, ErrorMsg: p.Msg}
	if p.shape() == shapeGateway {
		body.RequestId = ptr(ri.id)
	}
	writeRefusal(w, p.Status, body)
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

func deref[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
