package realtimekit

import (
	"context"
	"slices"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/realtime_kit"
)

// WebhookName is the name meetbot registers its webhook under.
const WebhookName = "meetbot"

// What EnsureWebhook did.
const (
	WebhookCreated   = "created"
	WebhookUpdated   = "updated"
	WebhookUnchanged = "unchanged"
)

// WebhookResult says what EnsureWebhook found and did.
type WebhookResult struct {
	Action string // WebhookCreated, WebhookUpdated or WebhookUnchanged
	ID     string
	// Removed are ids of further webhooks for the same URL that were
	// deleted: each would deliver every event once more.
	Removed []string
}

// EnsureWebhook makes sure exactly one enabled webhook sends exactly
// events to url: it lists the app's webhooks, keeps the first one for url
// (updating its events and enabling it if they differ) or creates one when
// there is none, and deletes any further one for the same url. Webhooks
// for other URLs (other apps or tools) are left alone. The create is sent
// once and never retried, so a lost answer cannot make a second webhook;
// the next start finds and keeps it.
func (c *Client) EnsureWebhook(ctx context.Context, url string, events []string) (WebhookResult, error) {
	want := slices.Sorted(slices.Values(events))
	want = slices.Compact(want)
	var list *realtime_kit.WebhookGetWebhooksResponse
	err := c.call(ctx, "list_webhooks", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.WebhookGetWebhooksParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		var err error
		list, err = c.rtk.Webhooks.GetWebhooks(ctx, c.cfg.AppID, p, opts...)
		return err
	})
	if err != nil {
		return WebhookResult{}, err
	}
	var res WebhookResult
	for _, h := range list.Data {
		if h.URL != url {
			continue
		}
		if res.ID != "" {
			if err := c.deleteWebhook(ctx, h.ID); err != nil {
				return res, err
			}
			res.Removed = append(res.Removed, h.ID)
			continue
		}
		res.ID, res.Action = h.ID, WebhookUnchanged
		have := make([]string, 0, len(h.Events))
		for _, e := range h.Events {
			have = append(have, string(e))
		}
		slices.Sort(have)
		if h.Enabled && slices.Equal(slices.Compact(have), want) {
			continue
		}
		if err := pathID("webhook", h.ID); err != nil {
			return res, err
		}
		err := c.call(ctx, "edit_webhook", true, func(ctx context.Context, opts ...option.RequestOption) error {
			var p realtime_kit.WebhookEditWebhookParams
			p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
			evs := make([]realtime_kit.WebhookEditWebhookParamsEvent, len(want))
			for i, e := range want {
				evs[i] = realtime_kit.WebhookEditWebhookParamsEvent(e)
			}
			p.Events.Value, p.Events.Present = evs, true
			p.Enabled.Value, p.Enabled.Present = true, true
			_, err := c.rtk.Webhooks.EditWebhook(ctx, c.cfg.AppID, h.ID, p, opts...)
			return err
		})
		if err != nil {
			return res, err
		}
		res.Action = WebhookUpdated
	}
	if res.ID != "" {
		return res, nil
	}
	var created *realtime_kit.WebhookNewWebhookResponse
	err = c.call(ctx, "create_webhook", false, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.WebhookNewWebhookParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		p.Name.Value, p.Name.Present = WebhookName, true
		p.URL.Value, p.URL.Present = url, true
		evs := make([]realtime_kit.WebhookNewWebhookParamsEvent, len(want))
		for i, e := range want {
			evs[i] = realtime_kit.WebhookNewWebhookParamsEvent(e)
		}
		p.Events.Value, p.Events.Present = evs, true
		p.Enabled.Value, p.Enabled.Present = true, true
		var err error
		created, err = c.rtk.Webhooks.NewWebhook(ctx, c.cfg.AppID, p, opts...)
		return err
	})
	if err != nil {
		return res, err
	}
	if created.Data.ID == "" {
		return res, unexpected("create webhook answered without data.id")
	}
	return WebhookResult{Action: WebhookCreated, ID: created.Data.ID}, nil
}

func (c *Client) deleteWebhook(ctx context.Context, id string) error {
	if err := pathID("webhook", id); err != nil {
		return err
	}
	return c.call(ctx, "delete_webhook", true, func(ctx context.Context, opts ...option.RequestOption) error {
		var p realtime_kit.WebhookDeleteWebhookParams
		p.AccountID.Value, p.AccountID.Present = c.cfg.AccountID, true
		_, err := c.rtk.Webhooks.DeleteWebhook(ctx, c.cfg.AppID, id, p, opts...)
		return err
	})
}
