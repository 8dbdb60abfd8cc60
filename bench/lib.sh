# Shared by bench/run.sh and bench/profile.sh (sourced, not run): a temporary directory with a
# fresh database and one WhatsApp channel, the fake provider and the server on free loopback
# ports, the load generator pointed at them, and a trap that stops every process started here
# by its pid and removes the directory. The caller sets `build` (an optimised build directory
# with -DCENTRALITA_BENCH=ON) and `here` (bench/) before sourcing.
# shellcheck shell=bash disable=SC2154
bin=$build/centralita
tools=$build/bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/centralita-bench.XXXXXX")
server_pid=
fake_pid=
extra_pid= # a client left running while the script measures the server

# Channel credentials for the run; the load generator signs with the same app secret.
phone_number_id=106540352242922
app_secret=bench-app-secret
export CENTRALITA_DB=sqlite:$tmp/centralita.db
export CENTRALITA_SECRET_KEY_FILE=$tmp/secret.key
export CENTRALITA_ADMIN_EMAIL=admin@example.com
export CENTRALITA_ADMIN_PASSWORD=bench-admin-password

say() { echo "bench: $*" >&2; }

stop_pid() { # pid: SIGTERM, up to 30 s to finish (valgrind writes its profile), then SIGKILL
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	stop_pid "$extra_pid"
	stop_pid "$server_pid"
	stop_pid "$fake_pid"
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

json_get() { # json key: a number from one of the tools' flat JSON objects
	sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p" <<<"$1"
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

cpu_ticks() { # user + system CPU of a process so far, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# Creates and migrates the database at the URL with what the scenarios
# need: one WhatsApp channel, two teams, and routing (bench/routing.json) that welcomes a new
# conversation with a menu and assigns the answer "1" to Soporte, with a message.
setup_account() {
	local db=$1
	{
		CENTRALITA_DB=$db "$bin" migrate
		CENTRALITA_DB=$db "$bin" channel add whatsapp --name Bench \
			--phone-number-id "$phone_number_id" --access-token bench-access-token \
			--app-secret "$app_secret" --verify-token bench-verify-token
		CENTRALITA_DB=$db "$bin" team add Soporte
		CENTRALITA_DB=$db "$bin" team add Ventas
		CENTRALITA_DB=$db "$bin" routing import "$here/routing.json"
	} >/dev/null 2>>"$tmp/setup.log" || {
		say "setting up $db failed:"
		tail -n 5 "$tmp/setup.log" >&2
		exit 1
	}
}

# Starts the fake provider with its arguments; sets fake_pid and fake_port.
start_fake() {
	"$tools/fake_provider" "$@" >"$tmp/fake.out" 2>>"$tmp/fake.err" &
	fake_pid=$!
	for _ in $(seq 50); do
		fake_port=$(sed -n 's/^port //p' "$tmp/fake.out")
		[ -n "$fake_port" ] && return 0
		sleep 0.1
	done
	say "the fake provider did not start"
	exit 1
}

# Starts the server on a free port, its replies going to the fake; the arguments, if any, are a
# command to run it under (valgrind …). Sets server_pid and port.
start_server() {
	: >"$tmp/server.out"
	CENTRALITA_GRAPH_API_URL=http://127.0.0.1:$fake_port \
		"$@" "$bin" serve --listen 127.0.0.1:0 >"$tmp/server.out" 2>>"$tmp/server.log" &
	server_pid=$!
	for _ in $(seq 600); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/server.out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	say "the server did not start; its log:"
	tail -n 20 "$tmp/server.log" >&2
	exit 1
}

loadgen() {
	"$tools/loadgen" --port "$port" --phone-number-id "$phone_number_id" \
		--app-secret "$app_secret" "$@"
}

# Adds the agent of scenarios 2 and 5 to the database at the URL: a member of Soporte, where
# routing assigns conversations, so that their stream carries every webhook's event.
agent_email=agent@example.com
agent_password=bench-agent-password
add_agent() {
	{
		CENTRALITA_DB=$1 "$bin" user add "$agent_email" --name Agente \
			--password "$agent_password"
		CENTRALITA_DB=$1 "$bin" team member add Soporte "$agent_email"
	} >/dev/null 2>>"$tmp/setup.log" || {
		say "adding the agent to $1 failed:"
		tail -n 5 "$tmp/setup.log" >&2
		exit 1
	}
}

# Logs the agent in to the running server and prints a new personal API token of theirs.
agent_token() {
	local jar=$tmp/cookies csrf
	csrf=$(curl -sf -c "$jar" -H 'Content-Type: application/json' \
		-d "{\"email\":\"$agent_email\",\"password\":\"$agent_password\"}" \
		"http://127.0.0.1:$port/api/v1/session" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
	curl -sf -b "$jar" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
		-d '{"name":"bench"}' "http://127.0.0.1:$port/api/v1/tokens" |
		sed -n 's/.*"token":"\(ctk_[^"]*\)".*/\1/p'
}
