// Package aksk signs and verifies Huawei Cloud AK/SK requests
// (SDK-HMAC-SHA256), byte for byte as the official Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer) does.
//
// Sign is the client side: the conformance harness uses it to sign its
// requests. Verify is the server side: the mock uses it to authenticate
// them, the way API Gateway does in front of KMS and CSMS.
//
// Both sides build the canonical request with the same helpers, so a request
// signed by Sign always verifies (given the same body, clock and keys).
package aksk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

const (
	// Algorithm is the only signing algorithm supported; it prefixes the
	// Authorization header value.
	Algorithm = "SDK-HMAC-SHA256"
	// DateFormat is the Go layout of the X-Sdk-Date header (UTC, basic ISO 8601).
	DateFormat = "20060102T150405Z"
	// MaxSkew is how far X-Sdk-Date may be from the verifier's clock, in
	// either direction, as API Gateway allows.
	MaxSkew = 15 * time.Minute

	// HeaderDate carries the signing time.
	HeaderDate = "X-Sdk-Date"
	// HeaderContentSha256 overrides the payload hash when present; the SDK
	// sets it to UNSIGNED-PAYLOAD for non-JSON, non-BSON content types.
	HeaderContentSha256 = "X-Sdk-Content-Sha256"
	// UnsignedPayload is the X-Sdk-Content-Sha256 value that leaves the body
	// out of the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"

	headerAuthorization = "Authorization"
	// maxAuthorizationLen bounds the work an attacker can cause through a
	// huge SignedHeaders list; real values are about 150 bytes.
	maxAuthorizationLen = 4096
)

// authRe is the strict form of the Authorization value (dew-api-notes §8.3).
// Signed header names are lower-case HTTP token characters except '_',
// because the SDK never signs a name containing '_'; this is a superset of
// [a-z0-9-] so that every header Sign signs can be verified.
var authRe = regexp.MustCompile("^" + Algorithm + ` Access=([^,\s]+), SignedHeaders=(` +
	headerName + `(?:;` + headerName + `)*), Signature=([0-9a-f]{64})$`)

// headerName is a lower-case HTTP token without '_'.
const headerName = "[a-z0-9!#$%&'*+.^`|~-]+"

// Error is the type of every error Verify returns. The sentinels below are
// its only values; Verify may wrap them with context (never with the AK, SK
// or signature), so test with errors.Is and read the gateway text with
// errors.As or the Detail function.
type Error struct {
	msg    string
	detail string
}

func (e *Error) Error() string { return e.msg }

// Detail is the text API Gateway puts after "Incorrect IAM authentication
// information: " in its 401 APIGW.0301 error_msg for this failure.
func (e *Error) Detail() string { return e.detail }

// detailBadSignature is the gateway's catch-all AK/SK detail; it also covers
// malformed headers and date skew (the gateway's FAQ tells users to check
// X-Sdk-Date when they see it).
const detailBadSignature = "verify aksk signature fail"

var (
	// ErrMissing: no Authorization header at all. The gateway then reports
	// the missing token, since a request must carry one of the two.
	ErrMissing = &Error{"aksk: no authorization header", "x-auth-token not found"}
	// ErrMalformed: the Authorization header is not a well-formed
	// SDK-HMAC-SHA256 value, or the request cannot be canonicalized.
	ErrMalformed = &Error{"aksk: malformed authorization", detailBadSignature}
	// ErrBadDate: X-Sdk-Date is missing, unparseable, repeated, or not
	// listed in SignedHeaders.
	ErrBadDate = &Error{"aksk: missing, invalid or unsigned x-sdk-date", detailBadSignature}
	// ErrDateSkew: X-Sdk-Date is more than MaxSkew away from the server clock.
	ErrDateSkew = &Error{"aksk: x-sdk-date outside allowed skew", detailBadSignature}
	// ErrUnknownAK: the access key is not known. The gateway masks the AK.
	ErrUnknownAK = &Error{"aksk: unknown access key", "Get secretKey failed,ak:******,err:ak not exist"}
	// ErrBadSignature: the signature does not match the request.
	ErrBadSignature = &Error{"aksk: signature mismatch", detailBadSignature}
)

// Detail returns the APIGW.0301 detail text for err: the Detail of the
// *Error it wraps, or the gateway's generic signature failure otherwise.
func Detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.detail
	}
	return detailBadSignature
}

