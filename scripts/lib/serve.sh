# serve_feeds FEEDPUB PORT WORKDIR SCAN_FLAGS...: runs `feedpub serve` on
# 127.0.0.1:PORT in the background with the scan flags the caller uses
# (same listings, database and output), scanning hourly so that only the
# caller's own scans change the output, and waits until /healthz answers
# 200. Sets $server to its pid.
serve_feeds() {
	local feedpub=$1 port=$2 work=$3
	shift 3
	"$feedpub" serve --addr "127.0.0.1:$port" --schedule "@every 1h" --access-log "$@" >"$work/server.log" 2>&1 &
	server=$!
	for _ in $(seq 100); do
		if /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "feedpub serve on port $port did not become healthy:"; cat "$work/server.log"; return 1
}
