package mock

import (
	"context"
	"net/http"
	"strconv"

	"github.com/dewconform/dewconform/gen/kms"
)

// kmsAPI implements the generated KMS strict server over the store. Request shapes have already been
// validated against the spec; what is left here is what a schema cannot say (numbers inside strings,
// byte lengths) and the mapping between domain and wire types. The handlers are in kms_*.go, by family.
type kmsAPI struct{ s *Server }

var _ kms.StrictServerInterface = (*kmsAPI)(nil)

// refuseKMS is the KMS strict server's ResponseErrorHandlerFunc, and the one way a KMS handler refuses:
// it returns its error (a Reason, possibly wrapped) and this writes it through the error table, as the
// operation's documented error response would (see writeRefusal). An error that is not a Reason is a
// bug: the 500 envelope.
func (s *Server) refuseKMS(w http.ResponseWriter, r *http.Request, err error) {
	ri, p, ok := s.refusal(r, err, ErrKMSInternal, "kms handler error")
	if !ok {
		return
	}
	var body kms.ErrorBody
	if p.shape() == shapeKMS {
		_ = body.FromError(kms.Error{Error: kms.ErrorDetail{ErrorCode: p.Code, ErrorMsg: p.Msg}})
	} else {
		_ = body.FromGatewayError(kms.GatewayError{ErrorCode: p.Code, ErrorMsg: p.Msg, RequestId: ri.id})
	}
	writeRefusal(w, p.Status, body)
}

func ptr[T any](v T) *T { return &v }

func caller(ctx context.Context) Caller { return infoFrom(ctx).caller }

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
