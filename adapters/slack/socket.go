package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Acker acknowledges a Socket Mode request, optionally with a payload (the
// reply to a slash command, a modal's response_action). *socketmode.Client
// implements it; tests pass a recorder.
type Acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// RunSocketMode connects to Slack with the app-level token (xapp-…, scope
// connections:write) and serves slash commands, interactions and events
// over the WebSocket, through the same handlers as HTTP, until ctx ends.
// No public URL is needed and no signature is checked: the socket itself
// is authenticated.
func (a *Adapter) RunSocketMode(ctx context.Context, appToken string) error {
	if appToken == "" {
		return errors.New("slack: socket mode needs an app-level token (xapp-…)")
	}
	api := slackapi.New("", slackapi.OptionAppLevelToken(appToken),
		slackapi.OptionAPIURL(a.opts.APIURL), slackapi.OptionHTTPClient(&http.Client{Timeout: a.opts.HTTPClient.Timeout}))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-client.Events:
			a.HandleSocketEvent(ctx, socketAcker{ctx: ctx, client: client}, evt)
		}
	}
}

// socketAcker acknowledges through client while ctx lasts. The client's
// Ack queues into a small buffer that nobody drains once the client has
// stopped, so answers finished after shutdown would block Wait forever;
// with ctx ended they fail instead, and the failure is logged.
type socketAcker struct {
	ctx    context.Context
	client *socketmode.Client
}

// Ack implements Acker.
func (s socketAcker) Ack(req socketmode.Request, payload ...any) error {
	var p any
	if len(payload) > 0 {
		p = payload[0]
	}
	return s.client.AckCtx(s.ctx, req.EnvelopeID, p)
}

// HandleSocketEvent serves one Socket Mode event: slash commands and
// interactions go through the HTTP handlers' logic and are acknowledged
// with their answer (within AckWait; slower answers follow through
// response_url), events go to Options.Events. Connection events are only
// logged. It returns at once; the work runs in the background, and Wait
// waits for it.
func (a *Adapter) HandleSocketEvent(ctx context.Context, ack Acker, evt socketmode.Event) {
	log := a.opts.Logger
	switch evt.Type {
	case socketmode.EventTypeConnected:
		log.Info().Msg("slack socket mode connected")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		log.Warn().Str("event", string(evt.Type)).Msg("slack socket mode connection trouble")
		return
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
	default:
		return
	}
	if evt.Request == nil {
		return
	}
	req := *evt.Request
	retry := ""
	if req.RetryAttempt > 0 {
		retry = fmt.Sprint(req.RetryAttempt)
	}
	base := context.WithoutCancel(ctx)
	a.work.Go(func() {
		var payload any
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			sc, ok := evt.Data.(slackapi.SlashCommand)
			if !ok || sc.TeamID == "" || sc.UserID == "" {
				break
			}
			if msg := a.handleCommand(base, sc, delivery{retry: retry}); msg != nil {
				payload = *msg
			}
		case socketmode.EventTypeInteractive:
			ic, ok := evt.Data.(slackapi.InteractionCallback)
			if !ok {
				break
			}
			if v, ok := a.handleInteraction(base, ic, delivery{retry: retry}); ok && v != nil {
				payload = v
			}
		case socketmode.EventTypeEventsAPI:
			// Events are acknowledged first: Slack wants no payload, and
			// the handler may take its time.
			a.ackLogged(ack, req, nil)
			if a.opts.Events != nil {
				ectx, cancel := context.WithTimeout(base, a.opts.WorkTimeout)
				defer cancel()
				if _, err := a.opts.Events(ectx, req.Payload); err != nil {
					log.Warn().Err(err).Msg("slack event over socket mode failed")
				}
			}
			return
		}
		a.ackLogged(ack, req, payload)
	})
}

// ackLogged acknowledges req, logging a failure (for example a reply over
// Slack's 20 KB limit, which would otherwise be dropped silently).
func (a *Adapter) ackLogged(ack Acker, req socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = ack.Ack(req)
	} else {
		err = ack.Ack(req, payload)
	}
	if err != nil {
		a.opts.Logger.Error().Err(err).Str("envelope", req.EnvelopeID).Msg("could not acknowledge a socket mode request")
	}
}
