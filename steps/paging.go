package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	csmsapi "github.com/dewconform/dewconform/gen/csms"
	kmsapi "github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/gen/ops"
)

// maxPages bounds every walk through a listing: a target that pages further (or loops with fresh
// markers) cannot hold a scenario forever.
const maxPages = 200

// maxTotal is the largest total a KMS listing reports (the definitions' maximum).
const maxTotal = 1000

// listing is how to page on from the answer of a listing call under test: the checks that look for a
// resource in "the response" walk from that page to the end, so that they find it on whichever page it
// falls, however many resources the project holds.
type listing struct {
	first *response // the answer this listing started with: steps use it only while it is the last answer
	slug  string
	limit int // the page size the call asked for; 0 when it sent none
	// next makes the check call for the page that marker starts, with the call under test's parameters.
	next func(ctx context.Context, marker string) (answer, error)
}

// listPage is one page of a listing, as the harness reads it.
type listPage struct {
	items     []map[string]any
	marker    string  // next_marker ("" when absent)
	truncated *string // KMS only
	total     *float64
}

// itemsKey names the array a listing's page holds its items in.
func itemsKey(slug string) string {
	switch slug {
	case ops.ListKeys:
		return "key_details"
	case ops.ListSecrets:
		return "secrets"
	case ops.ListSecretVersions:
		return "version_metadatas"
	}
	return "grants"
}

func parsePage(slug string, body []byte) (listPage, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return listPage{}, fmt.Errorf("%s: the page is not a JSON object: %s", slug, summarize(body))
	}
	var p listPage
	raw, ok := doc[itemsKey(slug)].([]any)
	if !ok {
		return p, fmt.Errorf("%s: the page has no %s array: %s", slug, itemsKey(slug), summarize(body))
	}
	for _, it := range raw {
		if m, ok := it.(map[string]any); ok {
			p.items = append(p.items, m)
		}
	}
	fields := doc
	if slug == ops.ListSecrets || slug == ops.ListSecretVersions {
		fields, _ = doc["page_info"].(map[string]any)
	}
	p.marker, _ = fields["next_marker"].(string)
	if t, ok := doc["truncated"].(string); ok {
		p.truncated = &t
	}
	if t, ok := doc["total"].(float64); ok {
		p.total = &t
	}
	return p, nil
}

// more says whether another page follows p, and checks the paging fields of a KMS page: truncated is
// "true" exactly when next_marker is non-empty. ListSecrets has no truncated field: the walk stops when
// next_marker is empty or absent, when the page is empty or shorter than the limit the call asked for
// (the service sets next_marker to the last name of every page), or when a marker repeats (see
// docs/csms.md). ListSecretVersions pages the same way, by version id.
func (l *listing) more(n int, p listPage, seen map[string]bool) (bool, error) {
	if l.slug == ops.ListSecrets || l.slug == ops.ListSecretVersions {
		short := len(p.items) == 0 || (l.limit > 0 && len(p.items) < l.limit)
		return p.marker != "" && !short && !seen[p.marker], nil
	}
	truncated := "(absent)"
	if p.truncated != nil {
		truncated = strconv.Quote(*p.truncated)
	}
	if (truncated == `"true"`) != (p.marker != "") {
		return false, fmt.Errorf("%s page %d: truncated is %s but next_marker is %q: the paging fields disagree", l.slug, n, truncated, p.marker)
	}
	if p.marker != "" && seen[p.marker] {
		return false, fmt.Errorf("%s page %d: next_marker %q came before: the listing loops", l.slug, n, p.marker)
	}
	return p.marker != "", nil
}

