// Package proctest holds what the process-level harnesses (cmd/failover,
// cmd/soak) share: loopback ports for child processes, waiting for a child
// to answer HTTP, signed Slack slash commands, and a fake Slack Web API that
// records reminder posts. Each harness keeps only its own scenario and
// accounting, so the two cannot drift on how a bot is driven or observed.
package proctest
