# serve_feeds DIR PORT WORKDIR: serves DIR on 127.0.0.1:PORT in the
# background and waits until it answers; sets $server to its pid.
serve_feeds() {
	local dir=$1 port=$2 work=$3
	(cd "$dir" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$port") >"$work/server.log" 2>&1 &
	server=$!
	for _ in $(seq 50); do
		if /usr/bin/python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/index.html', timeout=1)" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "server on port $port did not start:"; cat "$work/server.log"; return 1
}