// Present reports whether r carries an SDK-HMAC-SHA256 Authorization header,
// so a server can choose between AK/SK and token authentication.
func Present(r *http.Request) bool {
	if r == nil {
		return false
	}
	return strings.HasPrefix(r.Header.Get(headerAuthorization), Algorithm+" ")
}

// Sign sets X-Sdk-Date and Authorization on r, as the official SDK signer
// does. body must be the exact bytes that will be sent; Sign does not read
// or set r.Body.
//
// Like the SDK it keeps an existing X-Sdk-Date that parses (and otherwise
// uses now), adds "X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD" when Content-Type
// is set and is neither JSON nor BSON, and signs every header except
// Content-Type* and names containing '_'. An existing Authorization header is
// replaced, never signed.
func Sign(r *http.Request, body []byte, ak, sk string, now time.Time) error {
	if ak == "" {
		return errors.New("aksk: ak is required")
	}
	if sk == "" {
		return errors.New("aksk: sk is required")
	}
	if r == nil || r.URL == nil {
		return errors.New("aksk: request has no url")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Del(headerAuthorization)

	if ct, ok := r.Header[http.CanonicalHeaderKey("Content-Type")]; ok && len(ct) > 0 &&
		!strings.Contains(ct[0], "application/json") && !strings.Contains(ct[0], "application/bson") {
		r.Header.Set(HeaderContentSha256, UnsignedPayload)
	}

	t, err := time.Parse(DateFormat, r.Header.Get(HeaderDate))
	if err != nil {
		t = now
	}
	date := t.UTC().Format(DateFormat)
	r.Header.Set(HeaderDate, date)

	signed := signedHeaderNames(r.Header)
	sig, err := signature(r, body, signed, date, sk)
	if err != nil {
		return err
	}
	r.Header.Set(headerAuthorization, fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		Algorithm, ak, strings.Join(signed, ";"), sig))
	return nil
}

// Verify authenticates r, signed with SDK-HMAC-SHA256, following
// dew-api-notes §8.3. body is the raw request body (Verify does not read
// r.Body); lookup returns the secret key of an access key; now is the
// server clock.
//
// On success it returns the access key. On failure err is one of the
// sentinel errors, possibly wrapped; ak is then the claimed, unauthenticated
// access key when the header could be parsed (so callers can count failures
// per key), and must not be trusted.
func Verify(r *http.Request, body []byte, lookup func(ak string) (sk string, ok bool), now time.Time) (ak string, err error) {
	if r == nil || r.URL == nil || lookup == nil {
		return "", ErrMalformed
	}
	auths := r.Header.Values(headerAuthorization)
	if len(auths) == 0 {
		return "", ErrMissing
	}
	if len(auths) > 1 || len(auths[0]) > maxAuthorizationLen {
		return "", ErrMalformed
	}
	m := authRe.FindStringSubmatch(auths[0])
	if m == nil {
		return "", ErrMalformed
	}
	ak, signed, got := m[1], strings.Split(m[2], ";"), m[3]
	if slices.Contains(signed, "authorization") {
		return ak, fmt.Errorf("%w: authorization header is signed", ErrMalformed)
	}

	if !slices.Contains(signed, "x-sdk-date") {
		return ak, fmt.Errorf("%w: x-sdk-date is not a signed header", ErrBadDate)
	}
	dates := r.Header.Values(HeaderDate)
	if len(dates) != 1 {
		return ak, ErrBadDate
	}
	t, err := time.Parse(DateFormat, dates[0])
	if err != nil {
		return ak, ErrBadDate
	}
	if skew := now.Sub(t); skew > MaxSkew || skew < -MaxSkew {
		return ak, fmt.Errorf("%w: off by %s", ErrDateSkew, skew.Round(time.Second))
	}

	sk, ok := lookup(ak)
	if !ok || sk == "" {
		return ak, ErrUnknownAK
	}

	// A payload hash other than UNSIGNED-PAYLOAD must be the body's, or a
	// signed hash header would let the body be swapped undetected.
	if slices.Contains(signed, "x-sdk-content-sha256") {
		hs := r.Header.Values(HeaderContentSha256)
		if len(hs) > 1 {
			return ak, fmt.Errorf("%w: repeated x-sdk-content-sha256", ErrMalformed)
		}
		if len(hs) == 1 && hs[0] != UnsignedPayload && hs[0] != hashHex(body) {
			return ak, fmt.Errorf("%w: x-sdk-content-sha256 does not match the body", ErrBadSignature)
		}
	}

	want, err := signature(r, body, signed, t.UTC().Format(DateFormat), sk)
	if err != nil {
		return ak, fmt.Errorf("%w: cannot canonicalize request", ErrMalformed)
	}
	if !hmac.Equal([]byte(want), []byte(got)) {
		return ak, ErrBadSignature
	}
	return ak, nil
}

