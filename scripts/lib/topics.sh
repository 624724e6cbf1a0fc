# example_topics FILE writes to FILE a config file holding only the
# [topics."…"] tables of deploy/feedpub.example.toml, so that a test can
# publish the shipped example's topic feeds and keep its other checks as
# they are.
example_topics() {
	awk '/^\[/ { keep = ($0 ~ /^\[topics\./) } keep' deploy/feedpub.example.toml >"$1"
	grep -q '^\[topics\."Cooperatives in Japan"\]' "$1" || { echo "the example config lost its Japan topic"; return 1; }
}
