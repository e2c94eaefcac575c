package mock

import (
	"context"

	"github.com/dewconform/dewconform/gen/kms"
)

// UserQuotas is what user-quotas reports of a project: the key quota and its use (keys pending deletion
// count, the system's default keys do not, as for the KMS.1105 refusal), and the grants one key may have
// with the most any key of the project has.
type UserQuotas struct {
	Keys, KeysUsed     int
	Grants, GrantsUsed int
}

// UserQuotas reads c's project's quotas; like list-keys, it is for the project's administrators.
func (s *store) UserQuotas(c Caller) (UserQuotas, error) {
	if !c.Full {
		return UserQuotas{}, ErrKeyAccessDenied
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := UserQuotas{Keys: s.limits.KeysPerProject, Grants: s.limits.GrantsPerKey}
	for _, k := range s.liveKeys(c.ProjectID) {
		if !k.Default {
			q.KeysUsed++
		}
		q.GrantsUsed = max(q.GrantsUsed, len(k.grants))
	}
	return q, nil
}

// ShowUserQuotas is user-quotas: {"quotas": {"resources": [{type, quota, used}, ...]}}.
func (a *kmsAPI) ShowUserQuotas(ctx context.Context, _ kms.ShowUserQuotasRequestObject) (kms.ShowUserQuotasResponseObject, error) {
	q, err := a.s.store.UserQuotas(caller(ctx))
	if err != nil {
		return nil, err
	}
	resource := func(t kms.QuotaResourceType, quota, used int) kms.QuotaResource {
		return kms.QuotaResource{Type: ptr(t), Quota: ptr(int32(min(quota, 1<<31-1))), Used: ptr(int32(min(used, 1<<31-1)))}
	}
	return kms.ShowUserQuotas200JSONResponse{Body: kms.UserQuotasResponseBody{Quotas: &kms.Quotas{Resources: &[]kms.QuotaResource{
		resource(kms.QuotaResourceTypeCMK, q.Keys, q.KeysUsed),
		resource(kms.QuotaResourceTypeGrantPerCMK, q.Grants, q.GrantsUsed),
	}}}}, nil
}
