#!/usr/bin/env bash
# The loopback audio cable for machines without a sound card (docs: ARCHITECTURE
# "The loopback audio cable"): a JACK 2 server with the dummy backend at 8000 Hz
# and two pass-through clients, cableA and cableB, unlinked from system:*.
#
#   tools/jack-cable.sh start [--rate HZ]   start what is not running yet (idempotent);
#                                           fails if the server runs at another rate
#   tools/jack-cable.sh stop                stop exactly the processes this script started
#   tools/jack-cable.sh status              say what runs (and the rate); exit 0 when complete
#
# A cable at 48000 Hz (squeal resamples; its devices then report 48000):
#   tools/jack-cable.sh stop; tools/jack-cable.sh start --rate 48000
#
#   caller:   output device cableA, input device cableB
#   answerer: output device cableB, input device cableA
#
# Clients find the server with JACK_DEFAULT_SERVER=squeal (squeal's audio
# commands set it when it is unset). Environment: SQUEAL_JACK_SERVER (name,
# default squeal), SQUEAL_CABLE_RATE or SQUEAL_JACK_RATE (8000; --rate wins),
# SQUEAL_JACK_PERIOD (256 frames).
# State (pids, log, lock) lives in $XDG_RUNTIME_DIR or /tmp. Installs nothing.
set -uo pipefail

server=${SQUEAL_JACK_SERVER:-squeal}
rate=${SQUEAL_CABLE_RATE:-${SQUEAL_JACK_RATE:-8000}}
period=${SQUEAL_JACK_PERIOD:-256}
state_dir=${XDG_RUNTIME_DIR:-/tmp}
state_file="$state_dir/squeal-jack-cable-$server.pids"
log_file="$state_dir/squeal-jack-cable-$server.log"
lock_file="$state_dir/squeal-jack-cable-$server.lock"
cables=(cableA cableB)

export JACK_DEFAULT_SERVER=$server JACK_NO_START_SERVER=1

say() { echo "jack-cable: $*"; }
fail() { echo "jack-cable: error: $*" >&2; exit 1; }

need_tools() {
  local missing=()
  for t in jackd jack_thru jack_lsp jack_disconnect; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || fail "${missing[*]} not found (Debian: apt-get install jackd2)"
}

server_answers() { jack_lsp >/dev/null 2>&1; }
server_rate() { jack_samplerate 2>/dev/null | tr -dc '0-9'; }
client_present() { jack_lsp 2>/dev/null | grep -q "^$1:"; }

# pid_of NAME: the recorded pid for NAME if that process still runs the expected program.
pid_of() {
  [ -f "$state_file" ] || return 1
  local name=$1 pid prog
  pid=$(awk -v n="$name" '$1 == n { print $2 }' "$state_file" | tail -n 1)
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  prog=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
  case "$name" in
    jackd) [[ "$prog" == jackd* ]] ;;
    *) [[ "$prog" == "jack_thru $name"* ]] ;;
  esac || return 1
  echo "$pid"
}

record() { echo "$1 $2" >>"$state_file"; }

