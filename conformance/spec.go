package conformance

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/dewconform/dewconform/openapi"
)

// specInfo is what the reports take from the embedded specs: their versions and each operation's
// documented status codes.
type specInfo struct {
	versions   map[string]string // service -> info.version
	documented map[string][]int  // operation slug -> status codes
}

func loadSpecInfo(ctx context.Context) (specInfo, error) {
	info := specInfo{versions: map[string]string{}, documented: map[string][]int{}}
	for _, svc := range openapi.Services {
		doc, err := openapi.Load(ctx, svc)
		if err != nil {
			return info, fmt.Errorf("spec: %w", err)
		}
		if doc.Info != nil {
			info.versions[svc] = doc.Info.Version
		}
		if doc.Paths == nil {
			continue
		}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				if op == nil || op.Responses == nil {
					continue
				}
				var codes []int
				for code := range op.Responses.Map() {
					if n, err := strconv.Atoi(code); err == nil {
						codes = append(codes, n)
					}
				}
				sort.Ints(codes)
				info.documented[slugOf(op.OperationID)] = codes
			}
		}
	}
	return info, nil
}

// SpecVersion returns info.version of the embedded spec of a service ("kms" or "csms").
func SpecVersion(ctx context.Context, service string) (string, error) {
	doc, err := openapi.Load(ctx, service)
	if err != nil {
		return "", err
	}
	if doc.Info == nil {
		return "", nil
	}
	return doc.Info.Version, nil
}
