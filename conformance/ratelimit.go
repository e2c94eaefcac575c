package conformance

import (
	"net/http"
	"sync"
	"time"
)

// rateLimiter is an http.RoundTripper that lets at most rps requests per second through (a token bucket
// with a burst of one second's worth), so that a real target's throttling is not provoked by the suite.
type rateLimiter struct {
	next  http.RoundTripper
	every time.Duration // one token per interval
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newRateLimiter(next http.RoundTripper, rps float64) *rateLimiter {
	burst := rps
	if burst < 1 {
		burst = 1
	}
	return &rateLimiter{next: next, every: time.Duration(float64(time.Second) / rps), burst: burst, tokens: burst}
}

// reserve takes one token and says how long to wait for it.
func (l *rateLimiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens += float64(now.Sub(l.last)) / float64(l.every)
		if l.tokens > l.burst {
			l.tokens = l.burst
		}
	}
	l.last = now
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens * float64(l.every))
}

func (l *rateLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if wait := l.reserve(time.Now()); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		}
	}
	return l.next.RoundTrip(req)
}