# Remove every link between a cable client and system:* (jack_thru makes them).
unlink_system() {
  local client=$1 port peer
  jack_lsp -c 2>/dev/null | while IFS= read -r line; do
    if [[ "$line" != " "* ]]; then port=$line; continue; fi
    peer=${line#"${line%%[![:space:]]*}"}
    if [[ "$port" == "$client:"* && "$peer" == system:* ]]; then
      jack_disconnect "$port" "$peer" >/dev/null 2>&1 || true
    fi
  done
}

system_links() { jack_lsp -c 2>/dev/null | awk -v c="$1:" 'index($0, c) == 1 { p = 1; next } /^[^ \t]/ { p = 0 } p && /system:/ { n++ } END { print n + 0 }'; }

start() {
  need_tools
  if ! server_answers; then
    [ -z "$(pid_of jackd)" ] || fail "jackd (pid $(pid_of jackd)) runs but server '$server' does not answer; try: $0 stop"
    say "starting JACK server '$server' (dummy backend, $rate Hz, period $period)"
    : >"$log_file"
    nohup jackd --no-realtime -S --port-max 64 -n "$server" -d dummy -r "$rate" -p "$period" \
      </dev/null >>"$log_file" 2>&1 9>&- &
    local jack_pid=$!
    record jackd "$jack_pid"
    local tries=0
    until server_answers; do
      if ! kill -0 "$jack_pid" 2>/dev/null; then
        tail -n 5 "$log_file" >&2
        fail "jackd exited at start-up (log: $log_file)"
      fi
      ((++tries > 100)) && fail "server '$server' did not answer within 10 s (log: $log_file)"
      sleep 0.1
    done
  else
    local running_rate
    running_rate=$(server_rate)
    if [ -n "$running_rate" ] && [ "$running_rate" != "$rate" ]; then
      fail "JACK server '$server' already runs at $running_rate Hz, not $rate Hz; stop it first: $0 stop"
    fi
    say "JACK server '$server' already answers (${running_rate:-?} Hz)"
  fi
  for cable in "${cables[@]}"; do
    if client_present "$cable"; then
      say "$cable already present"
    else
      nohup jack_thru "$cable" </dev/null >>"$log_file" 2>&1 9>&- &
      local pid=$!
      record "$cable" "$pid"
      local tries=0
      until client_present "$cable"; do
        kill -0 "$pid" 2>/dev/null || fail "jack_thru $cable exited (log: $log_file)"
        ((++tries > 50)) && fail "jack_thru $cable did not appear within 5 s (log: $log_file)"
        sleep 0.1
      done
      say "started $cable (pid $pid)"
    fi
    # jack_thru links itself to system:* just after its ports appear: unlink until none stay.
    local tries=0
    while :; do
      sleep 0.1
      unlink_system "$cable"
      [ "$(system_links "$cable")" -eq 0 ] && break
      ((++tries > 30)) && fail "could not unlink $cable from system:*"
    done
  done
  say "cable ready on server '$server' at $rate Hz: caller out=cableA in=cableB, answerer out=cableB in=cableA"
}

# stop_names NAME...: TERM every recorded process of these names at once (jack_thru
# takes ~2 s to leave the server), wait up to 5 s, then KILL what remains.
stop_names() {
  local -A pids=()
  local name pid
  for name in "$@"; do
    pid=$(pid_of "$name") && pids[$name]=$pid && kill "$pid" 2>/dev/null
  done
  for _ in $(seq 50); do
    for name in "${!pids[@]}"; do
      if ! kill -0 "${pids[$name]}" 2>/dev/null; then
        say "stopped $name (pid ${pids[$name]})"
        unset "pids[$name]"
      fi
    done
    ((${#pids[@]} == 0)) && return 0
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    kill -KILL "${pids[$name]}" 2>/dev/null
    say "killed $name (pid ${pids[$name]}) after 5 s"
  done
}

stop() {
  if [ ! -f "$state_file" ]; then
    say "nothing to stop (no processes recorded in $state_file)"
    return 0
  fi
  stop_names "${cables[@]}"
  stop_names jackd
  rm -f "$state_file"
}

status() {
  local ok=0
  if command -v jack_lsp >/dev/null 2>&1 && server_answers; then
    say "server '$server' answers, $(server_rate) Hz"
  else
    say "server '$server' is not running"; ok=1
  fi
  for name in jackd "${cables[@]}"; do
    local pid
    if pid=$(pid_of "$name"); then say "$name: pid $pid (started by this script)"; fi
  done
  if ((ok == 0)); then
    for cable in "${cables[@]}"; do
      if client_present "$cable"; then
        say "$cable present, $(system_links "$cable") link(s) to system:*"
      else
        say "$cable missing"; ok=1
      fi
    done
  fi
  return $ok
}

command=${1:-}
shift || true
while (($# > 0)); do
  case "$1" in
    --rate) [ $# -ge 2 ] || fail "--rate needs a value in Hz"; rate=$2; shift 2 ;;
    --rate=*) rate=${1#--rate=}; shift ;;
    *) echo "usage: $0 start [--rate HZ] | stop | status" >&2; exit 2 ;;
  esac
done
[[ "$rate" =~ ^[1-9][0-9]{3,5}$ ]] || fail "rate '$rate' is not a sample rate in Hz (e.g. 8000, 48000)"

case "$command" in
  start|stop)
    mkdir -p "$state_dir"
    exec 9>"$lock_file"
    flock -w 30 9 || fail "another jack-cable.sh holds $lock_file"
    "$command"
    ;;
  status) status ;;
  *) echo "usage: $0 start [--rate HZ] | stop | status" >&2; exit 2 ;;
esac
