#!/bin/bash
# Measures /j/{code} against /healthz with wrk (16 connections) on a real
# `bot console` process (bbolt, RealtimeKit via `bot sandbox`, real meeting page),
# and takes a CPU profile from the admin listener while /j/ is loaded.
# Usage: deploy/bench/join-wrk.sh [checkout] [label]   (needs wrk: apt-get install wrk)
# Prints req/s of /healthz and /j/{code} in two alternating rounds, then writes a
# 10 s CPU profile of the /j/ load (taken from the admin listener) to $D/prof.txt.
# It uses loopback ports 18080 (public), 19090 (admin) and 18787 (sandbox).
set -e
WT=${1:-.}; LABEL=${2:-run}; D=${TMPDIR:-/tmp}/meetbot-wrk/$LABEL
rm -rf $D; mkdir -p $D
cd $WT && go build -o $D/bot ./cmd/bot
$D/bot sandbox --listen 127.0.0.1:18787 --token t0k 2>$D/sandbox.log & SB=$!
cat > $D/cfg.yaml <<CFG
http:
  listen: 127.0.0.1:18080
  admin_listen: 127.0.0.1:19090
storage:
  bolt:
    path: $D/data/meetbot.db
realtimekit:
  sandbox: false
  base_url: http://127.0.0.1:18787/client/v4/
  account_id: acc
  app_id: app
  api_token: t0k
join:
  link_ttl: 24h
meetings:
  default_timezone: Europe/Berlin
  default_duration: 2h
log:
  level: info
CFG
sleep 1
( printf '/meet now wrk bench\n/meet join\n'; sleep 120 ) | $D/bot console --config $D/cfg.yaml --json --user ana > $D/console.out 2>$D/bot.log & BOT=$!
for i in $(seq 50); do grep -q join_url $D/console.out 2>/dev/null && break; sleep 0.2; done
URL=$(grep -o '"join_url":"[^"]*"' $D/console.out | head -1 | cut -d'"' -f4)
echo "join page status: $(curl -s -o $D/page.html -w '%{http_code} %{size_download} bytes' "$URL")"
for round in 1 2; do
  wrk -t2 -c16 -d8s http://127.0.0.1:18080/healthz > $D/healthz.$round.txt
  wrk -t2 -c16 -d8s "$URL" > $D/join.$round.txt
  echo "round $round: healthz $(grep Requests/sec $D/healthz.$round.txt | awk '{print $2}') req/s, /j/ $(grep Requests/sec $D/join.$round.txt | awk '{print $2}') req/s, /j/ non-2xx: $(grep -c Non-2xx $D/join.$round.txt)"
done
( wrk -t2 -c16 -d12s "$URL" > $D/join.prof.txt ) & W=$!
sleep 1; curl -s -o $D/join.cpu "http://127.0.0.1:19090/debug/pprof/profile?seconds=10"; wait $W
curl -s http://127.0.0.1:19090/metrics | grep -E '^meetbot_join_opens_total|^meetbot_http_requests_total' > $D/metrics.txt || true
kill $BOT $SB 2>/dev/null; wait 2>/dev/null
go tool pprof -top -cum -nodecount 60 $D/bot $D/join.cpu > $D/prof.txt 2>/dev/null || true
echo done $D
