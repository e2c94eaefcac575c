package steps

import (
	"context"
	"fmt"
)

// readsKeyQuotas calls user-quotas, the key and grant quotas of the actor's project.
func (w *World) readsKeyQuotas(ctx context.Context, actor string) error {
	cctx, project := w.call(ctx, actor, PurposeAct)
	if _, err := w.kms.ShowUserQuotasWithResponse(cctx, project); err != nil {
		return fmt.Errorf("show user quotas: %w", err)
	}
	return nil
}