// signature computes the hex signature of r for the given signed header
// names (lower-case, in SignedHeaders order) and X-Sdk-Date value.
func signature(r *http.Request, body []byte, signed []string, date, sk string) (string, error) {
	cr, err := canonicalRequest(r, body, signed)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte(stringToSign(cr, date)))
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// stringToSign is algorithm, date and the hex SHA-256 of the canonical
// request, one per line.
func stringToSign(canonical, date string) string {
	return Algorithm + "\n" + date + "\n" + hashHex([]byte(canonical))
}

// canonicalRequest joins method, URI, query, headers (which end in their own
// newline), the signed header list and the payload hash with newlines.
func canonicalRequest(r *http.Request, body []byte, signed []string) (string, error) {
	query, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet // net/http's meaning of an empty client method
	}
	return strings.Join([]string{
		method,
		canonicalURI(r.URL.Path),
		query,
		canonicalHeaders(r, signed),
		strings.Join(signed, ";"),
		payloadHash(r.Header, body, signed),
	}, "\n"), nil
}

// canonicalURI escapes each segment of the decoded path and ends it with '/'.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return uri
}

// canonicalQuery sorts keys, then each key's values, and escapes both.
// Decoding first makes '+' and "%20" equivalent, as they are on the wire.
func canonicalQuery(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "", fmt.Errorf("aksk: invalid query: %w", err)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escape(k))
			b.WriteByte('=')
			b.WriteString(escape(v))
		}
	}
	return b.String(), nil
}

// canonicalHeaders emits "name:value" for every value of every signed header
// (values trimmed, then sorted), one per line, with a trailing newline. A
// signed header absent from the request contributes no line, as in the SDK.
// The SDK sorts before trimming, but it has one value per header, so the
// order only matters for repeated headers; trimming first gives the same
// order on both sides of the wire, where outer whitespace is dropped.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		vs := headerValues(r, name)
		for i, v := range vs {
			vs[i] = strings.TrimSpace(v)
		}
		slices.Sort(vs)
		for _, v := range vs {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		return "\n" // the SDK's strings.Join(nothing) + "\n"
	}
	return b.String()
}

// headerValues returns a copy of the values of the named header. Go keeps
// Host out of r.Header, so "host" is taken from r.Host (server side) or the
// URL (client side), which is what goes on the wire.
func headerValues(r *http.Request, name string) []string {
	if name == "host" {
		h := r.Host
		if h == "" {
			h = r.URL.Host
		}
		return []string{h}
	}
	// Match keys case-insensitively: a client may have set a non-canonical
	// key directly, and it is sent (and signed) all the same.
	var vs []string
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			vs = append(vs, v...)
		}
	}
	return vs
}

// payloadHash is the X-Sdk-Content-Sha256 value when that header is signed,
// else the hex SHA-256 of the body.
func payloadHash(h http.Header, body []byte, signed []string) string {
	if slices.Contains(signed, "x-sdk-content-sha256") {
		if vs := h.Values(HeaderContentSha256); len(vs) > 0 {
			return vs[0]
		}
	}
	return hashHex(body)
}

// signedHeaderNames lists, lower-cased and sorted, the headers the SDK signs:
// all but Content-Type* and names containing '_'.
func signedHeaderNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k, vs := range h {
		lk := strings.ToLower(k)
		// A key with no values is never sent, so it cannot be signed.
		if len(vs) == 0 || strings.HasPrefix(lk, "content-type") || strings.Contains(k, "_") ||
			lk == "authorization" {
			continue
		}
		names = append(names, lk)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// escape percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ with
// upper-case hex, as the SDK does (so a space is %20, never '+').
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if shouldEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	t := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if shouldEscape(c) {
			t = append(t, '%', hexDigits[c>>4], hexDigits[c&15])
		} else {
			t = append(t, c)
		}
	}
	return string(t)
}

func shouldEscape(c byte) bool {
	return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~')
}
