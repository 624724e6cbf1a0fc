package server

import _ "embed"

// faviconICO is served at /favicon.ico when the directory has none: feed
// readers ask for it on every refresh until they get one. It is the feed
// symbol, white on orange, 16 and 32 pixels, drawn as PNGs in an ICO.
//
//go:embed favicon.ico
var faviconICO []byte

const faviconName = "favicon.ico"

// The built-in icon changes only with the binary.
const faviconCacheControl = "public, max-age=86400"
