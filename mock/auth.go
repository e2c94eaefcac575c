package mock

import (
	"net/http"
	"time"

	"github.com/dewconform/dewconform/aksk"
	"github.com/dewconform/dewconform/identity"
)

// authenticate finds the caller: an X-Auth-Token of a known identity, or a valid SDK-HMAC-SHA256
// signature by a known AK. Signatures are checked against the wall clock, never the mock's Clock: a
// client signs with its real time, and advancing a key's clock must not break authentication.
func (s *Server) authenticate(r *http.Request, body []byte) (Caller, error) {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		id, ok := s.identities.ByToken(tok)
		if !ok {
			return Caller{}, withDetail(ErrUnauthenticated, "decrypt token fail")
		}
		return callerOf(id), nil
	}
	if !aksk.Present(r) {
		return Caller{}, withDetail(ErrUnauthenticated, "x-auth-token not found")
	}
	ak, err := aksk.Verify(r, body, s.identities.SecretKey, time.Now())
	if err != nil {
		return Caller{}, withDetail(ErrUnauthenticated, "%s", aksk.Detail(err))
	}
	id, ok := s.identities.ByAK(ak)
	if !ok { // cannot happen: Verify succeeded with this AK's SK
		return Caller{}, withDetail(ErrUnauthenticated, "verify aksk signature fail")
	}
	return callerOf(id), nil
}

func callerOf(id identity.Identity) Caller {
	return Caller{Name: id.Name, ProjectID: id.ProjectID, UserID: id.UserID, Full: id.Rights.Full()}
}
