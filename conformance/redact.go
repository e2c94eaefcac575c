package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/dewconform/dewconform/steps"
)

const redacted = "REDACTED"

// minSecretLen keeps the second line of defence from mangling reports with very short values: an
// identity's token or SK shorter than this is still caught by the header and field rules.
const minSecretLen = 6

var (
	signatureRe = regexp.MustCompile(`Signature=[0-9a-fA-F]+`)
	// A token's value ends at '&' and '\' too: in the JUnit XML a line break is "&#xA;" and in JSON "\n";
	// without that, the value would swallow the rest of the report up to the next space.
	tokenHdrRe = regexp.MustCompile(`(?i)("?X-(?:Auth|Subject|Security)-Token"?\s*[:=]\s*\[?\s*"?)[^"\s\],&\\]+`)
)

// redactor is the second line of defence over everything the runner writes: the steps already redact
// their exchanges; this replaces every configured token and SK, signatures, token headers and secret
// fields (openapi.SecretFieldNames) once more.
type redactor struct {
	secrets []string
}

func newRedactor(secrets []string) *redactor {
	var keep []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			keep = append(keep, s)
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.Slice(keep, func(i, j int) bool { return len(keep[i]) > len(keep[j]) })
	return &redactor{secrets: keep}
}

func (r *redactor) String(s string) string {
	for _, v := range r.secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	s = signatureRe.ReplaceAllString(s, "Signature="+redacted)
	s = tokenHdrRe.ReplaceAllString(s, "${1}"+redacted)
	// The secret fields the spec marks: the steps' implementation, so that one list rules both.
	return steps.RedactSecretFields(s)
}

func (r *redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// cucumber redacts a cucumber JSON report, including the base64 embeddings (attachments) that a plain
// text replacement would miss.
func (r *redactor) cucumber(data []byte) []byte {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return r.Bytes(data)
	}
	r.walk(doc)
	out, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		return r.Bytes(data)
	}
	return r.Bytes(out)
}

func (r *redactor) walk(v any) {
	switch t := v.(type) {
	case map[string]any:
		if d, ok := t["data"].(string); ok {
			if raw, err := base64.StdEncoding.DecodeString(d); err == nil {
				t["data"] = base64.StdEncoding.EncodeToString(r.Bytes(raw))
			}
		}
		for _, c := range t {
			r.walk(c)
		}
	case []any:
		for _, c := range t {
			r.walk(c)
		}
	}
}

// redactingWriter redacts whole lines before they reach w, so a secret is never split across writes.
type redactingWriter struct {
	mu  sync.Mutex
	w   io.Writer
	r   *redactor
	buf []byte
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf = append(rw.buf, p...)
	if i := bytes.LastIndexByte(rw.buf, '\n'); i >= 0 {
		if _, err := rw.w.Write(rw.r.Bytes(rw.buf[:i+1])); err != nil {
			return 0, err
		}
		rw.buf = append(rw.buf[:0], rw.buf[i+1:]...)
	}
	return len(p), nil
}

// Flush writes what is left after the last newline.
func (rw *redactingWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.r.Bytes(rw.buf))
	rw.buf = rw.buf[:0]
	return err
}
