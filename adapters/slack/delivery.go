package slack

// delivery is what identifies one delivery of a request besides its
// trigger_id: Slack's retry number ("" on a first delivery) and, over
// HTTP, chatkit.SignedKey of the signed bytes, so a request that carries
// no trigger_id still runs once however often it is replayed.
type delivery struct {
	retry  string
	signed string
}