// walk visits the pages of the listing the call under test started, from its answer to the last page
// (or until visit says stop), with check calls by the same caller in the same project.
func (w *World) walk(ctx context.Context, visit func(p listPage) (stop bool)) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	l := w.listing
	if l == nil || l.first != r {
		return fmt.Errorf("the call under test (%s) is not a listing: a step such as 'alice lists the keys' must come first", r.op)
	}
	if r.status != http.StatusOK {
		return w.judge(r, fmt.Errorf("want the listing answered 200: %s", r.describe()))
	}
	body := r.body
	seen := map[string]bool{}
	for n := 1; ; n++ {
		p, err := parsePage(l.slug, body)
		if err != nil {
			return err
		}
		if visit(p) {
			return nil
		}
		more, err := l.more(n, p, seen)
		if err != nil || !more {
			return err
		}
		if n >= maxPages {
			return harness(Paging, fmt.Errorf("%s: the listing has more than %d pages, the most the harness walks", l.slug, maxPages))
		}
		seen[p.marker] = true
		a, err := l.next(ctx, p.marker)
		if err != nil {
			return err
		}
		if err := a.expect(fmt.Sprintf("%s page %d (marker %q)", l.slug, n+1, p.marker), http.StatusOK); err != nil {
			return err
		}
		body = a.body
	}
}

// inListing looks for the item whose member key equals want anywhere in the listing.
func (w *World) inListing(ctx context.Context, key, want string, equal func(a, b string) bool) (bool, error) {
	found := false
	err := w.walk(ctx, func(p listPage) bool {
		for _, it := range p.items {
			if equal(scalar(it[key]), want) {
				found = true
			}
		}
		return found
	})
	return found, err
}

func (w *World) keyInResponse(ctx context.Context) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	found, err := w.inListing(ctx, "key_id", w.key.id, strings.EqualFold)
	if err == nil && !found {
		err = fmt.Errorf("key %s is on no page of the listing that %s started", w.key.id, w.last.describe())
	}
	return w.judge(w.last, err)
}

// keyNotInResponse is the project-isolation check: no page of the listing may show another project's key.
func (w *World) keyNotInResponse(ctx context.Context) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	found, err := w.inListing(ctx, "key_id", w.key.id, strings.EqualFold)
	if err == nil && found {
		err = fmt.Errorf("key %s is in the listing, want it absent: %s", w.key.id, w.last.describe())
	}
	return w.judge(w.last, err)
}

func (w *World) grantInResponse(ctx context.Context) error {
	if err := w.requireGrant(); err != nil {
		return err
	}
	found, err := w.inListing(ctx, "grant_id", w.grant.id, strings.EqualFold)
	if err == nil && !found {
		err = fmt.Errorf("grant %s is on no page of the listing that %s started", w.grant.id, w.last.describe())
	}
	return w.judge(w.last, err)
}

func (w *World) secretInResponse(ctx context.Context) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	found, err := w.inListing(ctx, "name", w.secret.name, func(a, b string) bool { return a == b })
	if err == nil && !found {
		err = fmt.Errorf("secret %s is on no page of the listing that %s started", w.secret.name, w.last.describe())
	}
	return w.judge(w.last, err)
}

// walked is what walking a whole listing counted, for the total check.
type walked struct {
	items int
	total *float64 // the first page's total
}

// walkAll walks the whole listing and counts how often each of ids (compared without case) appears.
func (w *World) walkAll(ctx context.Context, key string, ids []string) (map[string]int, error) {
	counts := map[string]int{}
	res := &walked{}
	first := true
	err := w.walk(ctx, func(p listPage) bool {
		if first {
			res.total, first = p.total, false
		}
		res.items += len(p.items)
		for _, it := range p.items {
			got := scalar(it[key])
			for _, id := range ids {
				if strings.EqualFold(got, id) {
					counts[id]++
				}
			}
		}
		return false
	})
	if err == nil {
		w.walked = res
	}
	return counts, err
}

