package server

// Recovering is recovering, for tests of a panicking handler.
var Recovering = recovering