// walkFindsEachOnce walks every page and wants each of the scenario's keys or grants exactly once: paging
// neither repeats nor loses an item. The paging fields are checked on every page by the walk.
func (w *World) walkFindsEachOnce(ctx context.Context, kind string) error {
	var key string
	var ids []string
	switch kind {
	case "keys":
		key = "key_id"
		for _, k := range w.allKeys() {
			ids = append(ids, k.id)
		}
	default:
		key = "grant_id"
		for _, g := range w.allGrants() {
			ids = append(ids, g.id)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("the scenario has no %s (a Given step such as 'alice has 3 keys' must come first)", kind)
	}
	counts, err := w.walkAll(ctx, key, ids)
	if err != nil {
		return w.judge(w.last, err)
	}
	var wrong []string
	for _, id := range ids {
		if counts[id] != 1 {
			wrong = append(wrong, fmt.Sprintf("%s found %d times", id, counts[id]))
		}
	}
	if len(wrong) > 0 {
		return w.judge(w.last, fmt.Errorf("walking the listing from %s: want each of the scenario's %s once: %s", w.last.describe(), kind, strings.Join(wrong, ", ")))
	}
	return nil
}

// totalIsCount wants the first page's total to be the number of items of the whole listing, at most
// 1000 (the definitions' maximum of total).
func (w *World) totalIsCount(ctx context.Context) error {
	if w.walked == nil || w.listing == nil || w.listing.first != w.last {
		if _, err := w.walkAll(ctx, "", nil); err != nil {
			return w.judge(w.last, err)
		}
	}
	want := min(w.walked.items, maxTotal)
	if w.walked.total == nil {
		return w.judge(w.last, fmt.Errorf("want total %d, the first page has none: %s", want, w.last.describe()))
	}
	if got := *w.walked.total; got != float64(want) {
		return w.judge(w.last, fmt.Errorf("want total %d (the listing has %d items), got %s", want, w.walked.items, scalar(got)))
	}
	return nil
}

// ---- listings under test --------------------------------------------------------------------------

// pageLimit reads the limit a listing call sends; 0 when it is not a number (the call tests a bad one).
func pageLimit(limit *string) int {
	if limit == nil {
		return 0
	}
	n, _ := strconv.Atoi(*limit)
	return n
}

// startListing keeps, for the Then steps, how to page on from the listing call just made.
func (w *World) startListing(slug string, limit *string, next func(ctx context.Context, marker string) (answer, error)) {
	w.walked = nil
	w.listing = &listing{first: w.last, slug: slug, limit: pageLimit(limit), next: next}
}

func (w *World) listKeysCall(ctx context.Context, actor, limit string) error {
	cctx, project := w.call(ctx, actor, PurposeAct)
	all := kmsapi.ListKeysRequestBodyKeySpecALL
	body := kmsapi.ListKeysRequestBody{Limit: &limit, KeySpec: &all}
	if _, err := w.kms.ListKeysWithResponse(cctx, project, body); err != nil {
		return fmt.Errorf("list keys: %w", err)
	}
	w.startListing(ops.ListKeys, &limit, func(ctx context.Context, marker string) (answer, error) {
		b := body
		b.Marker = &marker
		r, err := w.kms.ListKeysWithResponse(withCall(ctx, callInfo{actor: actor, purpose: PurposeCheck}), project, b)
		if err != nil {
			return answer{}, fmt.Errorf("list keys: %w", err)
		}
		return answerOf(r.HTTPResponse, r.Body), nil
	})
	return nil
}

// listsKeysInThirds lists the keys with a limit of a third of the listing (rounded up), learned first
// through check calls: the listing then has about three pages however many keys the project holds, so
// that paging is tested without walking a thousand pages of a crowded project.
func (w *World) listsKeysInThirds(ctx context.Context, actor string) error {
	n, err := w.countKeys(ctx, actor)
	if err != nil {
		return err
	}
	return w.listKeysCall(ctx, actor, strconv.Itoa(max(1, (n+2)/3)))
}

// countKeys counts the keys actor's listing holds, walking it with pages of 1000 (check calls).
func (w *World) countKeys(ctx context.Context, actor string) (int, error) {
	l := &listing{slug: ops.ListKeys}
	seen := map[string]bool{}
	project := w.project(actor, PurposeAct)
	all := kmsapi.ListKeysRequestBodyKeySpecALL
	limit, marker, count := "1000", "", 0
	for n := 1; n <= maxPages; n++ {
		body := kmsapi.ListKeysRequestBody{Limit: &limit, KeySpec: &all}
		if marker != "" {
			body.Marker = &marker
		}
		r, err := w.kms.ListKeysWithResponse(withCall(ctx, callInfo{actor: actor, purpose: PurposeCheck}), project, body)
		if err != nil {
			return 0, fmt.Errorf("list keys: %w", err)
		}
		a := answerOf(r.HTTPResponse, r.Body)
		if err := a.expect("count the keys: list-keys", http.StatusOK); err != nil {
			return 0, err
		}
		p, err := parsePage(ops.ListKeys, r.Body)
		if err != nil {
			return 0, err
		}
		count += len(p.items)
		more, err := l.more(n, p, seen)
		if err != nil || !more {
			return count, err
		}
		seen[p.marker] = true
		marker = p.marker
	}
	return 0, harness(Paging, fmt.Errorf("count the keys: list-keys has more than %d pages, the most the harness walks", maxPages))
}

func (w *World) listGrantsCall(ctx context.Context, actor string, limit *string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	body := kmsapi.ListGrantsRequestBody{KeyId: w.key.id, Limit: limit}
	if _, err := w.kms.ListGrantsWithResponse(cctx, project, body); err != nil {
		return fmt.Errorf("list grants: %w", err)
	}
	w.startListing(ops.ListGrants, limit, func(ctx context.Context, marker string) (answer, error) {
		b := body
		b.Marker = &marker
		r, err := w.kms.ListGrantsWithResponse(withCall(ctx, callInfo{actor: actor, purpose: PurposeCheck}), project, b)
		if err != nil {
			return answer{}, fmt.Errorf("list grants: %w", err)
		}
		return answerOf(r.HTTPResponse, r.Body), nil
	})
	return nil
}

func (w *World) listRetirableCall(ctx context.Context, actor, limit string) error {
	cctx, project := w.call(ctx, actor, PurposeAct)
	body := kmsapi.ListRetirableGrantsRequestBody{Limit: &limit}
	if _, err := w.kms.ListRetirableGrantsWithResponse(cctx, project, body); err != nil {
		return fmt.Errorf("list retirable grants: %w", err)
	}
	w.startListing(ops.ListRetirableGrants, &limit, func(ctx context.Context, marker string) (answer, error) {
		b := body
		b.Marker = &marker
		r, err := w.kms.ListRetirableGrantsWithResponse(withCall(ctx, callInfo{actor: actor, purpose: PurposeCheck}), project, b)
		if err != nil {
			return answer{}, fmt.Errorf("list retirable grants: %w", err)
		}
		return answerOf(r.HTTPResponse, r.Body), nil
	})
	return nil
}

func (w *World) listSecretsCall(ctx context.Context, actor string, params csmsapi.ListSecretsParams) error {
	cctx, project := w.call(ctx, actor, PurposeAct)
	if _, err := w.csms.ListSecretsWithResponse(cctx, project, &params); err != nil {
		return fmt.Errorf("list secrets: %w", err)
	}
	w.startListing(ops.ListSecrets, params.Limit, func(ctx context.Context, marker string) (answer, error) {
		p := params
		p.Marker = &marker
		r, err := w.csms.ListSecretsWithResponse(withCall(ctx, callInfo{actor: actor, purpose: PurposeCheck}), project, &p)
		if err != nil {
			return answer{}, fmt.Errorf("list secrets: %w", err)
		}
		return answerOf(r.HTTPResponse, r.Body), nil
	})
	return nil
}
